"""The prepared-data folder of `charm prepare` (manifest.json, vocab.json, train.bin, val.bin), memory-mapped,
and the batches each rank reads from it."""

import json
import mmap
import os

import torch

from .errors import CharmTorchError

FORMAT = "charm-prepared"
VERSION = 1
DTYPES = {"uint16": (torch.int16, 2), "uint32": (torch.int32, 4)}


def _read_json(path, what):
    try:
        with open(path, encoding="utf-8") as f:
            return json.load(f)
    except FileNotFoundError:
        raise CharmTorchError(f"{what} is missing ({path})") from None
    except (ValueError, UnicodeDecodeError):
        raise CharmTorchError(f"{what} is not valid JSON ({path})") from None


class IdStream:
    """A little-endian id file, memory-mapped: only the pages batches touch are read."""

    def __init__(self, path, dtype, tokens):
        torch_dtype, itemsize = DTYPES[dtype]
        self.unsigned16 = dtype == "uint16"
        try:
            size = os.path.getsize(path)
        except OSError:
            raise CharmTorchError(f"prepared data is incomplete: {path} is missing") from None
        if size != tokens * itemsize:
            raise CharmTorchError(f"prepared data is damaged: {path} has {size} bytes, the manifest says {tokens} ids of {itemsize} bytes")
        self.length = tokens
        if tokens == 0:
            self.ids = torch.zeros(0, dtype=torch_dtype)
            return
        with open(path, "rb") as f:
            # ACCESS_COPY: a writable view (torch.frombuffer wants one) that never writes the file.
            self._map = mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_COPY)
        self.ids = torch.frombuffer(self._map, dtype=torch_dtype)

    def gather(self, index):
        """ids at `index` (an int64 tensor of any shape) as int64."""
        values = self.ids[index].long()
        return values & 0xFFFF if self.unsigned16 else values


class PreparedData:
    def __init__(self, folder):
        self.folder = folder
        manifest = _read_json(os.path.join(folder, "manifest.json"), "manifest.json of the prepared data")
        if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
            raise CharmTorchError(f"{folder} is not prepared data (run `charm prepare` first): its manifest.json lacks format {FORMAT!r}")
        if manifest.get("version") != VERSION:
            raise CharmTorchError(f"prepared data version {manifest.get('version')!r} in {folder} is not supported (this trainer reads {VERSION})")
        dtype = manifest.get("dtype")
        if dtype not in DTYPES:
            raise CharmTorchError(f"prepared data in {folder} has dtype {dtype!r}: expected uint16 or uint32")
        self.manifest = manifest
        self.vocab = _read_json(os.path.join(folder, manifest.get("vocabulary", "vocab.json")), "vocab.json of the prepared data")
        symbols = self.vocab.get("symbols") if isinstance(self.vocab, dict) else None
        if not isinstance(symbols, list) or len(symbols) != manifest.get("vocabularySize"):
            raise CharmTorchError(f"prepared data in {folder}: vocab.json does not hold vocabularySize={manifest.get('vocabularySize')} symbols")
        self.vocab_size = len(symbols)
        streams = {}
        for part in ("train", "val"):
            entry = manifest.get(part)
            if not isinstance(entry, dict) or not isinstance(entry.get("tokens"), int):
                raise CharmTorchError(f"prepared data in {folder}: manifest.json lacks {part}.file / {part}.tokens")
            streams[part] = IdStream(os.path.join(folder, entry["file"]), dtype, entry["tokens"])
        self.train = streams["train"]
        self.val = streams["val"]

    def check_ids(self, ids):
        if ids.numel() and int(ids.max()) >= self.vocab_size:
            raise CharmTorchError(f"prepared data in {self.folder} holds id {int(ids.max())}, outside its vocabulary of {self.vocab_size}")
        return ids


class TrainBatches:
    """Training batches like CharDataset's (chunks of seqLength + 1 overlapping by one id, a shuffled
    order and a random offset per epoch, both from the seed), with the epoch's batches dealt out to the
    ranks: global batch index * world + rank, so the ranks' shards are disjoint."""

    def __init__(self, data, seq_length, batch_size, world, rank, seed):
        self.data = data
        self.stream = data.train
        self.seq = seq_length
        self.batch = batch_size
        self.world = world
        self.rank = rank
        self.seed = seed
        if self.stream.length < seq_length + 1:
            raise CharmTorchError(
                f"the corpus is too short: its training part has {self.stream.length} characters, fewer than one sequence ({seq_length + 1}); add text or lower --seq-length"
            )
        self.chunks = (self.stream.length - 1) // seq_length
        self.batches_per_epoch = max(1, self.chunks // (batch_size * world))
        self._epoch = -1

    def _shuffle(self, epoch):
        generator = torch.Generator().manual_seed(self.seed * 7919 + epoch)
        slack = self.stream.length - 1 - self.chunks * self.seq
        self._offset = int(torch.randint(slack + 1, (1,), generator=generator))
        self._order = torch.randperm(self.chunks, generator=generator)
        self._epoch = epoch

    def get(self, epoch, index):
        """inputs, targets [B, T] int64 for this rank's share of the epoch's index-th global step."""
        if epoch != self._epoch:
            self._shuffle(epoch)
        first = (index * self.world + self.rank) * self.batch
        rows = self._order[(first + torch.arange(self.batch)) % self.chunks]
        starts = self._offset + rows * self.seq
        ids = self.data.check_ids(self.stream.gather(starts[:, None] + torch.arange(self.seq + 1)))
        return ids[:, :-1], ids[:, 1:]


def validation_batches(data, seq_length, max_chars, world, rank, batch_size=256):
    """This rank's share of the contiguous validation sequences (as sequentialBatches in dataset.ts)."""
    stream = data.val
    if stream.length < 2:
        return
    seq = min(seq_length, stream.length - 1)
    limit = min(stream.length - 1, max(seq, int(max_chars)))
    mine = torch.arange(rank, limit // seq, world)
    for first in range(0, len(mine), batch_size):
        starts = mine[first : first + batch_size] * seq
        ids = data.check_ids(stream.gather(starts[:, None] + torch.arange(seq + 1)))
        yield ids[:, :-1], ids[:, 1:]
