#!/usr/bin/env python3
"""Builds small random torchscale 0.3.0 RetNet decoders and records their logits.

Each configuration below becomes a folder beside this script holding
  config.json        the RetNetConfig keys that define the model
  model.safetensors  the state dict, torchscale's own tensor names (float32, or as the
                     configuration's storage says: built in float64 then saved as float32, or
                     saved in float16 / bfloat16 after `model.half()` / `.bfloat16()`, buffers
                     included)
  logits.json        the tokens and torchscale's logits in parallel, chunkwise and recurrent
                     mode (float32), and in parallel mode again in float64, all computed by a
                     model that loaded exactly the saved tensors (load_state_dict upcasts them).
                     chunkwise is null when torchscale's chunkwise mode produced NaN (eps = 0
                     with a length that is not a multiple of the chunk size: see below).

The Swift tests load these with no Python. Regenerate (needs `pip install torch torchscale
safetensors`) with:  python3 Tests/Fixtures/torchscale/make_fixtures.py
The output is deterministic for a given torch build (seeded), but the committed files are
the reference: regenerating on another torch version may change the last bits.

To make one checkpoint with a configuration of your own (for trying the `retnet` command):
  python3 make_fixtures.py --out /tmp/ckpt --config '{"decoder_embed_dim": 24, ...}' --length 17 --chunk-size 5 \
      [--build-dtype float64] [--save-dtype float16|bfloat16]
To regenerate only some fixtures:  python3 make_fixtures.py --only float64-built-saved-f32,saved-f16

Gradients (torch autograd, the reference for the Swift backward passes), written by the full run
and, on their own, by  python3 make_fixtures.py --gradients-only [--only …],  which reads the
committed model.safetensors and logits.json and changes neither:
  gradients.safetensors  every parameter's gradient under its `named_parameters()` name (the
                         checkpoint's), as "float64/<name>" (F64) and "float32/<name>" (F32)
  gradients.json         the tokens (logits.json's), the mode, and the loss of each run
The loss is F.cross_entropy(logits[0, :-1], tokens[1:]) (mean over the T − 1 next-token
predictions) in torchscale's parallel mode (chunkwise_recurrent=False, its default). The float64
run builds the decoder with default dtype float64 and loads the saved tensors, upcast (buffers
too: the stored angle and decay values are what it computes with); the float32 run does the same
in float32. torchscale 0.3.0 detaches its score normalisations, so autograd treats them as
constants.
"""
import argparse
import json
import os

import torch
from safetensors.torch import load_file, save_file
from torchscale.architecture.config import RetNetConfig
from torchscale.architecture.retnet import RetNetDecoder

HERE = os.path.dirname(os.path.abspath(__file__))

