"""What the peer scripts (compare_gemm.py, compare_retnet.py, compare_decode.py, compare_training.py)
share: running `bench` and a Python probe, reading their JSON lines, the spread of repeated
timings, the command line's common start, and the names of the kernels each side ran (our
register tile; the kernel OpenBLAS and torch chose for this CPU)."""
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


def bench_results(bench, arguments):
    """Every result of `bench arguments`; exits unless they come from a release build."""
    out = subprocess.run([bench] + arguments, check=True, capture_output=True, text=True).stdout
    results = json_lines(out)
    for result in results:
        if result["build"] != "release":
            sys.exit(f"{bench} is a {result['build']} build: its speeds say nothing (swift build -c release --product bench)")
    return results


def probe(code, arguments):
    """The one JSON result a Python probe (`code`, run as `python -c`) prints for `arguments`."""
    out = subprocess.run([sys.executable, "-c", code] + [str(a) for a in arguments], check=True, capture_output=True,
                         text=True).stdout
    [result] = json_lines(out)
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
