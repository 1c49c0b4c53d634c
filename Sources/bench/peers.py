"""What the peer scripts (compare_gemm.py, compare_retnet.py, compare_decode.py) share: running
`bench` and a Python probe, reading their JSON lines, the spread of repeated timings, and the
command line's common start."""
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
