#!/usr/bin/env python3
"""Side-by-side training-step speed: this package's loss and gradients (`bench training`, FastGradients)
against torchscale 0.3.0's RetNetDecoder forward + backward on torch-CPU, same shape, same threads, in one run.

    swift build -c release --product bench       # once
    python3 Sources/bench/compare_training.py [--bench PATH] [--threads 2] [--rounds 3]

The shape is `retnet train`'s default (nanoGPT's CPU example's sizes): 4 layers, 4 heads, width
E = 128, value width V = 2E, FFN 2E (the paper's), vocabulary 65, 12 sequences of 65 tokens (64 predictions each). Both sides time
a whole training step, as nanoGPT's loop takes it (median of 5 after one untimed):

- ours `bench training --optimizer`: `Trainer.takeStep`, the step `retnet train` takes — the loss
  and gradients (`FastGradients`), global-norm clipping at 1, AdamW (β = 0.9, 0.99, λ = 0.1) and
  the model with its new weights;
- torchscale: gradients zeroed, a forward pass in training mode (parallel form, no dropout), the
  mean cross-entropy of each next token, `loss.backward()`, `clip_grad_norm_(…, 1.0)` and
  `torch.optim.AdamW(lr=1e-3, betas=(0.9, 0.99), weight_decay=0.1).step()`.

torchscale is timed twice, eager and `torch.compile`d (the default inductor backend; --no-compiled
skips it): the compiled model is warmed up with --warmup untimed steps (the first compiles), then
timed like the eager one; the probe counts the graphs dynamo compiled during warm-up and during the
timed steps (a recompilation shows as a graph added while timing; the script says so), and reports
the median and the best (steady-state) step.

With --gradients-only every side stops after the backward pass (ours `FastGradients.lossAndGradients`
alone). Each round runs every side, each in its own process; the script prints the medians over
rounds, their spread and the ratio ours/theirs in steps per second.
"""
import os
import statistics
import sys

import peers
from peers import spread

TORCH_PROBE = peers.TORCH_TRAINING + r"""
import json, sys, warnings
warnings.filterwarnings("ignore")
import torch
from torchscale.architecture.config import RetNetConfig
from torchscale.architecture.retnet import RetNetDecoder
layers, heads, width, value, ffn, vocab, batch, length, threads, whole, compiled, warmup = map(int, sys.argv[1:13])
torch.set_num_threads(threads)
torch.manual_seed(1)
config = RetNetConfig(decoder_embed_dim=width, decoder_value_embed_dim=value, decoder_retention_heads=heads,
                      decoder_ffn_embed_dim=ffn, decoder_layers=layers, vocab_size=vocab, dropout=0.0,
                      activation_dropout=0.0, drop_path_rate=0.0, activation_fn="gelu")
model = RetNetDecoder(config, embed_tokens=torch.nn.Embedding(vocab, width))
tokens = torch.randint(0, vocab, (batch, length), generator=torch.Generator().manual_seed(1))
forward = torch.compile(model) if compiled else model
print(json.dumps(time_training(model, lambda x: forward(x)[0], tokens, vocab, whole, compiled, warmup)))
"""


def ours(bench, args):
    [result] = peers.bench_results(bench, [
        "training", "--layers", str(args.layers), "--heads", str(args.heads), "--width", str(args.width),
        "--value-width", str(args.value_width), "--ffn-width", str(args.ffn), "--vocabulary", str(args.vocabulary),
        "--batch-size", str(args.batch), "--context", str(args.length - 1), "--threads", str(args.threads),
        "--repetitions", "5"] + ([] if args.gradients_only else ["--optimizer"]))
    return result


def theirs(args, compiled):
    return peers.probe(TORCH_PROBE, [args.layers, args.heads, args.width, args.value_width, args.ffn, args.vocabulary,
                                     args.batch, args.length, args.threads, 0 if args.gradients_only else 1,
                                     1 if compiled else 0, args.warmup])


def main():
    parser = peers.parser(__doc__)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--layers", type=int, default=4)
    parser.add_argument("--heads", type=int, default=4)
    parser.add_argument("--width", type=int, default=128)
    parser.add_argument("--value-width", type=int, default=256)
    parser.add_argument("--ffn", type=int, default=256, help="FFN width (default 256: retnet train's default)")
    parser.add_argument("--vocabulary", type=int, default=65)
    parser.add_argument("--batch", type=int, default=12)
    parser.add_argument("--length", type=int, default=65, help="tokens per sequence (T + 1)")
    parser.add_argument("--gradients-only", action="store_true",
                        help="time the loss and gradients alone on every side (no clipping, no AdamW step)")
    parser.add_argument("--no-compiled", action="store_true", help="time torchscale eager only (no torch.compile)")
    parser.add_argument("--warmup", type=int, default=3, help="untimed steps of the compiled model before timing (default 3)")
    args = parser.parse_args()
    if not os.access(args.bench, os.X_OK):
        sys.exit(f"{args.bench} is not built: swift build -c release --product bench")
    if min(args.threads, args.rounds, args.layers, args.heads, args.width, args.batch, args.warmup) < 1 or args.length < 2:
        sys.exit("every size must be at least 1 (--length at least 2)")
    print(f"shape: {args.layers} layers, {args.heads} heads, E = {args.width}, V = {args.value_width}, "
          f"F = {args.ffn}, vocabulary {args.vocabulary}, {args.batch} × {args.length} tokens; "
          f"threads = {args.threads}, rounds = {args.rounds}\n")
    sides = ["eager"] + ([] if args.no_compiled else ["compiled"])
    mine, other, cpu = [], {side: [] for side in sides}, None
    best, notes = {side: [] for side in sides}, []
    for round_ in range(args.rounds):
        result = ours(args.bench, args)
        cpu = result["cpu"]
        mine.append(result["median_seconds"])
        for side in sides:
            peer = theirs(args, side == "compiled")
            other[side].append(peer["median_seconds"])
            best[side].append(peer["best_seconds"])
            if side == "compiled":
                notes.append(f"round {round_ + 1}: torch {peer['torch']} compiled {peer['graphs_in_warmup']} graph(s) in "
                             f"{peer['warmup_seconds']:.1f} s of warm-up, {peer['graphs_while_timed']} more while timed")
    a = statistics.median(mine)
    step = "forward+backward" if args.gradients_only else "whole step"
    print(f"what each side times: {'the loss and gradients' if args.gradients_only else 'forward, backward, clipping, AdamW'}")
    print(f"{'':<40} {'ms/step':>9} {'spread':>7} {'best':>9} {'ours/theirs':>12}")
    print(f"{'ours (' + step + ')':<40} {1000 * a:>9.1f} {spread(mine):>6.0f}% {1000 * min(mine):>9.1f}")
    for side in sides:
        b = statistics.median(other[side])
        name = f"torchscale {'torch.compile' if side == 'compiled' else 'eager'} ({step})"
        print(f"{name:<40} {1000 * b:>9.1f} {spread(other[side]):>6.0f}% {1000 * min(best[side]):>9.1f} {b / a:>11.2f}×")
    for note in notes:
        print(note)
    if any(" 0 more" not in note for note in notes):
        print("torch.compile recompiled while timed: its median includes compilation; its best step is its steady state")
    print(f"CPU (as bench training names it): {cpu}")


if __name__ == "__main__":
    main()
