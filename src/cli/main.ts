/** The `charm` command: train, prepare, sample, eval, info, complete, import and export over the engine. */
import { parseArgs } from './args';
import { COMPLETE_DEBOUNCE_MS, COMPLETE_FLAGS, completeCommand } from './complete';
import { Output } from './output';
import { TRAIN_FLAGS, trainCommand } from './train';
import { PREPARE_FLAGS, prepareCommand } from './prepare';
import { EVAL_FLAGS, INFO_FLAGS, SAMPLE_FLAGS, evalCommand, infoCommand, sampleCommand } from './inspect';
import { EXPORT_FLAGS, IMPORT_FLAGS, exportCommand, importCommand } from './interop';
import { CharmError } from '../errors';
import { abandonSavesInProgress } from '../training/checkpoint';
import { CELL_NAMES } from '../model/cells';
import { PRESETS } from '../model/config';
import { DEFAULT_SETTINGS, RANGES } from '../extension/settings';
import { NATIVE_MODULES_ENV, TFJS_NODE, TFJS_VERSION } from '../util/nativePackage';

const INLINE = DEFAULT_SETTINGS.inline;
const range = (key: keyof typeof RANGES) => `${RANGES[key][0]}-${RANGES[key][1]}`;

const HELP = `charm: train a character-level LSTM on your own text, then sample it.

Usage:
  charm train <file|folder>... | --data DIR [--out DIR] [--preset ${Object.keys(PRESETS).join('|')}] [--cell ${CELL_NAMES.join('|')}]
        [--layers N] [--units N] [--embedding N] [--seq-length N] [--batch-size N]
        [--learning-rate X] [--schedule cosine|none] [--epochs N] [--max-steps N] [--max-seconds S]
        [--val-fraction F] [--eval-every N] [--patience N] [--seed N] [--resume] [--fine-tune] [--overwrite]
        [--max-file-kb N] [--include-secrets] [--backend auto|tensorflow|wasm|cpu] [--json]
  charm prepare <file|folder>... --out DIR [--val-fraction F] [--seed N] [--max-file-kb N]
        [--include-secrets] [--vocab-size N] [--overwrite] [--json]
  charm sample --model DIR [--prime TEXT] [--length N] [--temperature T] [--top-k K] [--top-p P]
        [--seed N] [--stop STR]... [--backend B] [--json]
  charm eval --model DIR <file|folder>... [--backend B] [--json]
  charm info --model DIR [--json]
  charm complete --model DIR [--corpus PATH]... [--max-length N] [--multiline] [--min-confidence P]
        [--temperature T] [--context-chars N] [--debounce-ms N] [--languages JSON] [--no-learn-saved] [--backend B]
  charm import <model.h5|model.keras|model.json> --out DIR (--vocab FILE | --vocab-from-text FILE) [--json]
  charm export --model DIR --format tfjs-layers|keras-h5 --out PATH [--json]

train   Builds a corpus from the files and folders (honouring .gitignore; skipping binary, large
        and secret files and Charm checkpoints; secrets inside files become <secret> unless
        --include-secrets), trains, and writes checkpoints to --out (default ./charm-model):
        latest/ (to resume) and best/ (lowest validation loss). Budgets count from this run:
        --epochs, --max-steps, --max-seconds (none given: ${10} epochs). --max-seconds is the
        command's wall clock, the final evaluation and save included. Ctrl-C, SIGTERM and SIGHUP
        save and stop (exit 130, 143, 129); a second Ctrl-C quits at once.
        --resume continues the model in --out: on the same corpus it resumes, on new text it
        fine-tunes, keeping the model's vocabulary; text with more than 5 % of characters outside
        that vocabulary is refused unless --fine-tune is given (it implies --resume).
        One training at a time writes to an --out folder (a lock; a crashed run's is taken over).
        --data DIR trains on a folder charm prepare wrote instead of files (its vocabulary and split).
prepare Encodes a corpus for the PyTorch trainer (python/charm_torch/train.py --data DIR): the
        files, vocabulary and train/validation split charm train would use (no total size
        limit), as little-endian ids (uint16; uint32 above 65,536 symbols) in DIR/train.bin and
        DIR/val.bin, with vocab.json and manifest.json. Streams: memory does not grow with the
        corpus. DIR is written whole or not at all; --overwrite replaces prepared data.
sample  Continues --prime (temperature 0 = always the most likely character).
eval    Cross-entropy (nats and bits per character) and accuracy of the model on some text.
info    What a checkpoint holds.
complete
        The editor's inline completions over stdio, for other editors. One JSON request per line
        on stdin: {"id":1,"doc":"file:///a.ts","offset":1234,"before":"<text before the cursor>",
        "after":"<rest of its line>","nextLine":"<optional>","languageId":"<optional>"}; one reply
        per line on stdout, in order: {"id":1,"text":"<suggestion, empty for none>","ms":0.8}.
        {"id":2,"forget":"file:///a.ts"} drops a closed document's state; {"id":3,"saved":"<path or
        file:// URI>"} says a file was saved: the workspace memory learns it from disk, with the
        corpus rules (--no-learn-saved: off). A bad line gets
        {"id":...,"error":"..."} and serving goes on; end of input ends it. --corpus (repeatable):
        files and folders the workspace memory learns (those the model was trained on).
        The other flags are the charm.inlineCompletions.* settings, with their ranges and defaults:
          --max-length ${range('inlineCompletions.maxLength')} (${INLINE.maxLength})   --min-confidence ${range('inlineCompletions.minConfidence')} (${INLINE.minConfidence})   --temperature ${range('inlineCompletions.temperature')} (${INLINE.temperature})
          --context-chars ${range('inlineCompletions.contextChars')} (${INLINE.contextChars})   --multiline (${INLINE.multiline ? 'on' : 'off'})   --languages '${JSON.stringify(INLINE.languages)}'
          --debounce-ms ${range('inlineCompletions.debounceMs')} (${COMPLETE_DEBOUNCE_MS} here, ${INLINE.debounceMs} in the editor: a stdio client asks once and waits)
import  Turns a Keras model (.h5 from Keras 2 / tf.keras or Keras 3's model.save('m.h5'), a Keras 3
        .keras archive) or a tfjs-layers model.json into a checkpoint folder (best/ and latest/) for
        sample, eval, info, complete and train --resume. Layers: Embedding (or one-hot input), LSTM or
        GRU (stacked alike), Dense (linear, or softmax: kept as logits), Dropout and InputLayer.
        These files carry no vocabulary: --vocab-from-text rebuilds it as the tutorials do (the
        sorted set of the text's characters); --vocab reads a JSON index -> character list or a
        character -> index map. Characters outside it are skipped (eval counts them).
export  Writes a checkpoint as a tfjs-layers model (--out is a folder: model.json, weights.bin,
        vocab.json) or a Keras 2 HDF5 file (--out m.h5, and m.vocab.json beside it) that Keras and
        TensorFlow.js load: Embedding -> LSTM/GRU... -> Dense producing logits.

Presets: ${Object.entries(PRESETS)
  .map(([n, p]) => `${n} (E ${p.embedding}, U ${p.units}: ${p.description})`)
  .join('; ')}.
--model accepts a checkpoint root (uses best/) or a latest/ or best/ folder.
--backend tensorflow needs ${TFJS_NODE} (not shipped): npm install it beside Charm, or into a
folder of its own (npm install --prefix DIR ${TFJS_NODE}@${TFJS_VERSION}) and set ${NATIVE_MODULES_ENV}=DIR.
`;

