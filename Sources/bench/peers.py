"""What the peer scripts (compare_gemm.py, compare_retnet.py) share: reading `bench`'s JSON lines,
the spread of repeated timings, and the command line's common start."""
import argparse
import json
import os
import statistics

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
