#!/usr/bin/env python3
"""Writes the committed seed corpus of the fuzz targets from the torchscale and yet-another-retnet fixtures.

Corpus/safetensors/  whole model.safetensors files, their JSON headers alone, truncated files and
                     files with one header byte or length changed
Corpus/config/       the fixtures' config.json files and edited ones (wrong types, huge sizes,
                     unknown keys, broken JSON)
Corpus/checkpoint/   config and weights packed as the fuzz-checkpoint target reads them: a 4-byte
                     little-endian length n, n bytes of config.json, then model.safetensors
Corpus/yar-checkpoint/  the same packing of a yet-another-retnet fixture, and of edited configs

Deterministic: run it again and nothing changes.  python3 Tests/Fuzz/make_corpus.py
"""
import json
import os
import shutil
import struct

HERE = os.path.dirname(os.path.abspath(__file__))
FIXTURES = os.path.join(HERE, "..", "Fixtures", "torchscale")
# Small fixtures only (the largest seed sets libFuzzer's default input length).
NAMES = ["one-head-gelu", "scaled-embedding-eps0", "saved-f16", "saved-bf16"]


def read(name, file):
    with open(os.path.join(FIXTURES, name, file), "rb") as f:
        return f.read()


def put(kind, name, data):
    with open(os.path.join(HERE, "Corpus", kind, name), "wb") as f:
        f.write(data)


def main():
    for kind in ["safetensors", "config", "checkpoint", "yar-checkpoint"]:
        shutil.rmtree(os.path.join(HERE, "Corpus", kind), ignore_errors=True)
        os.makedirs(os.path.join(HERE, "Corpus", kind))
    for name in NAMES:
        weights = read(name, "model.safetensors")
        config = read(name, "config.json")
        header_length = struct.unpack("<Q", weights[:8])[0]
        put("safetensors", name, weights)
        put("safetensors", name + "-header-only", weights[: 8 + header_length])
        put("safetensors", name + "-truncated", weights[: len(weights) * 2 // 3])
        put("safetensors", name + "-long-header-length", struct.pack("<Q", header_length + 1000) + weights[8:])
        header = json.loads(weights[8 : 8 + header_length])
        first = sorted(k for k in header if k != "__metadata__")[0]
        header[first]["data_offsets"][1] += 4
        text = json.dumps(header).encode()
        put("safetensors", name + "-overlapping-offsets", struct.pack("<Q", len(text)) + text + weights[8 + header_length :])
        put("config", name, config)
        put("checkpoint", name, struct.pack("<I", len(config)) + config + weights)
    base = json.loads(read("one-head-gelu", "config.json"))
    edits = {
        "huge-layers": dict(base, decoder_layers=10**12),
        "huge-dims": dict(base, decoder_embed_dim=2**40, decoder_value_embed_dim=2**40, vocab_size=2**40),
        "string-sizes": dict(base, decoder_embed_dim="8"),
        "negative-eps": dict(base, layernorm_eps=-1),
        "unknown-key": dict(base, zeta=1),
        "odd-key-dim": dict(base, decoder_embed_dim=6, decoder_value_embed_dim=6, decoder_retention_heads=2),
    }
    weights = read("one-head-gelu", "model.safetensors")
    for label, edited in edits.items():
        text = json.dumps(edited, sort_keys=True).encode()
        put("config", label, text)
        put("checkpoint", "one-head-gelu-" + label, struct.pack("<I", len(text)) + text + weights)
    put("config", "broken-json", b'{"decoder_embed_dim": 8, "decoder_layers": [')
    put("config", "not-an-object", b"[1, 2, 3]")
    yar_checkpoints()


def yar_checkpoints():
    folder = os.path.join(HERE, "..", "Fixtures", "yet-another-retnet", "one-head-one-layer")
    with open(os.path.join(folder, "config.json"), "rb") as f:
        config = f.read()
    with open(os.path.join(folder, "model.safetensors"), "rb") as f:
        weights = f.read()
    put("yar-checkpoint", "one-head-one-layer", struct.pack("<I", len(config)) + config + weights)
    base = json.loads(config)
    edits = {
        "huge-layers": dict(base, num_layers=10**12),
        "huge-dims": dict(base, d_model=2**40, num_tokens=2**40),
        "gelu": dict(base, activation="gelu"),
        "post-norm": dict(base, norm_first=False),
        "two-heads": dict(base, nhead=2),
        "unknown-key": dict(base, decoder_layers=1),
    }
    for label, edited in edits.items():
        text = json.dumps(edited, sort_keys=True).encode()
        put("yar-checkpoint", "one-head-one-layer-" + label, struct.pack("<I", len(text)) + text + weights)


if __name__ == "__main__":
    main()