/** Closing the terminal (SIGHUP) saves as SIGTERM and Ctrl-C do; exit codes follow the shell's 128 + signal number. */
const HANDLED_SIGNALS = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;
const SIGNAL_EXIT_CODES: Record<string, number> = { SIGINT: 130, SIGTERM: 143, SIGHUP: 129 };

export async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  if (!command || command === '--help' || command === '-h' || command === 'help') {
    process.stdout.write(HELP);
    return command ? 0 : 1;
  }
  if (rest.includes('--help') || rest.includes('-h')) {
    process.stdout.write(HELP);
    return 0;
  }
  const json = rest.includes('--json');
  const out = new Output(json);
  const controller = new AbortController();
  let stoppedBy: NodeJS.Signals | undefined;
  const onSignal = (signal: NodeJS.Signals) => {
    if (stoppedBy) {
      // Quit at once, but leave no half-written temporary folder (a swap cut short leaves .prev, which loads).
      abandonSavesInProgress();
      process.exit(SIGNAL_EXIT_CODES[signal]);
    }
    stoppedBy = signal;
    // complete's stdout is its protocol: no notes there.
    const note =
      command === 'prepare'
        ? `\n${signal}: stopping; the output folder is not written`
        : `\n${signal}: saving a checkpoint before exiting (press Ctrl-C again to quit at once)`;
    if (command !== 'complete') out.event({ event: 'interrupt', signal }, () => note);
    controller.abort();
  };
  for (const signal of HANDLED_SIGNALS) process.on(signal, onSignal);
  try {
    switch (command) {
      case 'train': {
        const args = parseArgs(rest, TRAIN_FLAGS);
        if (args.positional.length === 0 && args.flags.data === undefined)
          throw new CharmError('train: name at least one file or folder to train on (or --data DIR)');
        await trainCommand(args.positional, args.flags, out, controller.signal);
        return stoppedBy ? SIGNAL_EXIT_CODES[stoppedBy] : 0;
      }
      case 'prepare': {
        const args = parseArgs(rest, PREPARE_FLAGS);
        if (args.positional.length === 0) throw new CharmError('prepare: name at least one file or folder to prepare');
        await prepareCommand(args.positional, args.flags, out, controller.signal);
        return stoppedBy ? SIGNAL_EXIT_CODES[stoppedBy] : 0;
      }
      case 'sample': {
        const args = parseArgs(rest, SAMPLE_FLAGS);
        if (args.positional.length) throw new CharmError(`sample: unexpected argument "${args.positional[0]}" (did you mean --prime?)`);
        await sampleCommand(args.flags, out);
        return 0;
      }
      case 'eval': {
        const args = parseArgs(rest, EVAL_FLAGS);
        await evalCommand(args.positional, args.flags, out);
        return 0;
      }
      case 'info': {
        const args = parseArgs(rest, INFO_FLAGS);
        if (args.positional.length) throw new CharmError(`info: unexpected argument "${args.positional[0]}"`);
        infoCommand(args.flags, out);
        return 0;
      }
      case 'complete': {
        const args = parseArgs(rest, COMPLETE_FLAGS);
        if (args.positional.length) throw new CharmError(`complete: unexpected argument "${args.positional[0]}" (requests come on stdin)`);
        await completeCommand(args.flags, controller.signal);
        return stoppedBy ? SIGNAL_EXIT_CODES[stoppedBy] : 0;
      }
      case 'import': {
        const args = parseArgs(rest, IMPORT_FLAGS);
        await importCommand(args.positional, args.flags, out);
        return 0;
      }
      case 'export': {
        const args = parseArgs(rest, EXPORT_FLAGS);
        await exportCommand(args.positional, args.flags, out);
        return 0;
      }
      default:
        throw new CharmError(`Unknown command "${command}": expected train, prepare, sample, eval, info, complete, import or export (see --help)`);
    }
  } catch (error) {
    if (error instanceof CharmError) {
      out.error(error.message);
    } else if (controller.signal.aborted && (error as Error)?.name === 'AbortError') {
      out.error('interrupted');
      return SIGNAL_EXIT_CODES[stoppedBy ?? 'SIGINT'];
    } else {
      const e = error as Error;
      out.error(`internal error: ${e?.message ?? String(error)}${process.env.CHARM_DEBUG ? '\n' + e?.stack : ' (set CHARM_DEBUG=1 for details)'}`);
    }
    return 1;
  } finally {
    for (const signal of HANDLED_SIGNALS) process.off(signal, onSignal);
  }
}

if (require.main === module) {
  void main(process.argv.slice(2)).then((code) => {
    process.exitCode = code;
  });
}
