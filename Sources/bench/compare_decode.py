#!/usr/bin/env python3
"""Side-by-side decoding speed: this package's fast RetNet and fast Transformer (`bench decode`),
and Hugging Face transformers' GPT-2 with its KV cache on torch-CPU, same threads, in one run.

    swift build -c release --product bench       # once (add --scratch-path DIR if you use one)
    pip install transformers                     # the peer (tooling only; the package never needs it)
    python3 Sources/bench/compare_decode.py [--bench PATH] [--threads 2] [--rounds 3] [--steps 16]

Three comparisons, each case measured round after round, interleaved, each run in its own process:

1. Our Transformer against GPT-2, per-token decode latency at batch 1 after a prompt of 2048 and
   of 8192 tokens. Both: 6 layers, E = 512, 4 heads of width 128 for Q, K and V (V = E: GPT-2's
   value width is its model width, and our TransformerConfig takes V = 512), LayerNorm before
   attention and FFN, a plain GELU FFN of width 2048 (GPT-2's n_inner; the same number of FFN
   weights as the parameter-matched GLU FFN of width 1365), vocabulary 256, float32. What
   differs: GPT-2 has biases on every linear map, learned absolute positions (a table of
   n_positions × E, one row read per token) where ours rotates Q and K, ties its output
   projection to the embedding, and its LayerNorm ε is 1e-5 (ours 1e-6). Those add O(E) work
   per layer and token, nothing that grows with the context. GPT-2 reads its prompt in chunks
   of 512 tokens (untimed), then each step is model(next token, past_key_values) — timed one by
   one, median — twice: with transformers' default DynamicCache (which concatenates every step's
   key and value to the cache, copying it) and with a StaticCache preallocated for the context
   and written in place, as ours is.
2. RetNet against our Transformer on `bench model`'s shape (6 layers, E = 512, V = 1024, 4 heads,
   FFN 1024, vocabulary 256, torchscale's variant; the Transformer's GLU FFN parameter-matched,
   1365): per-token latency at batch 1 for contexts 512, 2048, 8192, and tokens/s for batches 1,
   4, 8, 16 at context 2048 and batch 8 at context 8192.
3. RetNet's latency at 8192 over its latency at 512 (flat in the context: ≤ 1.1).

Each of our lines also carries the bytes/flops model's prediction (`DecodingCost`, with the read
bandwidth and FMA peak `bench decode` measures at its start on the same threads); the script
prints measured / predicted beside every time.
"""
import json
import statistics
import sys

import peers
from peers import spread

GPT2_PROBE = r"""
import json, statistics, sys, time, warnings
warnings.filterwarnings("ignore")
import torch
from transformers import GPT2Config, GPT2LMHeadModel, StaticCache
from transformers.utils import logging
logging.set_verbosity_error()
context, steps, threads, kind = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
torch.set_num_threads(threads)
torch.manual_seed(1)
config = GPT2Config(vocab_size=256, n_positions=context + steps + 8, n_embd=512, n_layer=6, n_head=4, n_inner=2048,
                    activation_function="gelu", resid_pdrop=0.0, embd_pdrop=0.0, attn_pdrop=0.0, bos_token_id=0,
                    eos_token_id=0)
model = GPT2LMHeadModel(config).eval()
generator = torch.Generator().manual_seed(2)
prompt = torch.randint(0, 256, (1, context), generator=generator)
following = torch.randint(0, 256, (1, steps + 1), generator=generator)
# dynamic: transformers' default DynamicCache (each step concatenates the new key and value to
# the cache); static: a StaticCache preallocated for the whole context, written in place.
cache = StaticCache(config=config, max_cache_len=context + steps + 8) if kind == "static" else None
def forward(ids, start):
    global cache
    out = model(input_ids=ids, past_key_values=cache, use_cache=True,
                cache_position=torch.arange(start, start + ids.shape[1]))
    cache = out.past_key_values
with torch.inference_mode():
    for start in range(0, context, 512):
        forward(prompt[:, start:start + 512], start)
    forward(following[:, :1], context)  # untimed
    times = []
    for i in range(1, steps + 1):
        begin = time.perf_counter()
        forward(following[:, i:i + 1], context + i)
        times.append(time.perf_counter() - begin)
ms = 1000 * statistics.median(times)
print(json.dumps({"threads": torch.get_num_threads(), "context": context, "cache": kind, "ms_per_token": ms,
                  "parameters": sum(p.numel() for p in model.parameters())}))
"""

GPT2_SHAPE = ["--model", "transformer", "--variant", "paper", "--value-dim", "512", "--transformer-ffn-dim", "2048"]


def ours(bench, arguments, threads, steps):
    """`bench decode`'s results for `arguments`, keyed by (model, sweep, context, batch)."""
    results = peers.bench_results(bench, ["decode", "--threads", str(threads), "--steps", str(steps)] + arguments)
    return {(r["parameters"]["model"], r["parameters"]["sweep"], r["parameters"]["context"], r["parameters"]["batch"]): r
            for r in results}


