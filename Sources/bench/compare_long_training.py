#!/usr/bin/env python3
"""Side-by-side training steps at long sequences: our RetNet chunkwise and our tiled Transformer against torch's
scaled_dot_product_attention Transformer and torchscale 0.3.0's chunkwise RetNet, same shapes, same threads, in one run.

    swift build -c release --product bench       # once
    python3 Sources/bench/compare_long_training.py [--bench PATH] [--length 8192] [--threads 2] [--rounds 3]

The shape (flags for each): --length tokens predicted per sequence (n; a sequence is n + 1 tokens), batch 1,
width E = 256, 4 layers, 4 heads, value width V = 2E and FFN 2E (the paper's, `retnet train`'s defaults),
vocabulary 65, 2 threads (torch.set_num_threads on the torch side). The contenders:

- ours, RetNet chunkwise: `bench training --model retnet --form chunkwise --chunk-size B` (FastGradients,
  B×B scores per chunk, each chunk's state kept);
- ours, Transformer tiled: `bench training --model transformer --form tiled --chunk-size B′` (the RetNet's
  Transformer baseline, FlashAttention's tiling on our kernels; B′ = --block-size, by default B);
- torch SDPA Transformer: the same Transformer written in torch — RMSNorm, rotary positions on Q and K
  (torchscale's angles), softmax attention through `F.scaled_dot_product_attention(is_causal=True)`, a GLU FFN
  of our Transformer's width F′ (bench's ffn_width), untied embedding and output projection, no biases — whose parameter count is
  checked equal to ours (`bench training`'s parameter_count); eager and `torch.compile`d;
- torchscale RetNetDecoder with `chunkwise_recurrent=True, recurrent_chunk_size=B` (the parameter count
  checked equal to our RetNet's); eager and `torch.compile`d.

A torch contender that fails to compile is reported in the table (and the JSON) and not run again.

torch's CPU flash kernel needs Q, K and V of one head width; ours have d_v = V/h = 2·d_k. With --sdpa split
(the default) each head's values are split into d_v/d_k slices of width d_k, each attended with the same
Q and K (one SDPA call over h·d_v/d_k heads: the same outputs, checked against one call at a small size,
and the flash kernel, at the price of computing each head's scores d_v/d_k times); --sdpa whole passes
the values whole (one call, which torch runs in its math kernel, T×T scores kept). The kernel torch chose
is reported.

Every side times a whole training step (median of --repetitions after one untimed, or --warmup for a
compiled model, whose graphs compiled in warm-up and while timed are counted, as compare_training.py
does): ours `bench training --optimizer` (Trainer.takeStep: loss and gradients, clipping at 1, AdamW and
the new weights), torch's forward, backward, `clip_grad_norm_(…, 1.0)` and AdamW (lr 1e-3, betas 0.9, 0.99,
weight decay 0.1). With --gradients-only every side stops after the backward pass. Each round runs every
contender in its own process; the script prints the medians over rounds, their spread, the best (torch's
fastest timed step; ours, the best round's median, as bench reports medians), and how many times
longer each contender's step is than our RetNet's and than our Transformer's, then one JSON object (the
last line of standard output) with every number.
"""
import json
import os
import statistics
import sys

import peers
from peers import spread

