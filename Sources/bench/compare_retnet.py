#!/usr/bin/env python3
"""Side-by-side RetNet speed: this package's fast model (`bench model`) against torchscale 0.3.0
on torch-CPU, same checkpoint, same thread count, in one run.

    swift build -c release --product bench       # once (add --scratch-path DIR if you use one)
    python3 Sources/bench/compare_retnet.py [--bench PATH] [--threads 2] [--rounds 3]

The checkpoint (6 layers, E = 512, V = 1024, 4 heads, FFN 1024, vocabulary 256, torchscale's
defaults otherwise) is made once by Tests/Fixtures/torchscale/make_fixtures.py --out and cached in
the temporary directory. For T = 2048 it measures, round after round and interleaved, each in its
own process: a parallel forward, a chunkwise forward (B = 256) and recurrent decoding of T tokens
one at a time with the state carried (median time per token); `bench model` reports each as one
JSON line (tokens_per_second, ms_per_token, the weight bytes and the CPU), the torch probe too. It
prints the CPU, the median over rounds, the spread, and ours/theirs speed ratios beside the kernels
each side ran (our GEMM's register tile, torch's CPU capability: the instruction set its kernels
were dispatched for, and whether oneDNN is there). The parallel and chunkwise forwards are also
timed `torch.compile`d (two untimed calls first, the first compiles; --no-compiled skips it);
decoding is timed eager only, as its state and prefix change shape every token. And the
memory-bandwidth floor of decoding: the weight bytes a step must read divided by the read
bandwidth measured here (torch sum over a 1 GiB float32 array on the same threads, median of 5).
"""
import json
import os
import statistics
import subprocess
import sys

import peers
from peers import spread
import tempfile

CONFIG = {"decoder_embed_dim": 512, "decoder_value_embed_dim": 1024, "decoder_retention_heads": 4,
          "decoder_ffn_embed_dim": 1024, "decoder_layers": 6, "vocab_size": 256, "layernorm_eps": 1e-6,
          "activation_fn": "gelu"}

TORCH_PROBE = peers.TORCH_KERNEL + r"""
import json, statistics, sys, time, warnings
warnings.filterwarnings("ignore")
import torch
from safetensors.torch import load_file
from torchscale.architecture.config import RetNetConfig
from torchscale.architecture.retnet import RetNetDecoder
folder, mode, length, chunk, threads, compiled = (sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4]),
                                                  int(sys.argv[5]), int(sys.argv[6]))
torch.set_num_threads(threads)
keys = json.load(open(folder + "/config.json"))
if mode == "chunkwise":
    keys = dict(keys, chunkwise_recurrent=True, recurrent_chunk_size=chunk)
model = RetNetDecoder(RetNetConfig(**keys), embed_tokens=torch.nn.Embedding(keys["vocab_size"], keys["decoder_embed_dim"]))
model.load_state_dict(load_file(folder + "/model.safetensors"))
model.eval()
tokens = torch.randint(0, keys["vocab_size"], (1, length), generator=torch.Generator().manual_seed(1))
with torch.inference_mode():
    if mode == "recurrent":
        state = {}
        model(tokens[:, :1], incremental_state=state)  # untimed
        state, times = {}, []
        for n in range(length):
            start = time.perf_counter()
            model(tokens[:, : n + 1], incremental_state=state)
            times.append(time.perf_counter() - start)
        ms = 1000 * statistics.median(times)
    else:
        forward = torch.compile(model) if compiled else model
        for _ in range(2 if compiled else 1):
            forward(tokens)  # untimed (compiled: the first compiles)
        times = []
        for _ in range(3):
            start = time.perf_counter()
            forward(tokens)
            times.append(time.perf_counter() - start)
        ms = 1000 * statistics.median(times) / length
graphs = 0
if compiled:
    from torch._dynamo.utils import counters
    graphs = counters["stats"]["unique_graphs"]
print(json.dumps({"threads": torch.get_num_threads(), "ms_per_token": ms, "tokens_per_second": 1000 / ms,
                  "kernel": torch_kernel(), "graphs": graphs}))
"""

BANDWIDTH_PROBE = r"""
import sys, time, statistics, torch
torch.set_num_threads(int(sys.argv[1]))
a = torch.ones(1 << 28, dtype=torch.float32)  # 1 GiB
a.sum()
times = []
for _ in range(5):
    start = time.perf_counter()
    a.sum()
    times.append(time.perf_counter() - start)
print(a.numel() * 4 / statistics.median(times))
"""


def checkpoint(python):
    folder = os.path.join(tempfile.gettempdir(), "retnet-compare-e512-l6-h4-v2")
    if os.path.exists(os.path.join(folder, "model.safetensors")):
        return folder
    here = os.path.dirname(os.path.abspath(__file__))
    maker = os.path.join(here, "..", "..", "Tests", "Fixtures", "torchscale", "make_fixtures.py")
    subprocess.run([python, maker, "--out", folder, "--config", json.dumps(CONFIG), "--length", "8",
                    "--chunk-size", "4"], check=True, capture_output=True)
    return folder


