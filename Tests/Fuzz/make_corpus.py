#!/usr/bin/env python3
"""Writes the committed seed corpus of the fuzz targets from the torchscale and yet-another-retnet fixtures.

Corpus/safetensors/  whole model.safetensors files, their JSON headers alone, truncated files and
                     files with one header byte or length changed
Corpus/config/       the fixtures' config.json files and edited ones (wrong types, huge sizes,
                     unknown keys, broken JSON)
Corpus/checkpoint/   config and weights packed as the fuzz-checkpoint target reads them: a 4-byte
                     little-endian length n, n bytes of config.json, then model.safetensors
Corpus/yar-checkpoint/  the same packing of a yet-another-retnet fixture, and of edited configs
Corpus/training/     training.json files as `retnet train` writes them, and edited ones (sizes of
                     10^12 and 2^63 - 1, a negative or fractional step, wrong types, broken JSON)

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
    for kind in ["safetensors", "config", "checkpoint", "yar-checkpoint", "training"]:
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
    training()


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



# A run's training.json as `retnet train --layers 1 --heads 1 --width 4 --context 8 --batch-size 2
# --iterations 2 --eval-interval 1 --eval-iterations 1 --warmup 1` writes it, at step 2.
TRAINING = {
    "batches": {"next": 2, "seed": 1337},
    "configuration": {
        "batch_size": 2, "beta1": 0.9, "beta2": 0.99, "block_size": 8, "eval_interval": 1, "eval_iters": 1,
        "grad_clip": 1, "learning_rate": 0.001, "max_iters": 2, "min_lr": 0.0001, "seed": 1337,
        "warmup_iters": 1, "weight_decay": 0.1,
    },
    "format": "retnet-training-checkpoint",
    "history": [
        {"step": 0, "train_loss": 5.2400255, "val_loss": 4.8972354},
        {"step": 1, "train_loss": 5.238465, "val_loss": 4.8983564},
        {"step": 2, "train_loss": 5.2337036, "val_loss": 4.898981},
    ],
    "next_learning_rate": 0.0001,
    "step": 2,
}


def training():
    def edited(configuration=None, **record):
        out = json.loads(json.dumps(TRAINING))
        out["configuration"].update(configuration or {})
        out.update(record)
        return json.dumps(out, indent=2, sort_keys=True).encode()

    put("training", "saved", edited())
    # Step 0 of the same run: inside the warm-up, η = 1e-3 · 1/2.
    put("training", "step-0", edited(step=0, batches={"next": 0, "seed": 1337}, next_learning_rate=0.0005, history=[]))
    big = 2**63 - 1
    for key in ["warmup_iters", "eval_iters", "batch_size", "block_size", "max_iters", "eval_interval"]:
        put("training", key + "-max", edited({key: big}))
        put("training", key + "-1e12", edited({key: 10**12}))
    put("training", "step-negative", edited(step=-5, batches={"next": -5, "seed": 1337}))
    put("training", "step-huge", edited(step=big, batches={"next": big, "seed": 1337}))
    put("training", "step-fraction", edited(step=40.5))
    put("training", "lr-string", edited({"learning_rate": "fast"}))
    put("training", "beta2-two", edited({"beta2": 2}))
    put("training", "no-configuration", json.dumps({"step": 0, "format": "retnet-training-checkpoint"}).encode())
    put("training", "broken-json", b'{"step": 2, "configuration": {"batch_size": ')


if __name__ == "__main__":
    main()