# The Transformer baseline (Sources/Transformer, TransformerConfig(matching:)) in torch, timed.
SDPA_PROBE = peers.TORCH_TRAINING + peers.TORCH_KERNEL + r"""
import json, sys, warnings
warnings.filterwarnings("ignore")
import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.nn.attention import SDPBackend
layers, heads, width, value, ffn, vocab, batch, length, threads, whole, compiled, warmup, repetitions, split = \
    map(int, sys.argv[1:15])
torch.set_num_threads(threads)
torch.manual_seed(1)
dk, dv = width // heads, value // heads
slices = dv // dk if split and dv % dk == 0 else 1


def rotate_every_two(x):
    return torch.stack((-x[..., 1::2], x[..., ::2]), dim=-1).flatten(-2)


def attention(q, k, v, slices):
    # q, k: batch × heads × T × d_k; v: batch × heads × T × d_v. With slices > 1 each head's values are
    # attended as `slices` heads of width d_v / slices with the head's Q and K (the same outputs).
    b, h, t, dv = v.shape
    if slices == 1:
        return F.scaled_dot_product_attention(q, k, v, is_causal=True)
    q, k = q.repeat_interleave(slices, dim=1), k.repeat_interleave(slices, dim=1)
    v = v.reshape(b, h, t, slices, dv // slices).permute(0, 1, 3, 2, 4).reshape(b, h * slices, t, dv // slices)
    out = F.scaled_dot_product_attention(q, k, v, is_causal=True)
    return out.reshape(b, h, slices, t, dv // slices).permute(0, 1, 3, 2, 4).reshape(b, h, t, dv)


class Block(nn.Module):
    def __init__(self):
        super().__init__()
        self.attention_norm, self.ffn_norm = nn.RMSNorm(width, eps=1e-6), nn.RMSNorm(width, eps=1e-6)
        self.q, self.k = nn.Linear(width, width, bias=False), nn.Linear(width, width, bias=False)
        self.v, self.out = nn.Linear(width, value, bias=False), nn.Linear(value, width, bias=False)
        self.fc1, self.gate = nn.Linear(width, ffn, bias=False), nn.Linear(width, ffn, bias=False)
        self.fc2 = nn.Linear(ffn, width, bias=False)

    def forward(self, x, cos, sin):
        b, t, _ = x.shape
        h = self.attention_norm(x)
        q = self.q(h).view(b, t, heads, dk).transpose(1, 2)
        k = self.k(h).view(b, t, heads, dk).transpose(1, 2)
        v = self.v(h).view(b, t, heads, dv).transpose(1, 2)
        q, k = q * cos + rotate_every_two(q) * sin, k * cos + rotate_every_two(k) * sin
        x = x + self.out(attention(q, k, v, slices).transpose(1, 2).reshape(b, t, value))
        h = self.ffn_norm(x)
        return x + self.fc2(F.gelu(self.fc1(h)) * self.gate(h))


class Model(nn.Module):
    def __init__(self):
        super().__init__()
        self.embed = nn.Embedding(vocab, width)
        self.blocks = nn.ModuleList(Block() for _ in range(layers))
        self.norm = nn.RMSNorm(width, eps=1e-6)
        self.output = nn.Linear(width, vocab, bias=False)
        angle = 1.0 / (10000 ** torch.linspace(0, 1, dk // 2))
        self.register_buffer("angle", angle.unsqueeze(-1).repeat(1, 2).flatten(), persistent=False)

    def forward(self, tokens):
        phase = torch.arange(tokens.shape[1], dtype=torch.float32)[:, None] * self.angle[None, :]
        cos, sin = torch.cos(phase), torch.sin(phase)
        x = self.embed(tokens)
        for block in self.blocks:
            x = block(x, cos, sin)
        return self.output(self.norm(x))


# The split is the same attention: checked once at a small size before anything is timed.
with torch.no_grad():
    q, k, v = torch.randn(1, heads, 9, dk), torch.randn(1, heads, 9, dk), torch.randn(1, heads, 9, dv)
    gap = (attention(q, k, v, slices) - attention(q, k, v, 1)).abs().max().item()
    if gap > 1e-5:
        sys.exit(f"values attended in {slices} slices differ from one call by {gap}")
model = Model()
probe_shape = (torch.randn(batch, heads * slices, length - 1, dk), torch.randn(batch, heads * slices, length - 1, dk),
               torch.randn(batch, heads * slices, length - 1, dv // slices))
backends = {b.value if hasattr(b, "value") else int(b): b.name for b in SDPBackend.__members__.values()}
choice = torch._fused_sdp_choice(*probe_shape, is_causal=True)
del probe_shape
tokens = torch.randint(0, vocab, (batch, length), generator=torch.Generator().manual_seed(1))
forward = torch.compile(model) if compiled else model
result = time_or_failure(model, forward, tokens, vocab, whole, compiled, warmup, repetitions)
result.update(parameter_count=sum(p.numel() for p in model.parameters()), sdpa_backend=backends.get(int(choice), str(choice)),
              value_slices=slices, kernel=torch_kernel())
print(json.dumps(result))
"""

# torchscale's RetNetDecoder in its chunkwise form, timed.
TORCHSCALE_PROBE = peers.TORCH_TRAINING + r"""
import json, sys, warnings
warnings.filterwarnings("ignore")
import torch
from torchscale.architecture.config import RetNetConfig
from torchscale.architecture.retnet import RetNetDecoder
layers, heads, width, value, ffn, vocab, batch, length, threads, whole, compiled, warmup, repetitions, chunk = \
    map(int, sys.argv[1:15])
torch.set_num_threads(threads)
torch.manual_seed(1)
config = RetNetConfig(decoder_embed_dim=width, decoder_value_embed_dim=value, decoder_retention_heads=heads,
                      decoder_ffn_embed_dim=ffn, decoder_layers=layers, vocab_size=vocab, dropout=0.0,
                      activation_dropout=0.0, drop_path_rate=0.0, activation_fn="gelu",
                      chunkwise_recurrent=True, recurrent_chunk_size=chunk)
model = RetNetDecoder(config, embed_tokens=torch.nn.Embedding(vocab, width))
tokens = torch.randint(0, vocab, (batch, length), generator=torch.Generator().manual_seed(1))
forward = torch.compile(model) if compiled else model
count = sum(p.numel() for p in model.parameters())
result = time_or_failure(model, lambda x: forward(x)[0], tokens, vocab, whole, compiled, warmup, repetitions)
result.update(parameter_count=count)
print(json.dumps(result))
"""