# name: (config keys, sequence length, chunk size[, storage])
# storage: (dtype the model is built in, dtype its state dict is saved in); float32 for both
# when absent.
CONFIGS = {
    "one-head-gelu": (dict(decoder_embed_dim=8, decoder_value_embed_dim=8, decoder_retention_heads=1,
                           decoder_ffn_embed_dim=16, decoder_layers=1, vocab_size=32,
                           activation_fn="gelu", layernorm_eps=1e-6), 7, 3),
    "two-heads-swish-wide-values": (dict(decoder_embed_dim=16, decoder_value_embed_dim=24, decoder_retention_heads=2,
                                         decoder_ffn_embed_dim=32, decoder_layers=2, vocab_size=48,
                                         activation_fn="swish", layernorm_eps=1e-6), 12, 4),
    "four-heads-three-layers-eps0": (dict(decoder_embed_dim=32, decoder_value_embed_dim=64, decoder_retention_heads=4,
                                          decoder_ffn_embed_dim=48, decoder_layers=3, vocab_size=64,
                                          activation_fn="gelu", layernorm_eps=0.0), 10, 4),
    "scaled-embedding-eps0": (dict(decoder_embed_dim=16, decoder_value_embed_dim=16, decoder_retention_heads=2,
                                   decoder_ffn_embed_dim=24, decoder_layers=1, vocab_size=40,
                                   activation_fn="swish", layernorm_eps=0.0, no_scale_embedding=False), 9, 9),
    # key_dim = 128 (64 angle pairs): torch's linspace rounds its second half with one fused
    # multiply-add, which a reimplementation must match to load the angle buffer.
    "wide-head-key-dim-128": (dict(decoder_embed_dim=128, decoder_value_embed_dim=64, decoder_retention_heads=1,
                                   decoder_ffn_embed_dim=16, decoder_layers=1, vocab_size=16,
                                   activation_fn="gelu", layernorm_eps=1e-6), 6, 4),
    # Buffers as real checkpoints store them. Built in float64, the angle buffer holds correctly
    # rounded values (10000^(-6/11) = 0.006579332 for key_dim 24), not torch's float32 ones.
    "float64-built-saved-f32": (dict(decoder_embed_dim=48, decoder_value_embed_dim=48, decoder_retention_heads=2,
                                     decoder_ffn_embed_dim=40, decoder_layers=2, vocab_size=50,
                                     activation_fn="swish", layernorm_eps=1e-6), 11, 4, ("float64", "float32")),
    # model.half(): weights and buffers in float16 (the angle buffer ~1e-3 relative from float32's).
    "saved-f16": (dict(decoder_embed_dim=32, decoder_value_embed_dim=32, decoder_retention_heads=2,
                       decoder_ffn_embed_dim=48, decoder_layers=2, vocab_size=40,
                       activation_fn="gelu", layernorm_eps=1e-6), 10, 5, ("float32", "float16")),
    # .bfloat16(): 8 significant bits; log γ of the later heads keeps only 2–3 digits.
    "saved-bf16": (dict(decoder_embed_dim=32, decoder_value_embed_dim=48, decoder_retention_heads=4,
                        decoder_ffn_embed_dim=32, decoder_layers=2, vocab_size=40,
                        activation_fn="swish", layernorm_eps=0.0), 8, 4, ("float32", "bfloat16")),
}

DTYPES = {"float32": torch.float32, "float64": torch.float64, "float16": torch.float16, "bfloat16": torch.bfloat16}


def build(keys, seed, dtype="float32"):
    torch.manual_seed(seed)
    config = RetNetConfig(**keys)
    previous = torch.get_default_dtype()
    torch.set_default_dtype(DTYPES[dtype])  # buffers and weights are computed in this dtype
    try:
        model = RetNetDecoder(config, embed_tokens=torch.nn.Embedding(keys["vocab_size"], keys["decoder_embed_dim"]))
    finally:
        torch.set_default_dtype(previous)
    # RMSNorm weights start at 1; perturb them so a loader that ignores them fails the test.
    with torch.no_grad():
        for name, p in model.named_parameters():
            if name.endswith("layer_norm.weight"):
                p.add_(0.1 * torch.randn_like(p))
    return model.eval()


def logits(model, tokens, mode):
    with torch.no_grad():
        if mode == "recurrent":
            state, rows = {}, []
            for n in range(tokens.size(1)):
                out, _ = model(tokens[:, : n + 1], incremental_state=state)
                rows.append(out[0, -1])
            return torch.stack(rows)
        return model(tokens)[0][0]


def write(folder, keys, length, chunk, seed, storage=("float32", "float32")):
    build_dtype, save_dtype = storage
    os.makedirs(folder, exist_ok=True)
    built = build(keys, seed=1000 + seed, dtype=build_dtype)
    state = {k: v.to(DTYPES[save_dtype]).contiguous() for k, v in built.state_dict().items()}
    save_file(state, os.path.join(folder, "model.safetensors"), metadata={"format": "pt"})
    # Every logit comes from exactly what was saved: a float32 model loads the file back
    # (load_state_dict upcasts float16/bfloat16 weights and buffers, which torchscale then uses).
    saved = load_file(os.path.join(folder, "model.safetensors"))
    model = build(keys, seed=1000 + seed)
    model.load_state_dict(saved)
    generator = torch.Generator().manual_seed(2000 + seed)
    tokens = torch.randint(0, keys["vocab_size"], (1, length), generator=generator)

    record = {"tokens": tokens[0].tolist(), "chunk_size": chunk, "layernorm_eps": keys["layernorm_eps"]}
    if storage != ("float32", "float32"):
        record["built_in"], record["saved_as"] = build_dtype, save_dtype
    record["parallel"] = logits(model, tokens, "parallel").tolist()
    record["recurrent"] = logits(model, tokens, "recurrent").tolist()
    chunked = build(dict(keys, chunkwise_recurrent=True, recurrent_chunk_size=chunk), seed=1000 + seed)
    chunked.load_state_dict(saved)
    chunkwise = logits(chunked, tokens, "parallel")
    # With eps = 0 and a length that is not a multiple of B, torchscale's zero padding meets
    # RMSNorm(0) = 0/0 = NaN, and 0 · NaN in the next layer's chunk product spreads it to real
    # rows. Record that as null (JSON has no NaN) and say so.
    record["chunkwise_is_nan"] = bool(torch.isnan(chunkwise).any())
    record["chunkwise"] = None if record["chunkwise_is_nan"] else chunkwise.tolist()
    wide = build(keys, seed=1000 + seed)
    wide.load_state_dict(saved)
    record["parallel_float64"] = logits(wide.double(), tokens, "parallel").tolist()

    with open(os.path.join(folder, "config.json"), "w") as f:
        json.dump(keys, f, indent=2, sort_keys=True)
        f.write("\n")
    with open(os.path.join(folder, "logits.json"), "w") as f:
        json.dump(record, f, allow_nan=False)
        f.write("\n")
    print(f"{folder}: {len(state)} tensors, T = {length}, B = {chunk}, built in {build_dtype}, saved as {save_dtype}")


