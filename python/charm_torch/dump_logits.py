#!/usr/bin/env python3
"""Prints the logits of a Charm checkpoint on given ids, as JSON [T * B][V] (time-major, like
CharModel.logits): `python3 dump_logits.py CHECKPOINT '[[1, 2, 3], [4, 5, 6]]'`. For comparing with Charm."""

import json
import os
import sys

if __package__ in (None, ""):
    sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

import torch  # noqa: E402

from charm_torch.checkpoint import load_checkpoint  # noqa: E402
from charm_torch.model import CharModel  # noqa: E402


def main(folder, ids_json):
    loaded = load_checkpoint(folder, "best", with_optimizer=False)
    model = CharModel(loaded["meta"]["model"])
    model.load_named(loaded["weights"])
    with torch.no_grad():
        logits = model(torch.tensor(json.loads(ids_json), dtype=torch.long))
    json.dump(logits.tolist(), sys.stdout)


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