def ours(args, model):
    """Our `model`'s training step in its long-sequence form, from `bench training`."""
    form, size = ("chunkwise", args.chunk_size) if model == "retnet" else ("tiled", args.block_size or args.chunk_size)
    [result] = peers.bench_results(args.bench, [
        "training", "--model", model, "--form", form, "--chunk-size", str(size), "--layers", str(args.layers),
        "--heads", str(args.heads), "--width", str(args.width), "--value-width", str(args.value_width),
        "--ffn-width", str(args.ffn), "--vocabulary", str(args.vocabulary), "--batch-size", str(args.batch),
        "--context", str(args.length), "--threads", str(args.threads), "--repetitions", str(args.repetitions)]
        + ([] if args.gradients_only else ["--optimizer"]))
    return result


def theirs(args, probe, compiled, last, ffn):
    """A torch contender's result: `probe` run with the shared shape, `ffn` as the FFN width and `last` as
    its last argument."""
    return peers.probe(probe, [args.layers, args.heads, args.width, args.value_width, ffn, args.vocabulary,
                               args.batch, args.length + 1, args.threads, 0 if args.gradients_only else 1,
                               1 if compiled else 0, args.warmup, args.repetitions, last])


def arguments():
    parser = peers.parser(__doc__)
    parser.add_argument("--length", type=int, default=8192, help="tokens predicted per sequence, n (default 8192)")
    parser.add_argument("--batch", type=int, default=1)
    parser.add_argument("--width", type=int, default=256)
    parser.add_argument("--layers", type=int, default=4)
    parser.add_argument("--heads", type=int, default=4)
    parser.add_argument("--value-width", type=int, help="V (default 2·width)")
    parser.add_argument("--ffn", type=int, help="the RetNet's FFN width F (default 2·width)")
    parser.add_argument("--vocabulary", type=int, default=65)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--chunk-size", type=int, default=256, help="B of both chunkwise RetNets (default 256)")
    parser.add_argument("--block-size", type=int, help="B′ of our tiled Transformer (default: --chunk-size)")
    parser.add_argument("--sdpa", choices=["split", "whole"], default="split",
                        help="the torch Transformer's values: split to d_k-wide slices for the flash kernel, or whole")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--repetitions", type=int, default=5, help="timed steps per contender and round (default 5)")
    parser.add_argument("--warmup", type=int, default=3, help="untimed steps of a compiled model before timing (default 3)")
    parser.add_argument("--gradients-only", action="store_true",
                        help="time the loss and gradients alone on every side (no clipping, no AdamW step)")
    parser.add_argument("--no-compiled", action="store_true", help="time the torch contenders eager only")
    args = parser.parse_args()
    args.value_width = args.value_width or 2 * args.width
    args.ffn = args.ffn or 2 * args.width
    if not os.access(args.bench, os.X_OK):
        sys.exit(f"{args.bench} is not built: swift build -c release --product bench")
    sizes = (args.length, args.batch, args.width, args.layers, args.heads, args.value_width, args.ffn, args.vocabulary,
             args.threads, args.chunk_size, args.block_size or 1, args.rounds, args.repetitions, args.warmup)
    if min(sizes) < 1:
        sys.exit("every size must be at least 1")
    if max(args.chunk_size, args.block_size or 1) > args.length:
        sys.exit(f"--chunk-size and --block-size must be at most --length {args.length}")
    return args


