"""Runs torchscale 0.3.0 itself on a checkpoint this package trained, and records its logits.

    swift run chapter11 --write-fixture   # writes Tests/Fixtures/torchscale-trained/chapter11/{config.json,model.safetensors,tokenizer.json}
    python3 Tests/Fixtures/torchscale/record_trained_logits.py Tests/Fixtures/torchscale-trained/chapter11

torchscale's RetNetDecoder is built from config.json (keys torchscale does not know are ignored by
its RetNetConfig), loads model.safetensors with strict=True, and runs the probe text's tokens in
its three modes — parallel, recurrent (token by token with its incremental state) and chunkwise
(chunkwise_recurrent=True) — and, for reference, parallel in float64. The logits go to
logits.json in the format of make_fixtures.py (`RecordedLogits` reads it), so that chapter 11 can
put torchscale's own numbers for the trained model beside the model's.
"""
import argparse
import json
import os
import sys

import torch
from safetensors.torch import load_file
from torchscale.architecture.config import RetNetConfig
from torchscale.architecture.retnet import RetNetDecoder

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from make_fixtures import logits  # noqa: E402  (the same three modes as the committed fixtures)

PROBE = "ROMEO:\nO, she doth teach the torches to burn bright!"


def load(folder, keys, dtype=torch.float32):
    previous = torch.get_default_dtype()
    torch.set_default_dtype(dtype)
    try:
        model = RetNetDecoder(RetNetConfig(**keys),
                              embed_tokens=torch.nn.Embedding(keys["vocab_size"], keys["decoder_embed_dim"]))
    finally:
        torch.set_default_dtype(previous)
    model.load_state_dict(load_file(os.path.join(folder, "model.safetensors")), strict=True)
    return model.eval()


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("checkpoint")
    parser.add_argument("--chunk-size", type=int, default=4)
    args = parser.parse_args()
    keys = json.load(open(os.path.join(args.checkpoint, "config.json")))
    vocabulary = json.load(open(os.path.join(args.checkpoint, "tokenizer.json")))["vocabulary"]
    tokens = torch.tensor([[vocabulary.index(c) for c in PROBE]])
    model = load(args.checkpoint, keys)
    record = {"tokens": tokens[0].tolist(), "chunk_size": args.chunk_size, "layernorm_eps": keys["layernorm_eps"],
              "probe": PROBE, "torch": torch.__version__}
    record["parallel"] = logits(model, tokens, "parallel").tolist()
    record["recurrent"] = logits(model, tokens, "recurrent").tolist()
    chunked = load(args.checkpoint, dict(keys, chunkwise_recurrent=True, recurrent_chunk_size=args.chunk_size))
    chunkwise = logits(chunked, tokens, "parallel")
    record["chunkwise_is_nan"] = bool(torch.isnan(chunkwise).any())
    record["chunkwise"] = None if record["chunkwise_is_nan"] else chunkwise.tolist()
    record["parallel_float64"] = logits(load(args.checkpoint, keys).double(), tokens, "parallel").tolist()
    with open(os.path.join(args.checkpoint, "logits.json"), "w") as f:
        json.dump(record, f, allow_nan=False)
        f.write("\n")
    print(f"{args.checkpoint}: torchscale {len(tokens[0])} tokens in three modes (B = {args.chunk_size})")


if __name__ == "__main__":
    main()