def gradients(folder, keys):
    """Writes gradients.safetensors and gradients.json for the checkpoint in `folder`."""
    saved = load_file(os.path.join(folder, "model.safetensors"))
    with open(os.path.join(folder, "logits.json")) as f:
        tokens = torch.tensor([json.load(f)["tokens"]])
    tensors, record = {}, {"tokens": tokens[0].tolist(), "mode": "parallel",
                           "loss": "F.cross_entropy(logits[0, :-1], tokens[1:])"}
    for dtype in ("float64", "float32"):
        model = build(keys, seed=0, dtype=dtype)  # every weight is overwritten by the load
        model.load_state_dict(saved)  # upcasts float16/bfloat16/float32 tensors to the model's dtype
        output = model(tokens)[0]
        loss = torch.nn.functional.cross_entropy(output[0, :-1], tokens[0, 1:])
        loss.backward()
        for name, p in model.named_parameters():
            tensors[f"{dtype}/{name}"] = p.grad.detach().contiguous()
        record[f"loss_{dtype}"] = loss.item()
    save_file(tensors, os.path.join(folder, "gradients.safetensors"), metadata={"format": "pt"})
    with open(os.path.join(folder, "gradients.json"), "w") as f:
        json.dump(record, f, indent=2, sort_keys=True)
        f.write("\n")
    print(f"{folder}: gradients of {len(tensors) // 2} parameters, loss {record['loss_float64']:.6f} (float64)")


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", help="write one checkpoint here instead of the committed fixtures")
    parser.add_argument("--config", help="RetNetConfig keys as JSON (with --out)")
    parser.add_argument("--length", type=int, default=16)
    parser.add_argument("--chunk-size", type=int, default=4)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--build-dtype", choices=["float32", "float64"], default="float32",
                        help="dtype the model (weights and buffers) is built in (with --out)")
    parser.add_argument("--save-dtype", choices=["float32", "float16", "bfloat16"], default="float32",
                        help="dtype the state dict is saved in (with --out)")
    parser.add_argument("--only", help="comma-separated fixture names to regenerate (default: all)")
    parser.add_argument("--gradients-only", action="store_true",
                        help="only (re)write gradients.safetensors and gradients.json from the committed checkpoints")
    args = parser.parse_args()
    if args.out:
        if not args.config:
            parser.error("--out needs --config")
        if not args.gradients_only:
            write(args.out, json.loads(args.config), args.length, args.chunk_size, args.seed,
                  (args.build_dtype, args.save_dtype))
        gradients(args.out, json.loads(args.config))
        return
    only = set(args.only.split(",")) if args.only else None
    if only and not only <= set(CONFIGS):
        parser.error(f"unknown fixtures: {sorted(only - set(CONFIGS))}")
    for index, (name, spec) in enumerate(CONFIGS.items()):
        if only is None or name in only:
            if not args.gradients_only:
                write(os.path.join(HERE, name), *spec[:3], index, *spec[3:])
            gradients(os.path.join(HERE, name), spec[0])


if __name__ == "__main__":
    main()
