"""Charm checkpoints, written and read exactly as src/training/checkpoint.ts does: a root holding latest/
(with optimizer.bin) and best/, each with config.json, vocab.json, weights.json (manifest with SHA-256)
and weights.bin (float32, little-endian, in weight_specs order). A folder is written under a temporary
name and swapped in with the same `<kind>.prev` scheme, so a crash at any moment leaves a complete one."""

import datetime
import hashlib
import json
import os
import secrets
import shutil
import sys

import torch

from .errors import CharmTorchError
from .model import weight_specs

CHECKPOINT_FORMAT = "charm-checkpoint"
CHECKPOINT_VERSION = 1


if sys.byteorder != "little":
    # Charm's files are little-endian; torch has no byte swap to convert them.
    raise CharmTorchError("this trainer needs a little-endian machine")


def pack(tensors):
    """float32 little-endian bytes of the tensors, one after another."""
    flat = torch.cat([t.detach().reshape(-1).to(torch.float32) for t in tensors])
    out = bytearray(4 * flat.numel())
    # Through a bytearray, not numpy (not guaranteed beside torch).
    view = torch.frombuffer(out, dtype=torch.float32)
    view.copy_(flat)
    return bytes(out)


def _write_synced(path, data):
    with open(path, "wb") as f:
        f.write(data.encode("utf-8") if isinstance(data, str) else data)
        f.flush()
        os.fsync(f.fileno())


def _remove(path):
    shutil.rmtree(path, ignore_errors=True)


def now_iso():
    return datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def save_checkpoint(root, kind, model, vocab, meta, optimizer=None):
    """Writes root/kind atomically; `optimizer` is (step, m list, v list) in weight order."""
    os.makedirs(root, exist_ok=True)
    target = os.path.join(root, kind)
    # The writer's pid is part of the name, as in checkpoint.ts: Charm removes a dead writer's leftovers.
    temp = os.path.join(root, f".{kind}.tmp-{os.getpid()}-{secrets.token_hex(4)}")
    try:
        os.mkdir(temp)
        weights = list(model.weights)
        weight_bytes = pack(weights)
        entries, offset = [], 0
        for (name, shape), w in zip(weight_specs(model.config), weights):
            entries.append({"name": name, "shape": shape, "offset": offset, "length": w.numel()})
            offset += w.numel()
        manifest = {"dtype": "float32", "byteLength": len(weight_bytes), "sha256": hashlib.sha256(weight_bytes).hexdigest(), "weights": entries}
        _write_synced(os.path.join(temp, "weights.bin"), weight_bytes)
        if optimizer is not None:
            step, m, v = optimizer
            optimizer_bytes = pack(list(m) + list(v))
            manifest["optimizer"] = {"step": step, "byteLength": len(optimizer_bytes), "sha256": hashlib.sha256(optimizer_bytes).hexdigest()}
            _write_synced(os.path.join(temp, "optimizer.bin"), optimizer_bytes)
        _write_synced(os.path.join(temp, "weights.json"), json.dumps(manifest, indent=1))
        _write_synced(os.path.join(temp, "vocab.json"), json.dumps(vocab, ensure_ascii=False))
        # config.json last: its presence marks a complete folder.
        config = {"format": CHECKPOINT_FORMAT, "version": CHECKPOINT_VERSION, **meta}
        _write_synced(os.path.join(temp, "config.json"), json.dumps(config, indent=1, allow_nan=False))
        previous = target + ".prev"
        if os.path.exists(target):
            _remove(previous)
            os.rename(target, previous)
        os.rename(temp, target)
        _remove(previous)
    except BaseException:
        _remove(temp)
        previous = target + ".prev"
        if not os.path.exists(target) and os.path.exists(os.path.join(previous, "config.json")):
            try:
                os.rename(previous, target)
            except OSError:
                pass
        raise
    return target


def resolve_checkpoint_dir(folder, prefer="latest"):
    """A checkpoint folder itself, or a root holding latest/ or best/ (or a .prev left by a crash mid-swap)."""
    if not os.path.exists(folder):
        raise CharmTorchError(f"no model at {folder}: the folder does not exist")
    if os.path.exists(os.path.join(folder, "config.json")):
        return folder
    order = ["latest", "best"] if prefer == "latest" else ["best", "latest"]
    for kind in order:
        for name in (kind, kind + ".prev"):
            candidate = os.path.join(folder, name)
            if os.path.exists(os.path.join(candidate, "config.json")):
                return candidate
    raise CharmTorchError(f"no model at {folder}: expected a checkpoint folder with config.json, or one holding best/ or latest/")


