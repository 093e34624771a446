"""One training run of the PyTorch trainer: the loop of src/training/trainingLoop.ts (Adam, clipping,
cosine decay, evaluation, best/ and latest/, the plateau rule, the NaN guard) over this rank's batches,
with the gradients averaged by DistributedDataParallel and the decisions (stop, skip) agreed by all ranks."""

import hashlib
import json
import math
import os
import shutil
import time

import torch
import torch.distributed as dist
import torch.nn.functional as F

from .adam import KerasAdam, clip_by_global_norm
from .checkpoint import load_checkpoint, now_iso, pack, read_checkpoint_meta, resolve_checkpoint_dir, save_checkpoint
from .data import PreparedData, TrainBatches, validation_batches
from .errors import CharmTorchError
from .model import CharModel
from .presets import DEFAULT_EPOCHS, DEFAULT_HYPERPARAMETERS, DEFAULT_PRESET, PRESETS

MAX_RECOVERIES = 8
# The cosine schedule's last rate, as a fraction of the base: below it, a plateau ends the run.
PLATEAU_FLOOR = 0.1


def log(rank, message):
    if rank == 0:
        print(message, flush=True)


class Trainer:
    def __init__(self, args, rank, world, device, backend, interrupted):
        self.args, self.rank, self.world, self.device = args, rank, world, device
        # A callable: whether SIGINT/SIGTERM asked this process to stop.
        self.interrupted = interrupted
        # Test hook: rank 0 reports a NaN loss once, at this step, to exercise the NaN guard.
        nan_at = os.environ.get("CHARM_TORCH_TEST_NAN_AT_STEP")
        self.nan_at_step = int(nan_at) if nan_at and rank == 0 else None
        self.data = PreparedData(args.data)
        self.out = os.path.abspath(args.out)
        self.written = []
        self.resumed_optimizer_sha = None
        self.backend_name = f"pytorch-{torch.__version__}-{device.type}-{backend}x{world}"
        # Which data this is, from the manifest's checksums: a resume on the same data keeps its place and best loss.
        digests = self.data.manifest.get("sha256")
        self.data_id = hashlib.sha256(json.dumps(digests, sort_keys=True).encode()).hexdigest()[:16] if digests else None
        self._setup()

    # ---- configuration and resume ----

    def _options(self, saved):
        a = self.args
        preset = PRESETS[a.preset or DEFAULT_PRESET]
        pick = lambda flag, key: flag if flag is not None else saved.get(key, preset.get(key, DEFAULT_HYPERPARAMETERS.get(key)))  # noqa: E731
        options = {
            "seqLength": pick(a.seq_length, "seqLength"),
            "batchSize": pick(a.batch_size, "batchSize"),
            "learningRate": pick(a.learning_rate, "learningRate"),
            "schedule": a.schedule or DEFAULT_HYPERPARAMETERS["schedule"],
            "clipNorm": a.clip_norm if a.clip_norm is not None else DEFAULT_HYPERPARAMETERS["clipNorm"],
            "valFraction": self.data.manifest.get("valFraction", DEFAULT_HYPERPARAMETERS["valFraction"]),
            "evalEvery": a.eval_every or DEFAULT_HYPERPARAMETERS["evalEvery"],
            "patience": a.patience if a.patience is not None else DEFAULT_HYPERPARAMETERS["patience"],
            "maxEvalChars": a.max_eval_chars or DEFAULT_HYPERPARAMETERS["maxEvalChars"],
            "seed": a.seed if a.seed is not None else DEFAULT_HYPERPARAMETERS["seed"],
        }
        for key, flag in (("epochs", a.epochs), ("maxSteps", a.max_steps), ("maxSeconds", a.max_seconds)):
            if flag is not None:
                options[key] = flag
        return options

    def _has_checkpoint(self):
        try:
            resolve_checkpoint_dir(self.out, "latest")
            return True
        except CharmTorchError:
            return False

    def _from_rank0(self, read):
        """read() on rank 0 alone, its result (or its error) sent to every rank: the other machines of a
        multi-node job need no copy of --out, and all ranks fail alike, none waits for a dead peer."""
        if self.world == 1:
            return read()
        box = [None]
        if self.rank == 0:
            try:
                box[0] = ("ok", read())
            except CharmTorchError as error:
                box[0] = ("error", str(error))
        dist.broadcast_object_list(box, src=0)
        kind, value = box[0]
        if kind == "error":
            raise CharmTorchError(value)
        return value

    def _setup(self):
        a = self.args
        existing = self._from_rank0(self._has_checkpoint)
        if a.resume and not existing:
            raise CharmTorchError(f"cannot resume: no checkpoint in {self.out}")
        if not a.resume and existing and not a.overwrite:
            raise CharmTorchError(f"{self.out} already holds a model: pass --resume to continue training it, or --overwrite to replace it")
        self.progress = {
            "step": 0,
            "epoch": 0,
            "batchInEpoch": 0,
            "charsSeen": 0,
            "elapsedSeconds": 0,
            "bestValLoss": None,
            "bestStep": None,
            "evalsWithoutImprovement": 0,
            "learningRateScale": 1,
        }
        self.history = {"train": [], "val": []}
        self.previous_training = {}
        loaded = None
        if a.resume:
            loaded = self._from_rank0(lambda: load_checkpoint(self.out, "latest"))
            config = loaded["meta"]["model"]
            conflicts = [k for k in ("cell", "layers", "units", "embedding") if getattr(a, k) is not None and getattr(a, k) != config[k]]
            if a.preset and (PRESETS[a.preset]["units"] != config["units"] or PRESETS[a.preset]["embedding"] != config["embedding"]):
                conflicts.append("units")
            if conflicts:
                raise CharmTorchError(
                    f"cannot change the model's {', '.join(conflicts)} when resuming: {self.out} holds a {config['cell']} of "
                    f"{config['layers']}x{config['units']} units with embedding {config['embedding']}"
                )
            if loaded["vocab"].get("symbols") != self.data.vocab.get("symbols"):
                raise CharmTorchError(
                    f"the vocabulary of {self.args.data} differs from the model's in {loaded['dir']}: the ids would mean other characters. "
                    "Prepare the data with the model's vocabulary, or train a new model with --overwrite"
                )
            self.previous_training = dict(loaded["meta"].get("training") or {})
            self.options = self._options(self.previous_training)
            self.progress.update(loaded["meta"]["progress"])
            self.history = {"train": list(loaded["meta"]["history"]["train"]), "val": list(loaded["meta"]["history"]["val"])}
            self._restart_notes(loaded)
            self.progress = self._from_rank0(self._keep_best_of_both)
            self.progress["learningRateScale"] = 1
        else:
            preset = PRESETS[a.preset or DEFAULT_PRESET]
            self.options = self._options({})
            config = {
                "cell": a.cell or "lstm",
                "vocabSize": self.data.vocab_size,
                "embedding": a.embedding or preset["embedding"],
                "units": a.units or preset["units"],
                "layers": a.layers or preset["layers"],
            }
        self.config = config
        self.model = CharModel(config, self.options["seed"]).to(self.device)
        if loaded:
            self.model.load_named(loaded["weights"])
        self.adam = KerasAdam(self.model.weights)
        if loaded and loaded["optimizer"]:
            step, m, v = loaded["optimizer"]
            self.adam.set_state((step, [x.to(self.device) for x in m], [x.to(self.device) for x in v]))
            self.resumed_optimizer_sha = hashlib.sha256(pack(m + v)).hexdigest()
        elif loaded:
            log(self.rank, f"note: {loaded['dir']} has no optimizer state: Adam restarts from zero moments at step {self.progress['step']}")
        self.batches = TrainBatches(self.data, self.options["seqLength"], self.options["batchSize"], self.world, self.rank, self.options["seed"])
        corpus = dict(self.data.manifest.get("corpus") or {})
        corpus.setdefault("sources", [os.path.abspath(self.args.data)])
        corpus.setdefault("files", 0)
        corpus.setdefault("chars", self.data.train.length + self.data.val.length)
        corpus.setdefault("trainChars", self.data.train.length)
        corpus.setdefault("valChars", self.data.val.length)
        corpus.setdefault("unknownChars", 0)
        self.corpus = corpus
        self.training = {**self.previous_training, **self.options, "worldSize": self.world, "dataId": self.data_id, "trainer": "charm_torch"}
        for key in ("epochs", "maxSteps", "maxSeconds"):
            if key not in self.options:
                self.training.pop(key, None)
        corpus_hash = self.data.manifest.get("corpusHash")
        if corpus_hash:
            self.training["corpusHash"] = corpus_hash
        else:
            self.training.pop("corpusHash", None)

    def _restart_notes(self, loaded):
        """Says what a resume cannot carry over: the position in the epoch and, on other data, the best loss."""
        saved = loaded["meta"].get("training") or {}
        same_data = (self.data_id is not None and saved.get("dataId") == self.data_id) or (saved.get("corpusHash") and saved.get("corpusHash") == self.data.manifest.get("corpusHash"))
        same_order = same_data and str(loaded["meta"].get("backend", "")).startswith("pytorch") and saved.get("worldSize") == self.world
        if not same_order:
            why = "it was written by `charm train`" if not str(loaded["meta"].get("backend", "")).startswith("pytorch") else "the data or the number of processes changed"
            log(self.rank, f"note: resuming at step {self.progress['step']} from the start of an epoch ({why}, so its position in the batch order does not carry over)")
            self.progress["epoch"] = 0
            self.progress["batchInEpoch"] = 0
        if not same_data:
            log(self.rank, "note: the data cannot be shown to be the one this model trained on: the best validation loss restarts (the next evaluation writes best/)")
            self.progress["bestValLoss"] = None
            self.progress["bestStep"] = None
            self.progress["evalsWithoutImprovement"] = 0

    def _keep_best_of_both(self):
        """The progress to resume with. As session.ts: best/ is written before latest/, so a run stopped between
        the two leaves latest/ with an older best loss; the loss to beat is the lower one, so best/ is never
        replaced by a worse model."""
        progress = dict(self.progress)
        if progress["bestValLoss"] is None:
            return progress  # nothing to beat yet, or the data changed and old losses are not comparable
        try:
            best = read_checkpoint_meta(resolve_checkpoint_dir(self.out, "best"))["progress"]
        except (CharmTorchError, KeyError, TypeError):
            return progress
        if best.get("bestValLoss") is not None and best["bestValLoss"] < progress["bestValLoss"]:
            progress["bestValLoss"], progress["bestStep"] = best["bestValLoss"], best.get("bestStep")
        return progress

    def remove_old_checkpoints(self):
        """Before training a new model over an old one (--overwrite): best/ and latest/ never mix two models."""
        if self.args.resume:
            return
        for kind in ("latest", "best"):
            for name in (kind, kind + ".prev"):
                shutil.rmtree(os.path.join(self.out, name), ignore_errors=True)

    # ---- the loop ----

    def step_budget(self):
        o = self.options
        no_budget = all(k not in o for k in ("epochs", "maxSteps", "maxSeconds"))
        epochs = DEFAULT_EPOCHS if no_budget else o.get("epochs")
        by_epochs = max(1, round(epochs * self.batches.batches_per_epoch)) if epochs is not None else math.inf
        return min(o.get("maxSteps", math.inf), by_epochs)

    def learning_rate(self, fraction):
        base = self.options["learningRate"] * self.progress["learningRateScale"]
        if self.options["schedule"] == "none":
            return base
        return base * (PLATEAU_FLOOR + (1 - PLATEAU_FLOOR) * 0.5 * (1 + math.cos(math.pi * fraction)))

    def advance_position(self):
        self.progress["batchInEpoch"] += 1
        if self.progress["batchInEpoch"] >= self.batches.batches_per_epoch:
            self.progress["batchInEpoch"] = 0
            self.progress["epoch"] += 1

    def all_sum(self, values):
        t = torch.tensor(values, dtype=torch.float64, device=self.device)
        if self.world > 1:
            dist.all_reduce(t)
        return t.tolist()

    def take_snapshot(self):
        self.snapshot = ([w.detach().clone() for w in self.model.weights], self.adam.state())

    def restore_snapshot(self):
        weights, state = self.snapshot
        with torch.no_grad():
            for w, s in zip(self.model.weights, weights):
                w.copy_(s)
        self.adam.set_state(state)

    def evaluate(self):
        """Mean validation loss and accuracy over all ranks' shares, or (None, None) without validation data."""
        if self.data.val.length < 2:
            return None, None
        loss_sum = hits = count = 0.0
        with torch.no_grad():
            for x, y in validation_batches(self.data, self.options["seqLength"], self.options["maxEvalChars"], self.world, self.rank):
                logits = self.model(x.to(self.device))
                labels = y.t().reshape(-1).to(self.device)
                loss_sum += float(F.cross_entropy(logits, labels, reduction="sum"))
                hits += float((logits.argmax(1) == labels).sum())
                count += labels.numel()
        loss_sum, hits, count = self.all_sum([loss_sum, hits, count])
        return loss_sum / count, hits / count

    def save(self, kind, with_optimizer):
        if self.rank != 0:
            return
        meta = {
            "model": self.config,
            "training": self.training,
            "corpus": self.corpus,
            "progress": dict(self.progress),
            "history": self.history,
            "backend": self.backend_name,
            "savedAt": now_iso(),
        }
        path = save_checkpoint(self.out, kind, self.model, self.data.vocab, meta, self.adam.state() if with_optimizer else None)
        self.written.append(path)
        self.saved_at_step = self.progress["step"]

    def evaluate_and_save(self, recent, learning_rate):
        """True to stop early. `learning_rate` is the rate of the step just taken."""
        p, o = self.progress, self.options
        val_loss, accuracy = self.evaluate()
        if val_loss is not None:
            self.history["val"].append([p["step"], val_loss])
        criterion = val_loss if val_loss is not None else (sum(recent) / len(recent) if recent else math.nan)
        best = math.isfinite(criterion) and (p["bestValLoss"] is None or criterion < p["bestValLoss"])
        if best:
            p["bestValLoss"], p["bestStep"], p["evalsWithoutImprovement"] = criterion, p["step"], 0
        else:
            p["evalsWithoutImprovement"] += 1
        what = f"val loss {val_loss:.4f} nats/char, accuracy {accuracy * 100:.1f}%" if val_loss is not None else f"train loss {criterion:.4f} (no validation set)"
        log(self.rank, f"step {p['step']}: {what}{'  (best)' if best else ''}")
        # Decided before saving, so that latest/ holds the rate the run goes on with.
        stop = self.after_plateau(learning_rate)
        if best:
            self.save("best", False)
        self.save("latest", True)
        if math.isfinite(criterion):
            self.take_snapshot()
        return stop

    def after_plateau(self, learning_rate):
        """As trainingLoop.ts: `patience` evaluations without improvement halve the rate while it is above the
        schedule's floor, and stop the run (True) once it is at the floor."""
        p, o = self.progress, self.options
        if not (o["patience"] > 0 and p["evalsWithoutImprovement"] >= o["patience"]):
            return False
        if learning_rate > PLATEAU_FLOOR * o["learningRate"]:
            p["learningRateScale"] /= 2
            p["evalsWithoutImprovement"] = 0
            log(self.rank, f"validation loss has not improved for {o['patience']} evaluations: halved the learning rate (now x{p['learningRateScale']:g})")
            return False
        return True

    def run(self, started):
        """Trains until a budget is spent; `started` (time.perf_counter) is when --max-seconds began."""
        o, p = self.options, self.progress
        params = list(self.model.weights)
        chars_per_step = o["batchSize"] * o["seqLength"] * self.world
        budget = self.step_budget()
        elapsed_before = p["elapsedSeconds"]
        max_seconds = o.get("maxSeconds")
        steps = recoveries = 0
        first_loss = None
        recent = []
        stop_reason = "budget"
        evaluated_at = -1
        step_seconds = eval_seconds = 0.0
        self.saved_at_step = p["step"]
        log(
            self.rank,
            f"{'Resuming from step ' + str(p['step']) if self.args.resume else 'Training'}: {self.config['cell']} {self.config['layers']}x{self.config['units']}, "
            f"embedding {self.config['embedding']}, vocabulary {self.config['vocabSize']}; {self.world} process{'es' if self.world > 1 else ''} "
            f"x batch {o['batchSize']} x {o['seqLength']} chars; {self.batches.batches_per_epoch} steps per epoch; {self.backend_name}",
        )
        self.take_snapshot()
        loop_started = time.perf_counter()
        try:
            module = self.model
            if self.world > 1:
                # Broadcasts rank 0's weights, then averages the gradients in every backward pass.
                module = torch.nn.parallel.DistributedDataParallel(self.model, device_ids=[self.device.index] if self.device.type == "cuda" else None)
            while steps < budget:
                used = time.perf_counter() - started
                fraction = min(1.0, max(steps / budget if math.isfinite(budget) else 0.0, used / max_seconds if max_seconds else 0.0))
                lr = self.learning_rate(fraction)
                t0 = time.perf_counter()
                x, y = self.batches.get(p["epoch"], p["batchInEpoch"])
                logits = module(x.to(self.device))
                loss = F.cross_entropy(logits, y.t().reshape(-1).to(self.device))
                for w in params:
                    w.grad = None
                loss.backward()  # DDP averages the gradients over the ranks here
                grads = [w.grad for w in params]
                norm = clip_by_global_norm(grads, o["clipNorm"])
                # After this step, would the next one overrun --max-seconds? Every rank votes; any vote stops all.
                out_of_time = bool(max_seconds) and steps > 0 and (time.perf_counter() - started) + step_seconds + eval_seconds > max_seconds
                local_loss = float(loss)
                if self.nan_at_step == p["step"] + 1:
                    local_loss, self.nan_at_step = math.nan, None
                loss_sum, interrupt_votes, time_votes = self.all_sum([local_loss, float(self.interrupted()), float(out_of_time)])
                mean_loss = loss_sum / self.world
                # char-rnn's rule, as trainingLoop.ts: a loss above 3x the first one has exploded, as has a NaN.
                healthy = math.isfinite(mean_loss) and math.isfinite(norm) and not (first_loss is not None and steps > 10 and mean_loss > 3 * first_loss)
                if not healthy:
                    recoveries += 1
                    self.restore_snapshot()
                    p["learningRateScale"] /= 2
                    log(self.rank, f"warning: loss became {mean_loss} at step {p['step'] + 1}: restored the last good weights and halved the learning rate (now x{p['learningRateScale']})")
                    if recoveries > MAX_RECOVERIES:
                        stop_reason = "diverged"
                        break
                    self.advance_position()
                    continue
                self.adam.apply(grads, lr)
                step_seconds = time.perf_counter() - t0
                first_loss = mean_loss if first_loss is None else first_loss
                recoveries = 0
                steps += 1
                p["step"] += 1
                p["charsSeen"] += chars_per_step
                self.advance_position()
                recent.append(mean_loss)
                self.history["train"].append([p["step"], mean_loss])
                p["elapsedSeconds"] = elapsed_before + time.perf_counter() - started
                if self.rank == 0 and (p["step"] % self.args.log_every == 0 or steps == 1):
                    print(f"step {p['step']} loss {mean_loss:.4f} lr {lr:.3g} {chars_per_step / max(step_seconds, 1e-9):.0f} chars/s", flush=True)
                if p["step"] % o["evalEvery"] == 0:
                    t1 = time.perf_counter()
                    stop = self.evaluate_and_save(recent, lr)
                    eval_seconds = time.perf_counter() - t1
                    recent = []
                    evaluated_at = p["step"]
                    if stop:
                        stop_reason = "early-stopping"
                        break
                if interrupt_votes > 0 or time_votes > 0:
                    stop_reason = "interrupted" if interrupt_votes > 0 else "budget"
                    break
        except RuntimeError as error:
            if self.world == 1:
                raise
            # A peer died (gloo/nccl reports it here): keep what this rank trained, then stop.
            if self.rank == 0 and p["step"] > self.saved_at_step:
                self.save("latest", True)
            first_line = str(error).splitlines()[0] if str(error) else type(error).__name__
            raise CharmTorchError(
                f"rank {self.rank} stopped ({first_line}): another process of the job may have died; the checkpoints in {self.out} are intact"
            ) from None
        p["elapsedSeconds"] = elapsed_before + time.perf_counter() - started
        if stop_reason not in ("interrupted", "diverged") and evaluated_at != p["step"]:
            self.evaluate_and_save(recent, 0.0)  # the run ends here: the plateau rule has nothing left to decide
        else:
            self.save("latest", True)
        # The rate of the training loop alone (evaluations and saves included, start-up not).
        seconds = max(time.perf_counter() - loop_started, 1e-9)
        log(
            self.rank,
            f"stopped ({stop_reason}) at step {p['step']}: {steps} steps in {seconds:.1f} s, {steps / seconds:.2f} steps/s, "
            f"{steps * chars_per_step / seconds:.0f} chars/s; best val loss {p['bestValLoss']} at step {p['bestStep']}; checkpoints in {self.out}",
        )
        return stop_reason, steps

    def write_debug(self, phase, steps=0):
        if not self.args.debug:
            return
        os.makedirs(self.args.debug, exist_ok=True)
        info = {
            "phase": phase,
            "pid": os.getpid(),
            "rank": self.rank,
            "world": self.world,
            "steps": steps,
            "step": self.progress["step"],
            "optimizerStep": self.adam.step,
            "weightsSha256": hashlib.sha256(pack(list(self.model.weights))).hexdigest(),
            "resumedOptimizerSha256": self.resumed_optimizer_sha,
            "wrote": self.written,
        }
        file = os.path.join(self.args.debug, f"rank{self.rank}.json")
        with open(file + ".tmp", "w", encoding="utf-8") as f:
            json.dump(info, f)
        os.replace(file + ".tmp", file)