def ours(bench, folder, mode, length, chunk, threads):
    """`bench model`'s one result for `mode` (3 timed forward passes, as the torch probe times)."""
    [result] = peers.bench_results(bench, ["model", "--checkpoint", folder, "--mode", mode, "--length", str(length),
                                           "--chunk-size", str(chunk), "--threads", str(threads), "--repetitions", "3"])
    return result


def theirs(folder, mode, length, chunk, threads, compiled=False):
    return peers.probe(TORCH_PROBE, [folder, mode, length, chunk, threads, 1 if compiled else 0])


def main():
    parser = peers.parser(__doc__)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--length", type=int, default=2048, help="T: tokens per forward pass, tokens decoded")
    parser.add_argument("--chunk-size", type=int, default=256)
    parser.add_argument("--rounds", type=int, default=3, help="interleaved rounds per mode")
    parser.add_argument("--modes", nargs="+", default=["parallel", "chunkwise", "recurrent"],
                        choices=["parallel", "chunkwise", "recurrent"])
    parser.add_argument("--no-compiled", action="store_true", help="time torchscale eager only (no torch.compile)")
    args = parser.parse_args()
    if not os.access(args.bench, os.X_OK):
        sys.exit(f"{args.bench} is not built: swift build -c release --product bench")
    if args.threads < 1 or args.length < 1 or args.chunk_size < 1 or args.rounds < 1:
        sys.exit("--threads, --length, --chunk-size and --rounds must be at least 1")
    folder = checkpoint(sys.executable)
    print(f"checkpoint {folder}: {json.dumps(CONFIG)}")
    print(f"T = {args.length}, B = {args.chunk_size}, threads = {args.threads}, rounds = {args.rounds}\n")
    print(f"{'mode':<10} {'ours tok/s':>11} {'spread':>7} {'torchscale tok/s':>17} {'spread':>7} {'ours/theirs':>12}"
          f" {'compiled tok/s':>15} {'ours/compiled':>14}  ours: GEMM tile / torch: kernels")
    weight_bytes, ours_decode_ms, cpu = None, None, None
    for mode in args.modes:
        # Decoding is not compiled: its incremental state and growing prefix change shape every token.
        compile_mode = mode != "recurrent" and not args.no_compiled
        mine, other, compiled, graphs = [], [], [], []
        for _ in range(args.rounds):
            result = ours(args.bench, folder, mode, args.length, args.chunk_size, args.threads)
            weight_bytes, cpu, tile = result["parameters"]["weight_bytes"], result["cpu"], peers.tile(result)
            mine.append(result["tokens_per_second"])
            probe = theirs(folder, mode, args.length, args.chunk_size, args.threads)
            other.append(probe["tokens_per_second"])
            if compile_mode:
                fast = theirs(folder, mode, args.length, args.chunk_size, args.threads, compiled=True)
                compiled.append(fast["tokens_per_second"])
                graphs.append(fast["graphs"])
        a, b = statistics.median(mine), statistics.median(other)
        if mode == "recurrent":
            ours_decode_ms = 1000 / a
        c = f"{statistics.median(compiled):>15.1f} {a / statistics.median(compiled):>13.2f}×" if compiled else f"{'—':>15} {'—':>14}"
        print(f"{mode:<10} {a:>11.1f} {spread(mine):>6.0f}% {b:>17.1f} {spread(other):>6.0f}% {a / b:>11.2f}×"
              f" {c}  {tile} / {probe['kernel']}")
        if graphs and max(graphs) > 1:
            print(f"  torch.compile made {max(graphs)} graphs for one forward shape (it recompiled)")
    print(f"CPU (as bench model names it): {cpu}")
    bandwidth = [float(subprocess.run([sys.executable, "-c", BANDWIDTH_PROBE, str(args.threads)], check=True,
                                      capture_output=True, text=True).stdout.strip()) for _ in range(3)]
    bw = statistics.median(bandwidth)
    print(f"\nread bandwidth (torch sum over 1 GiB, {args.threads} threads): {bw / 1e9:.1f} GB/s "
          f"(spread {spread(bandwidth):.0f}%)")
    if weight_bytes:
        floor = 1000 * weight_bytes / bw
        print(f"decoding floor: {weight_bytes / 1e6:.1f} MB of weights per token / bandwidth = {floor:.2f} ms/token")
        if ours_decode_ms:
            print(f"ours: {ours_decode_ms:.2f} ms/token = {ours_decode_ms / floor:.2f}× the floor")


if __name__ == "__main__":
    main()