def gpt2(context, steps, threads, kind):
    return peers.probe(GPT2_PROBE, [context, steps, threads, kind])


def main():
    parser = peers.parser(__doc__)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--rounds", type=int, default=3, help="interleaved rounds")
    parser.add_argument("--steps", type=int, default=16, help="timed decoding steps per case")
    args = parser.parse_args()
    if args.threads < 1 or args.rounds < 1 or args.steps < 1:
        sys.exit("--threads, --rounds and --steps must be at least 1")
    try:
        import transformers  # noqa: F401 (the peer must be there before anything is measured)
    except ImportError:
        sys.exit("the peer needs Hugging Face transformers: pip install transformers")
    peer_contexts = [2048, 8192]
    contexts = [512, 2048, 8192]
    kinds = ["dynamic", "static"]
    runs = {"peer": [], "mixed": [], "batch8k": [], "gpt2": {(n, k): [] for n in peer_contexts for k in kinds}}
    for round in range(args.rounds):
        print(f"round {round + 1} of {args.rounds} …", file=sys.stderr)
        runs["peer"].append(ours(args.bench, GPT2_SHAPE + ["--contexts", ",".join(map(str, peer_contexts)), "--batches", ""],
                                 args.threads, args.steps))
        for n in peer_contexts:
            for kind in kinds:
                runs["gpt2"][(n, kind)].append(gpt2(n, args.steps, args.threads, kind)["ms_per_token"])
        runs["mixed"].append(ours(args.bench, ["--contexts", ",".join(map(str, contexts)), "--batches", "1,4,8,16",
                                               "--batch-context", "2048"], args.threads, args.steps))
        runs["batch8k"].append(ours(args.bench, ["--contexts", "", "--batches", "8", "--batch-context", "8192"],
                                    args.threads, args.steps))

    def times(run, key):
        """ms per token of one of our cases in every round, and its measured / predicted."""
        values = [r[key]["ms_per_token"] for r in runs[run]]
        ratios = [r[key]["parameters"]["measured_over_predicted"] for r in runs[run]]
        return values, statistics.median(ratios)

    first = runs["mixed"][0][("retnet", "context", 512, 1)]
    print(f"CPU (as bench names it): {first['cpu']}; threads {args.threads}; rounds {args.rounds}; "
          f"{args.steps} timed steps per case (median)")
    print(f"model inputs: read bandwidth {first['parameters']['read_bandwidth'] / 1e9:.1f} GB/s, "
          f"FMA peak {first['parameters']['peak_flops'] / 1e9:.0f} GFLOP/s (measured by bench decode, round 1)\n")

    print("1. our Transformer vs Hugging Face GPT-2 (KV cache, torch-CPU), batch 1, GPT-2's shape (V = E = 512, FFN 2048)")
    print(f"{'context':>8} {'ours ms/tok':>12} {'spread':>7} {'meas/pred':>10} {'GPT-2 cache':>12} {'ms/tok':>9} {'spread':>7} "
          f"{'ours speed-up':>14}")
    for n in peer_contexts:
        mine, model_ratio = times("peer", ("transformer", "context", n, 1))
        a = statistics.median(mine)
        for kind in kinds:
            other = runs["gpt2"][(n, kind)]
            b = statistics.median(other)
            print(f"{n:>8} {a:>12.3f} {spread(mine):>6.0f}% {model_ratio:>9.2f}× {kind:>12} {b:>9.3f} {spread(other):>6.0f}% "
                  f"{b / a:>13.2f}×")

    print("\n2. RetNet vs our Transformer, bench model's shape (V = 1024; the Transformer's FFN parameter-matched)")
    print(f"{'context':>8} {'batch':>6} {'RetNet ms/tok':>14} {'meas/pred':>10} {'Transformer ms/tok':>19} {'meas/pred':>10} "
          f"{'RetNet speed-up':>16}")
    cases = [("context", n, 1, "mixed") for n in contexts] + [("batch", 2048, b, "mixed") for b in [1, 4, 8, 16]] \
        + [("batch", 8192, 8, "batch8k")]
    medians = {}
    for sweep, n, b, run in cases:
        r, r_ratio = times(run, ("retnet", sweep, n, b))
        t, t_ratio = times(run, ("transformer", sweep, n, b))
        a, c = statistics.median(r), statistics.median(t)
        medians[(sweep, n, b)] = a
        print(f"{n:>8} {b:>6} {a:>14.3f} {r_ratio:>9.2f}× {c:>19.3f} {t_ratio:>9.2f}× {c / a:>15.2f}×")

    flat = medians[("context", 8192, 1)] / medians[("context", 512, 1)]
    print(f"\n3. RetNet per-token time at context 8192 / at 512 (batch 1): {flat:.3f}")


if __name__ == "__main__":
    main()