def main():
    args = arguments()
    print(f"shape: {args.layers} layers, {args.heads} heads, E = {args.width}, V = {args.value_width}, F = {args.ffn}, "
          f"vocabulary {args.vocabulary}, {args.batch} × {args.length + 1} tokens; B = {args.chunk_size}, "
          f"B′ = {args.block_size or args.chunk_size}; threads = {args.threads}, rounds = {args.rounds}\n", flush=True)
    contenders = ["ours RetNet chunkwise", "ours Transformer tiled", "torch SDPA Transformer eager",
                  "torchscale RetNet chunkwise eager"]
    if not args.no_compiled:
        contenders[3:3] = ["torch SDPA Transformer compiled"]
        contenders.append("torchscale RetNet chunkwise compiled")
    times = {name: [] for name in contenders}
    best = {name: [] for name in contenders}
    notes, failed, facts = [], {}, {}
    for round_ in range(args.rounds):
        for name in contenders:
            if name in failed:
                continue
            compiled = name.endswith("compiled")
            if name.startswith("ours"):
                result = ours(args, "retnet" if "RetNet" in name else "transformer")
                facts["cpu"] = result["cpu"]
                facts[name + " parameters"] = result["parameters"]["parameter_count"]
                facts[name + " ffn"] = result["parameters"]["ffn_width"]
                times[name].append(result["median_seconds"])
                best[name].append(result["median_seconds"])
                continue
            if name.startswith("torch SDPA"):
                result = theirs(args, SDPA_PROBE, compiled, 1 if args.sdpa == "split" else 0, facts["ours Transformer tiled ffn"])
                facts["sdpa"] = (f"{result['kernel']}; SDPA kernel {result['sdpa_backend']}, values in "
                                 f"{result['value_slices']} slice(s) per head")
                expected = facts["ours Transformer tiled parameters"]
            else:
                result = theirs(args, TORCHSCALE_PROBE, compiled, args.chunk_size, args.ffn)
                expected = facts["ours RetNet chunkwise parameters"]
            if result["parameter_count"] != expected:
                sys.exit(f"{name} has {result['parameter_count']} parameters, ours {expected}: not the same model size")
            if "failed" in result:
                failed[name] = result["failed"]
                continue
            times[name].append(result["median_seconds"])
            best[name].append(result["best_seconds"])
            if compiled:
                notes.append(f"round {round_ + 1}: {name}: torch {result['torch']} compiled {result['graphs_in_warmup']} "
                             f"graph(s) in {result['warmup_seconds']:.1f} s of warm-up, {result['graphs_while_timed']} "
                             f"more while timed")
    report(args, contenders, times, best, notes, failed, facts)


def report(args, contenders, times, best, notes, failed, facts):
    step = "the loss and gradients" if args.gradients_only else "forward, backward, clipping, AdamW"
    retnet = statistics.median(times["ours RetNet chunkwise"])
    transformer = statistics.median(times["ours Transformer tiled"])
    print(f"what each contender times: {step}; the ratios are the contender's ms/step over ours (> 1: ours faster)")
    print(f"{'':<38} {'ms/step':>10} {'spread':>7} {'best':>10} {'÷ our RetNet':>13} {'÷ our Trm':>10}")
    rows = {}
    for name in contenders:
        if name in failed:
            print(f"{name:<38} {'—':>10}   {failed[name]}")
            rows[name] = {"failed": failed[name]}
            continue
        ms = 1000 * statistics.median(times[name])
        rows[name] = {"ms_per_step": ms, "spread_percent": spread(times[name]), "best_ms": 1000 * min(best[name]),
                      "over_our_retnet": ms / 1000 / retnet, "over_our_transformer": ms / 1000 / transformer}
        print(f"{name:<38} {ms:>10.1f} {spread(times[name]):>6.0f}% {1000 * min(best[name]):>10.1f} "
              f"{ms / 1000 / retnet:>12.2f}× {ms / 1000 / transformer:>9.2f}×")
    for note in notes:
        print(note)
    if any(" 0 more" not in note for note in notes):
        print("torch.compile recompiled while timed: its median includes compilation; its best step is its steady state")
    print(f"torch Transformer: {facts.get('sdpa', 'not run')}")
    print(f"parameters: our RetNet and torchscale's {facts['ours RetNet chunkwise parameters']:,}, "
          f"our Transformer and torch's {facts['ours Transformer tiled parameters']:,} (each pair checked equal)")
    print(f"CPU (as bench training names it): {facts['cpu']}")
    print(json.dumps({"length": args.length, "batch": args.batch, "width": args.width, "layers": args.layers,
                      "heads": args.heads, "value_width": args.value_width, "ffn_width": args.ffn,
                      "transformer_ffn_width": facts["ours Transformer tiled ffn"], "vocabulary": args.vocabulary, "threads": args.threads,
                      "chunk_size": args.chunk_size, "block_size": args.block_size or args.chunk_size, "sdpa": args.sdpa,
                      "rounds": args.rounds, "repetitions": args.repetitions, "step": step, "cpu": facts["cpu"],
                      "torch_transformer": facts.get("sdpa"), "contenders": rows, "notes": notes}, sort_keys=True))


if __name__ == "__main__":
    main()
