#!/usr/bin/env python3
"""Side-by-side training-step speed: this package's loss and gradients (`bench training`, FastGradients)
against torchscale 0.3.0's RetNetDecoder forward + backward on torch-CPU, same shape, same threads, in one run.

    swift build -c release --product bench       # once
    python3 Sources/bench/compare_training.py [--bench PATH] [--threads 2] [--rounds 3]

The shape is nanoGPT's CPU example: 4 layers, 4 heads, width E = 128, value width V = 2E, FFN 4E
(torchscale's GLU), vocabulary 65, 12 sequences of 65 tokens (64 predictions each). Both sides time
a whole training step, as nanoGPT's loop takes it (median of 5 after one untimed):

- ours `bench training --optimizer`: `Trainer.takeStep`, the step `retnet train` takes — the loss
  and gradients (`FastGradients`), global-norm clipping at 1, AdamW (β = 0.9, 0.99, λ = 0.1) and
  the model with its new weights;
- torchscale: gradients zeroed, a forward pass in training mode (parallel form, no dropout), the
  mean cross-entropy of each next token, `loss.backward()`, `clip_grad_norm_(…, 1.0)` and
  `torch.optim.AdamW(lr=1e-3, betas=(0.9, 0.99), weight_decay=0.1).step()`.

With --gradients-only both sides stop after the backward pass (ours `FastGradients.lossAndGradients`
alone). Each round runs both, each in its own process; the script prints the medians over rounds,
their spread and the ratio ours/theirs in steps per second.
"""
import json
import statistics
import subprocess
import sys
import os

import peers
from peers import json_lines, spread

TORCH_PROBE = r"""
import json, statistics, sys, time, warnings
warnings.filterwarnings("ignore")
import torch
import torch.nn.functional as F
from torchscale.architecture.config import RetNetConfig
from torchscale.architecture.retnet import RetNetDecoder
layers, heads, width, value, ffn, vocab, batch, length, threads, whole = map(int, sys.argv[1:11])
torch.set_num_threads(threads)
torch.manual_seed(1)
config = RetNetConfig(decoder_embed_dim=width, decoder_value_embed_dim=value, decoder_retention_heads=heads,
                      decoder_ffn_embed_dim=ffn, decoder_layers=layers, vocab_size=vocab, dropout=0.0,
                      activation_dropout=0.0, drop_path_rate=0.0, activation_fn="gelu")
model = RetNetDecoder(config, embed_tokens=torch.nn.Embedding(vocab, width))
model.train()
optimizer = torch.optim.AdamW(model.parameters(), lr=1e-3, betas=(0.9, 0.99), weight_decay=0.1)
tokens = torch.randint(0, vocab, (batch, length), generator=torch.Generator().manual_seed(1))
def step():
    model.zero_grad(set_to_none=True)
    logits = model(tokens[:, :-1])[0]
    loss = F.cross_entropy(logits.reshape(-1, vocab), tokens[:, 1:].reshape(-1))
    loss.backward()
    if whole:
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        optimizer.step()
step()  # untimed
times = []
for _ in range(5):
    start = time.perf_counter()
    step()
    times.append(time.perf_counter() - start)
print(json.dumps({"threads": torch.get_num_threads(), "median_seconds": statistics.median(times)}))
"""


def ours(bench, args):
    out = subprocess.run([bench, "training", "--layers", str(args.layers), "--heads", str(args.heads),
                          "--width", str(args.width), "--value-width", str(args.value_width), "--ffn-width", str(args.ffn),
                          "--vocabulary", str(args.vocabulary), "--batch-size", str(args.batch),
                          "--context", str(args.length - 1),
                          "--threads", str(args.threads), "--repetitions", "5"] + ([] if args.gradients_only else ["--optimizer"]),
                         check=True, capture_output=True, text=True).stdout
    [result] = json_lines(out)
    if result["build"] != "release":
        sys.exit(f"{bench} is a {result['build']} build: its speeds say nothing (swift build -c release --product bench)")
    return result


def theirs(args):
    out = subprocess.run([sys.executable, "-c", TORCH_PROBE] + [str(x) for x in (
        args.layers, args.heads, args.width, args.value_width, args.ffn, args.vocabulary, args.batch, args.length,
        args.threads, 0 if args.gradients_only else 1)], check=True, capture_output=True, text=True).stdout
    [result] = json_lines(out)
    return result


def main():
    parser = peers.parser(__doc__)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--layers", type=int, default=4)
    parser.add_argument("--heads", type=int, default=4)
    parser.add_argument("--width", type=int, default=128)
    parser.add_argument("--value-width", type=int, default=256)
    parser.add_argument("--ffn", type=int, default=512)
    parser.add_argument("--vocabulary", type=int, default=65)
    parser.add_argument("--batch", type=int, default=12)
    parser.add_argument("--length", type=int, default=65, help="tokens per sequence (T + 1)")
    parser.add_argument("--gradients-only", action="store_true",
                        help="time the loss and gradients alone on both sides (no clipping, no AdamW step)")
    args = parser.parse_args()
    if not os.access(args.bench, os.X_OK):
        sys.exit(f"{args.bench} is not built: swift build -c release --product bench")
    if min(args.threads, args.rounds, args.layers, args.heads, args.width, args.batch) < 1 or args.length < 2:
        sys.exit("every size must be at least 1 (--length at least 2)")
    print(f"shape: {args.layers} layers, {args.heads} heads, E = {args.width}, V = {args.value_width}, "
          f"F = {args.ffn}, vocabulary {args.vocabulary}, {args.batch} × {args.length} tokens; "
          f"threads = {args.threads}, rounds = {args.rounds}\n")
    mine, other, cpu = [], [], None
    for _ in range(args.rounds):
        result = ours(args.bench, args)
        cpu = result["cpu"]
        mine.append(result["median_seconds"])
        other.append(theirs(args)["median_seconds"])
    a, b = statistics.median(mine), statistics.median(other)
    print(f"{'':<32} {'ms/step':>9} {'spread':>7}")
    step = "forward+backward" if args.gradients_only else "whole step"
    print(f"what each side times: {'the loss and gradients' if args.gradients_only else 'forward, backward, clipping, AdamW'}")
    print(f"{'ours (' + step + ')':<32} {1000 * a:>9.1f} {spread(mine):>6.0f}%")
    print(f"{'torchscale (' + step + ')':<32} {1000 * b:>9.1f} {spread(other):>6.0f}%")
    print(f"ours/theirs (steps per second): {b / a:.2f}×")
    print(f"CPU (as bench training names it): {cpu}")


if __name__ == "__main__":
    main()