def _read_json(path, what):
    try:
        with open(path, encoding="utf-8") as f:
            return json.load(f)
    except FileNotFoundError:
        raise CharmTorchError(f"unreadable checkpoint: {what} is missing ({path})") from None
    except ValueError:
        raise CharmTorchError(f"unreadable checkpoint: {what} is not valid JSON ({path})") from None


def _read_blob(path, byte_length, digest):
    try:
        with open(path, "rb") as f:
            data = f.read()
    except FileNotFoundError:
        raise CharmTorchError(f"unreadable checkpoint: {path} is missing") from None
    if len(data) != byte_length:
        raise CharmTorchError(f"unreadable checkpoint: {path} has {len(data)} bytes, expected {byte_length}; the file is truncated or corrupted")
    if hashlib.sha256(data).hexdigest() != digest:
        raise CharmTorchError(f"unreadable checkpoint: {path} fails its checksum; the file is corrupted")
    return torch.frombuffer(bytearray(data), dtype=torch.float32)


def read_checkpoint_meta(folder):
    """config.json of a checkpoint folder, checked: the format marker, the version, a model of a known cell."""
    meta = _read_json(os.path.join(folder, "config.json"), "config.json")
    if not isinstance(meta, dict) or meta.get("format") != CHECKPOINT_FORMAT:
        raise CharmTorchError(f"unreadable checkpoint: {folder}/config.json is not a Charm checkpoint")
    if meta.get("version") != CHECKPOINT_VERSION:
        raise CharmTorchError(f"unsupported checkpoint version {meta.get('version')!r} in {folder}")
    config = meta.get("model")
    if not isinstance(config, dict) or config.get("cell") not in ("lstm", "gru"):
        raise CharmTorchError(f"unreadable checkpoint: {folder}/config.json has no model of a known cell")
    if not isinstance(meta.get("progress"), dict) or not isinstance(meta.get("history"), dict):
        raise CharmTorchError(f"unreadable checkpoint: {folder}/config.json lacks progress or history")
    return meta


def load_checkpoint(folder, prefer="latest", with_optimizer=True):
    """-> dict(dir, meta, vocab, weights {name: tensor}, optimizer (step, m, v) or None)."""
    folder = resolve_checkpoint_dir(folder, prefer)
    meta = read_checkpoint_meta(folder)
    config = meta["model"]
    vocab = _read_json(os.path.join(folder, "vocab.json"), "vocab.json")
    manifest = _read_json(os.path.join(folder, "weights.json"), "weights.json")
    if not isinstance(manifest, dict) or not isinstance(manifest.get("weights"), list) or not isinstance(manifest.get("byteLength"), int):
        raise CharmTorchError(f"unreadable checkpoint: {folder}/weights.json is malformed")
    blob = _read_blob(os.path.join(folder, "weights.bin"), manifest["byteLength"], manifest["sha256"])
    specs = weight_specs(config)
    entries = {w["name"]: w for w in manifest["weights"]}
    weights = {}
    for name, shape in specs:
        entry = entries.get(name)
        if entry is None or list(entry["shape"]) != shape or entry["offset"] + entry["length"] > blob.numel():
            raise CharmTorchError(f"unreadable checkpoint: weight {name} is missing from {folder} or does not have shape {shape}")
        weights[name] = blob[entry["offset"] : entry["offset"] + entry["length"]].reshape(shape).clone()
    optimizer = None
    if with_optimizer and "optimizer" in manifest:
        info = manifest["optimizer"]
        moments = _read_blob(os.path.join(folder, "optimizer.bin"), info["byteLength"], info["sha256"])
        total = sum(w.numel() for w in weights.values())
        if moments.numel() != 2 * total:
            raise CharmTorchError(f"unreadable checkpoint: {folder}/optimizer.bin does not match the model")
        parts, offset = [], 0
        for _ in range(2):
            for name, shape in specs:
                n = weights[name].numel()
                parts.append(moments[offset : offset + n].reshape(shape).clone())
                offset += n
        optimizer = (info["step"], parts[: len(specs)], parts[len(specs) :])
    return {"dir": folder, "meta": meta, "vocab": vocab, "weights": weights, "optimizer": optimizer}
