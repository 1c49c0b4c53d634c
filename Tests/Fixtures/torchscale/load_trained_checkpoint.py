"""Loads a checkpoint written by `retnet train` into torchscale 0.3.0 and compares the logits.

    swift build -c release --product retnet
    python3 Tests/Fixtures/torchscale/load_trained_checkpoint.py runs/shakespeare [--text "ROMEO:"]

torchscale's RetNetDecoder is built from config.json (the keys torchscale does not know are
ignored by its RetNetConfig), loads model.safetensors with strict=True (every weight and the
retnet_rel_pos buffers, nothing missing, nothing extra), and runs its parallel mode on the text
encoded with tokenizer.json; `retnet logits --mode parallel` (which reproduces torchscale's parallel
mode) runs on the same tokens. Prints the largest difference relative to the largest logit and
exits 1 when it exceeds 1e-4.
"""
import argparse
import json
import os
import subprocess
import sys

import torch
from safetensors.torch import load_file
from torchscale.architecture.config import RetNetConfig
from torchscale.architecture.retnet import RetNetDecoder


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("checkpoint")
    parser.add_argument("--text", default="ROMEO:\nO, she doth teach the torches to burn bright!")
    parser.add_argument("--retnet", default=".build/release/retnet")
    args = parser.parse_args()
    keys = json.load(open(os.path.join(args.checkpoint, "config.json")))
    model = RetNetDecoder(RetNetConfig(**keys),
                          embed_tokens=torch.nn.Embedding(keys["vocab_size"], keys["decoder_embed_dim"]))
    model.load_state_dict(load_file(os.path.join(args.checkpoint, "model.safetensors")), strict=True)
    model.eval()
    vocabulary = json.load(open(os.path.join(args.checkpoint, "tokenizer.json")))["vocabulary"]
    tokens = [vocabulary.index(c) for c in args.text]
    with torch.no_grad():
        theirs = model(torch.tensor([tokens]))[0][0].double()
    out = subprocess.run([args.retnet, "logits", "--checkpoint", args.checkpoint, "--mode", "parallel",
                          "--tokens", ",".join(map(str, tokens))], capture_output=True, text=True, check=True).stdout
    ours = torch.tensor(json.loads(out)["logits"], dtype=torch.float64)
    relative = ((ours - theirs).abs().max() / theirs.abs().max()).item()
    print(f"torchscale loaded {args.checkpoint} (strict); {len(tokens)} tokens; "
          f"max |ours - torchscale| / max |torchscale| = {relative:.2e}")
    sys.exit(0 if relative <= 1e-4 else 1)


if __name__ == "__main__":
    main()
