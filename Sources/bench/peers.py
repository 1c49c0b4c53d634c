"""What the peer scripts (compare_gemm.py, compare_retnet.py, compare_decode.py, compare_training.py)
share: running `bench` and a Python probe, reading their JSON lines, the spread of repeated
timings, the command line's common start, the names of the kernels each side ran (our
register tile; the kernel OpenBLAS and torch chose for this CPU), and a torch training step
timed as nanoGPT's loop takes it (compare_training.py, compare_long_training.py)."""
import argparse
import json
import os
import statistics
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def json_lines(text):
    """Every line of a program's standard output, each one JSON object."""
    return [json.loads(line) for line in text.splitlines() if line.strip()]


def spread(values):
    """(max − min) / median, as a percentage."""
    return 100 * (max(values) - min(values)) / statistics.median(values)


def parser(doc):
    """An argument parser described by the script's first docstring line, with --bench."""
    result = argparse.ArgumentParser(description=doc.split("\n")[0])
    result.add_argument("--bench", default=os.path.join(ROOT, ".build", "release", "bench"),
                        help="the bench executable (default: .build/release/bench)")
    return result


def results_of(command, name):
    """The JSON lines `command` (called `name` in a failure's message) prints; exits with the end of its
    standard error when it fails."""
    run = subprocess.run(command, capture_output=True, text=True)
    if run.returncode != 0:
        sys.exit(f"{name} failed (exit {run.returncode}):\n{run.stderr.strip()[-3000:]}")
    return json_lines(run.stdout)


def bench_results(bench, arguments):
    """Every result of `bench arguments`; exits unless they come from a release build."""
    results = results_of([bench] + arguments, " ".join([bench] + arguments))
    for result in results:
        if result["build"] != "release":
            sys.exit(f"{bench} is a {result['build']} build: its speeds say nothing (swift build -c release --product bench)")
    return results


def probe(code, arguments):
    """The one JSON result a Python probe (`code`, run as `python -c`) prints for `arguments`."""
    [result] = results_of([sys.executable, "-c", code] + [str(a) for a in arguments], f"a Python probe with arguments {arguments}")
    return result


def tile(result):
    """Our GEMM's register tile as `bench` reports it in a result's parameters ("12x32"), with the
    block sizes when given ("12x32 kc=336 nc=384 mc=6240"); "?" for a bench that does not say."""
    parameters = result.get("parameters", {})
    name = parameters.get("tile", "?")
    blocks = " ".join(f"{key}={parameters[key]}" for key in ("kc", "nc", "mc") if key in parameters)
    return f"{name} {blocks}".strip()


# Run inside a peer's probe: the kernel OpenBLAS chose for this CPU, through threadpoolctl.
OPENBLAS_KERNEL = r"""
def openblas_kernel():
    try:
        from threadpoolctl import threadpool_info
    except ImportError:
        return "OpenBLAS kernel unknown (pip install threadpoolctl)"
    pools = [p for p in threadpool_info() if p.get("internal_api") == "openblas"]
    return "; ".join(f"OpenBLAS {p.get('version')} {p.get('architecture')} kernel, {p.get('num_threads')} threads"
                     for p in pools) or "no OpenBLAS loaded"
"""

# Run inside a peer's probe: the instruction set torch dispatches its CPU kernels for.
TORCH_KERNEL = r"""
def torch_kernel():
    import torch
    onednn = "oneDNN" if torch.backends.mkldnn.is_available() else "no oneDNN"
    return f"torch {torch.__version__} CPU capability {torch.backends.cpu.get_cpu_capability()}, {onednn}"
"""

# Run inside a training peer's probe: a torch model's training step, timed.
TORCH_TRAINING = r"""
def time_training(model, logits_of, tokens, vocab, whole, compiled, warmup, repetitions=5):
    '''The median and best seconds of `repetitions` training steps of `model` on `tokens` (batch ×
    (T + 1) ids), as nanoGPT's loop takes a step: gradients zeroed, `logits_of(tokens[:, :-1])` in
    training mode, the mean cross-entropy of each next token, `loss.backward()` and, with `whole`,
    `clip_grad_norm_(…, 1.0)` and `AdamW(lr=1e-3, betas=(0.9, 0.99), weight_decay=0.1).step()`.
    Timed after one untimed step, or `warmup` of them when `compiled` (`logits_of` is then a
    `torch.compile`d model's: the first step compiles); it counts the graphs dynamo compiled during
    warm-up and while timed (a recompilation shows as a graph added while timing).'''
    import statistics, time
    import torch
    import torch.nn.functional as F
    model.train()
    optimizer = torch.optim.AdamW(model.parameters(), lr=1e-3, betas=(0.9, 0.99), weight_decay=0.1)
    def graphs():
        if not compiled:
            return 0
        from torch._dynamo.utils import counters
        return counters["stats"]["unique_graphs"]
    def step():
        model.zero_grad(set_to_none=True)
        logits = logits_of(tokens[:, :-1])
        loss = F.cross_entropy(logits.reshape(-1, vocab), tokens[:, 1:].reshape(-1))
        loss.backward()
        if whole:
            torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
            optimizer.step()
    start = time.perf_counter()
    for _ in range(max(1, warmup if compiled else 1)):
        step()  # untimed (the first compiles)
    warmup_seconds = time.perf_counter() - start
    warm_graphs = graphs()
    times = []
    for _ in range(repetitions):
        start = time.perf_counter()
        step()
        times.append(time.perf_counter() - start)
    return {"threads": torch.get_num_threads(), "median_seconds": statistics.median(times), "best_seconds": min(times),
            "warmup_seconds": warmup_seconds, "graphs_in_warmup": warm_graphs, "graphs_while_timed": graphs() - warm_graphs,
            "torch": torch.__version__}


def time_or_failure(model, logits_of, tokens, vocab, whole, compiled, warmup, repetitions=5):
    '''time_training's result; for a compiled model that fails to compile or run, {"failed": the error's first
    line} instead (an eager model's failure is raised).'''
    try:
        return time_training(model, logits_of, tokens, vocab, whole, compiled, warmup, repetitions)
    except Exception as error:
        if not compiled:
            raise
        first = (str(error).strip().splitlines() or [""])[0]
        return {"failed": f"torch.compile failed: {type(error).__name__}: {first[:300]}"}
"""
