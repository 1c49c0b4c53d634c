#!/usr/bin/env python3
"""Side-by-side GEMM speed: this package's kernels against numpy's OpenBLAS, in one run.

    swift build -c release --product bench        # once (add --scratch-path DIR if you use one)
    python3 Sources/bench/compare_gemm.py [--bench PATH] [--rounds 5] [--tiles 6x16 12x32]

For each size (512³, 1024³) and thread count (1, 2) it runs, round after round and interleaved,
`bench gemm --size N --threads T` (the threaded rung; its JSON line's gflops, from the median of
its repetitions) and the same product in numpy (float32 `a @ b`, median of as many repetitions,
also reported as one JSON line), each in its own process — with each register tile --tiles names
(`bench gemm --tile`; by default the one bench picks for this CPU) — then prints the CPU both ran on, the
median over rounds, the spread, and the ratio ours / numpy per configuration, beside the kernel
each side ran: our register tile and block sizes (from bench's JSON) and the kernel OpenBLAS chose
for this CPU. Interleaving puts both under the same machine load; the spread says how noisy it was.

numpy runs with OPENBLAS_CORETYPE and OPENBLAS_L2_SIZE removed from its environment (some
machines set them to work around old OpenBLAS bugs, and they slow a current one down), its
thread count set with threadpoolctl when installed (OPENBLAS_NUM_THREADS otherwise), and the
kernel OpenBLAS picked is printed (threadpoolctl names it: `pip install threadpoolctl`).
"""
import os
import statistics
import subprocess
import sys

import peers
from peers import json_lines, spread

NUMPY_PROBE = peers.OPENBLAS_KERNEL + r"""
import json, statistics, sys, time
import numpy as np
n, threads, repetitions = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3])
rng = np.random.default_rng(1)
a = rng.standard_normal((n, n), dtype=np.float32)
b = rng.standard_normal((n, n), dtype=np.float32)
try:
    from threadpoolctl import threadpool_limits
    limits = threadpool_limits(threads)
except ImportError:
    pass  # OPENBLAS_NUM_THREADS, set by the caller, holds
info = openblas_kernel()
a @ b
times = []
for _ in range(repetitions):
    start = time.perf_counter()
    a @ b
    times.append(time.perf_counter() - start)
median = statistics.median(times)
print(json.dumps({"openblas": info, "median_seconds": median, "gflops": 2 * n ** 3 / median / 1e9}))
"""


def ours(bench, n, threads, repetitions, tile=None):
    """`bench gemm`'s one result: its gflops, the CPU it names and the tile it ran (`tile`, or
    bench's choice for this CPU when None)."""
    [result] = peers.bench_results(bench, ["gemm", "--rung", "threaded", "--size", str(n), "--threads", str(threads),
                                           "--repetitions", str(repetitions)] + (["--tile", tile] if tile else []))
    return result["gflops"], result["cpu"], peers.tile(result)


def numpy(n, threads, repetitions):
    env = dict(os.environ)
    env.pop("OPENBLAS_CORETYPE", None)
    env.pop("OPENBLAS_L2_SIZE", None)
    env["OPENBLAS_NUM_THREADS"] = str(threads)
    out = subprocess.run([sys.executable, "-c", NUMPY_PROBE, str(n), str(threads), str(repetitions)],
                         check=True, capture_output=True, text=True, env=env).stdout
    [result] = json_lines(out)
    return result["gflops"], result["openblas"]


def main():
    parser = peers.parser(__doc__)
    parser.add_argument("--rounds", type=int, default=5, help="interleaved rounds per configuration")
    parser.add_argument("--repetitions", type=int, default=7, help="timed products per process (median)")
    parser.add_argument("--sizes", type=int, nargs="+", default=[512, 1024])
    parser.add_argument("--threads", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--tiles", nargs="+", default=[None], choices=["6x16", "12x32"],
                        help="our register tiles to run, each against the same numpy runs (default: bench's choice)")
    args = parser.parse_args()
    if not os.access(args.bench, os.X_OK):
        sys.exit(f"{args.bench} is not built: swift build -c release --product bench")
    if args.rounds < 1 or args.repetitions < 1:
        sys.exit("--rounds and --repetitions must be at least 1")

    results, kernels = {}, {}
    cpu = None
    for round_ in range(args.rounds):
        for n in args.sizes:
            for t in args.threads:
                theirs, kernel = numpy(n, t, args.repetitions)
                for asked in args.tiles:
                    mine, cpu, tile = ours(args.bench, n, t, args.repetitions, asked)
                    results.setdefault((n, t, asked), []).append((mine, theirs))
                    kernels[(n, t, asked)] = (tile, kernel)
        print(f"round {round_ + 1}/{args.rounds} done", file=sys.stderr)

    print(f"CPU: {cpu}")
    print(f"numpy {__import__('numpy').__version__}")
    print(f"{'size':>6} {'threads':>7} {'ours GFLOP/s':>13} {'spread':>7} {'numpy GFLOP/s':>14} {'spread':>7}"
          f" {'ratio':>6} {'ratio range':>13}  ours: tile / numpy: kernel")
    for (n, t, asked), pairs in results.items():
        mine = [p[0] for p in pairs]
        theirs = [p[1] for p in pairs]
        ratios = [p[0] / p[1] for p in pairs]
        tile, kernel = kernels[(n, t, asked)]
        print(f"{n:>5}³ {t:>7} {statistics.median(mine):>13.1f} {spread(mine):>6.0f}% "
              f"{statistics.median(theirs):>14.1f} {spread(theirs):>6.0f}% {statistics.median(ratios):>5.2f}× "
              f"{min(ratios):>5.2f}–{max(ratios):.2f}×  {tile} / {kernel}")


if __name__ == "__main__":
    main()
