#!/usr/bin/env python3
"""Trains Charm's model on a `charm prepare` folder with PyTorch, under DistributedDataParallel:

    torchrun --nproc_per_node M python/charm_torch/train.py --data DIR --out DIR [--preset NAME] ...

(also runs alone, `python3 train.py ...`, as one process). The same model, presets and defaults as
`charm train` (Adam as adam.ts, global-norm clipping, cosine decay to a tenth, evaluation every
--eval-every steps, best/ and latest/, early stopping, the NaN guard). --batch-size is per process:
M processes train on M disjoint batches per step. Rank 0 alone writes the checkpoints.
"""

import argparse
import math
import os
import signal
import sys
import time

# --max-seconds is the command's wall clock, as in `charm train`: start-up and loading count.
STARTED = time.perf_counter()

if __package__ in (None, ""):
    sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

# torch is imported after the arguments are checked: a bad flag is reported at once.
from charm_torch.errors import CharmTorchError  # noqa: E402
from charm_torch.presets import DEFAULT_PRESET, PRESETS  # noqa: E402

# The signal that asked this process to stop, or 0.
INTERRUPTED = 0


class Parser(argparse.ArgumentParser):
    def error(self, message):
        raise CharmTorchError(message)


def parse_args(argv):
    p = Parser(prog="train.py", description="Train Charm's model on prepared data with PyTorch (DDP).")
    p.add_argument("--data", required=True, help="folder written by `charm prepare`")
    p.add_argument("--out", required=True, help="checkpoint folder (latest/ and best/), as `charm train --out`")
    p.add_argument("--preset", choices=sorted(PRESETS), help=f"model size (default {DEFAULT_PRESET})")
    p.add_argument("--cell", choices=["lstm", "gru"])
    p.add_argument("--layers", type=int)
    p.add_argument("--units", type=int)
    p.add_argument("--embedding", type=int)
    p.add_argument("--seq-length", type=int)
    p.add_argument("--batch-size", type=int, help="sequences per process and step")
    p.add_argument("--learning-rate", type=float)
    p.add_argument("--schedule", choices=["cosine", "none"])
    p.add_argument("--clip-norm", type=float)
    p.add_argument("--epochs", type=float)
    p.add_argument("--max-steps", type=int)
    p.add_argument("--max-seconds", type=float)
    p.add_argument("--eval-every", type=int)
    p.add_argument("--patience", type=int)
    p.add_argument("--max-eval-chars", type=int)
    p.add_argument("--seed", type=int)
    p.add_argument("--resume", action="store_true", help="continue the model in --out (written by this trainer or by `charm train`)")
    p.add_argument("--overwrite", action="store_true", help="replace a model already in --out")
    p.add_argument("--log-every", type=int, default=10)
    p.add_argument("--debug", help="folder for one JSON file per rank (pid, steps, weight checksum, files written)")
    args = p.parse_args(argv)
    positive = {
        "layers": 16,
        "units": 8192,
        "embedding": 8192,
        "seq_length": 10000,
        "batch_size": 4096,
        "max_steps": None,
        "eval_every": None,
        "max_eval_chars": None,
        "log_every": None,
    }
    for name, top in positive.items():
        value = getattr(args, name)
        if value is not None and (value < 1 or (top is not None and value > top)):
            raise CharmTorchError(f"--{name.replace('_', '-')} must be an integer from 1{f' to {top}' if top else ' up'}, got {value}")
    for name in ("learning_rate", "clip_norm", "epochs", "max_seconds"):
        value = getattr(args, name)
        if value is not None and not (math.isfinite(value) and value > 0):
            raise CharmTorchError(f"--{name.replace('_', '-')} must be a positive number, got {value}")
    if args.learning_rate is not None and args.learning_rate >= 1:
        raise CharmTorchError(f"--learning-rate must be a number in (0, 1), got {args.learning_rate}")
    if args.patience is not None and args.patience < 0:
        raise CharmTorchError(f"--patience must be a non-negative integer, got {args.patience}")
    return args


def init_distributed():
    """(rank, world, device, backend name) from torchrun's environment, or one process without it."""
    import torch
    import torch.distributed as dist

    cuda = torch.cuda.is_available()
    if "RANK" not in os.environ or "WORLD_SIZE" not in os.environ:
        return 0, 1, torch.device("cuda" if cuda else "cpu"), "single"
    backend = "nccl" if cuda else "gloo"
    device = torch.device("cpu")
    if cuda:
        local = int(os.environ.get("LOCAL_RANK", "0"))
        torch.cuda.set_device(local)
        device = torch.device("cuda", local)
    dist.init_process_group(backend)
    return dist.get_rank(), dist.get_world_size(), device, backend


def on_signal(signum, _frame):
    """First SIGINT/SIGTERM: stop after this step and save latest/ (all ranks agree at the next step). Second: exit now."""
    global INTERRUPTED
    if INTERRUPTED:
        sys.exit(128 + signum)
    INTERRUPTED = signum


def main(argv):
    args = parse_args(argv)
    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    rank, world, device, backend = init_distributed()
    import torch.distributed as dist

    from charm_torch.lock import FolderLock
    from charm_torch.trainer import Trainer

    lock = None
    try:
        trainer = Trainer(args, rank, world, device, backend, lambda: INTERRUPTED != 0)
        if rank == 0:
            os.makedirs(trainer.out, exist_ok=True)
            lock = FolderLock(trainer.out, " ".join(["charm_torch/train.py", *argv]))
            lock.acquire()
            trainer.remove_old_checkpoints()
        trainer.write_debug("started")
        stop_reason, steps = trainer.run(STARTED)
        trainer.write_debug("finished", steps)
        # As `charm train`: 130 after Ctrl-C, 143 after SIGTERM.
        return 128 + INTERRUPTED if stop_reason == "interrupted" and INTERRUPTED else 0
    finally:
        if lock:
            lock.release()
        if world > 1 and dist.is_initialized():
            dist.destroy_process_group()


if __name__ == "__main__":
    try:
        sys.exit(main(sys.argv[1:]))
    except CharmTorchError as error:
        print(f"charm_torch: error: {error}", file=sys.stderr)
        sys.exit(1)
