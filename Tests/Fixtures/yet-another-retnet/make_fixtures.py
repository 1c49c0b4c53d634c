#!/usr/bin/env python3
"""Builds small random yet-another-retnet 0.5.1 models and records their logits in all three forms.

yet-another-retnet (PyPI, pure torch) is an implementation of the paper's variant written
independently of torchscale: LayerNorm blocks with weight and bias, a GroupNorm per head without
weight or bias (ε = 1e-6 always: `RetNetDecoderLayer` does not pass `layer_norm_eps` on), a gate
through the same activation as the FFN, biases in every linear map and in the output head, V = E,
no norm after the last block, γ = 1 − exp(linspace(log 1/32, log 1/512, h)) and θ as torchscale
computes it, all in the model's dtype.

Each configuration below becomes a folder beside this script holding
  config.json        the keyword arguments of `yet_another_retnet.retnet.RetNet(...)` that define
                     the model (dropout is 0 and the model is in eval mode)
  model.safetensors  its state dict under its own names, float64 (the model is built in float64;
                     the `thetas` buffer of every layer included)
  logits.json        the tokens, the chunk size, and its logits in float64 from
                       forward_parallel(tokens),
                       forward_recurrent(token n, seq_idx=n, prev_states) for n = 0, 1, …, and
                       forward_chunkwise(tokens[s:s+B], start_idx=s, prev_states) for s = 0, B, …
                     the last chunk holding the remainder when B does not divide the length.

The model's initialisation sets every bias to 0 and the LayerNorm weights to 1; they are redrawn
here (N(0, 0.1²) and 1 + N(0, 0.1²)) so that a loader that ignores any of them fails.

The Swift tests load these with no Python. Regenerate (needs `pip install torch
yet-another-retnet==0.5.1 safetensors`) with:  python3 Tests/Fixtures/yet-another-retnet/make_fixtures.py
The output is deterministic for a given torch build (seeded); the committed files are the reference.
"""
import json
import os

import torch
from safetensors.torch import save_file
from yet_another_retnet.retnet import RetNet

HERE = os.path.dirname(os.path.abspath(__file__))

# name: (RetNet keyword arguments, sequence length, chunk size). yet-another-retnet needs
# d_model / nhead to be a multiple of 8.
CONFIGS = {
    "one-head-one-layer": (dict(num_tokens=20, d_model=8, nhead=1, num_layers=1, dim_feedforward=16), 7, 3),
    "two-heads-two-layers": (dict(num_tokens=40, d_model=32, nhead=2, num_layers=2, dim_feedforward=48), 12, 5),
    "four-heads-three-layers": (dict(num_tokens=48, d_model=32, nhead=4, num_layers=3, dim_feedforward=64), 11, 4),
    "eight-heads-wide": (dict(num_tokens=32, d_model=64, nhead=8, num_layers=1, dim_feedforward=24), 9, 9),
}

# The rest of RetNet's keyword arguments, at the values these fixtures use (its defaults, but dropout).
FIXED = dict(dropout=0.0, activation="swish", norm_first=True, layer_norm_eps=1e-6)


def build(keys, seed):
    torch.manual_seed(seed)
    model = RetNet(**keys, **FIXED, dtype=torch.float64)
    with torch.no_grad():
        for name, p in model.named_parameters():
            if name.endswith(".bias"):
                p.copy_(0.1 * torch.randn_like(p))
            elif ".norm" in name and name.endswith(".weight"):
                p.copy_(1 + 0.1 * torch.randn_like(p))
    return model.eval()


def logits(model, tokens, chunk):
    with torch.no_grad():
        parallel = model.forward_parallel(tokens)[0]
        rows, states = [], [None] * model.num_layers
        for n in range(tokens.size(1)):
            out, states = model.forward_recurrent(tokens[:, n], seq_idx=n, prev_states=states)
            rows.append(out[0])
        recurrent = torch.stack(rows)
        chunks, states = [], [None] * model.num_layers
        for start in range(0, tokens.size(1), chunk):
            out, states = model.forward_chunkwise(tokens[:, start:start + chunk], start_idx=start, prev_states=states)
            chunks.append(out[0])
        chunkwise = torch.cat(chunks)
    return parallel, recurrent, chunkwise


def write(folder, keys, length, chunk, seed):
    os.makedirs(folder, exist_ok=True)
    model = build(keys, seed=3000 + seed)
    state = {k: v.contiguous() for k, v in model.state_dict().items()}
    save_file(state, os.path.join(folder, "model.safetensors"), metadata={"format": "pt"})
    generator = torch.Generator().manual_seed(4000 + seed)
    tokens = torch.randint(0, keys["num_tokens"], (1, length), generator=generator)
    parallel, recurrent, chunkwise = logits(model, tokens, chunk)
    record = {"tokens": tokens[0].tolist(), "chunk_size": chunk, "dtype": "float64",
              "parallel": parallel.tolist(), "recurrent": recurrent.tolist(), "chunkwise": chunkwise.tolist()}
    with open(os.path.join(folder, "config.json"), "w") as f:
        json.dump(dict(keys, **FIXED), f, indent=2, sort_keys=True)
        f.write("\n")
    with open(os.path.join(folder, "logits.json"), "w") as f:
        json.dump(record, f, allow_nan=False)
        f.write("\n")
    spread = max((recurrent - parallel).abs().max().item(), (chunkwise - parallel).abs().max().item())
    print(f"{folder}: {len(state)} tensors, T = {length}, B = {chunk}; its own forms differ by {spread:.1e} at most")


def main():
    for index, (name, (keys, length, chunk)) in enumerate(CONFIGS.items()):
        write(os.path.join(HERE, name), keys, length, chunk, index)


if __name__ == "__main__":
    main()
