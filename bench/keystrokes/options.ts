/** The keystroke benchmark's command line (parsed by the CLI's own strict parser). */
import { flagBool, flagNumber, flagString, FlagSpec, parseArgs } from '../../src/cli/args';
import { CharmError } from '../../src/errors';
import type { BackendChoice } from '../../src/accel';
import { CharmVariant, parseVariants } from './variants';

export const USAGE = `npm run bench:keystrokes -- [options]
  --workspace DIR        type files of DIR (picked by the corpus rules) instead of rxjs 7.8.1's src/
  --held-out a,b         the held-out files, relative to DIR (default: a seeded pick)
  --held-out-count N     files held out by the seeded pick, among files of >= 2,000 chars (5)
  --seed N               seed of the pick (1)
  --chars N              characters typed from the start of each held-out file (6000)
  --train-seconds S      training time of the default preset, cached by workspace/split/preset/S (300)
  --halves               continuous learning: the first half of each held-out file is in the document and
                         saved (learned) already; the second half is typed
  --retrain              train again even if the cached model exists
  --model DIR            use this model instead of training one
  --suggesters LIST      which of charm,word,ngram run (all)
  --variants SPEC        Charm engine variants as extra rows: names from ${'{'}lstm,ngram,mix,greedy,...${'}'}
                         joined by ",", or "name=<engine options JSON>;name=..."
  --backend B            auto|wasm|cpu|tensorflow (auto)
  --json FILE            also write every figure as JSON`;

export type SuggesterName = 'charm' | 'word' | 'ngram';
const SUGGESTERS: readonly SuggesterName[] = ['charm', 'word', 'ngram'];

export interface BenchOptions {
  workspace?: string;
  heldOut?: string[];
  heldOutCount: number;
  seed: number;
  chars: number;
  trainSeconds: number;
  retrain: boolean;
  halves: boolean;
  model?: string;
  suggesters: SuggesterName[];
  variants: CharmVariant[];
  backend: BackendChoice;
  json?: string;
  help: boolean;
}

const FLAGS: Record<string, FlagSpec> = {
  workspace: { kind: 'string' },
  'held-out': { kind: 'string' },
  'held-out-count': { kind: 'int' },
  seed: { kind: 'int' },
  chars: { kind: 'int' },
  'train-seconds': { kind: 'number' },
  retrain: { kind: 'boolean' },
  halves: { kind: 'boolean' },
  model: { kind: 'string' },
  suggesters: { kind: 'string' },
  variants: { kind: 'string' },
  backend: { kind: 'string', choices: ['auto', 'wasm', 'cpu', 'tensorflow'] },
  json: { kind: 'string' },
  help: { kind: 'boolean' },
};

export function parseOptions(argv: string[]): BenchOptions {
  const { positional, flags } = parseArgs(argv, FLAGS);
  if (positional.length > 0) throw new CharmError(`Unexpected argument "${positional[0]}" (see --help)`);
  const positive = (name: string, fallback: number): number => {
    const v = flagNumber(flags, name) ?? fallback;
    if (!(v > 0)) throw new CharmError(`--${name} must be positive, got ${v}`);
    return v;
  };
  const heldOut = flagString(flags, 'held-out')
    ?.split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '');
  if (heldOut && !flagString(flags, 'workspace')) throw new CharmError('--held-out names files of --workspace DIR: give --workspace too');
  if (heldOut?.length === 0) throw new CharmError('--held-out needs at least one file');
  const suggesters = (flagString(flags, 'suggesters') ?? SUGGESTERS.join(','))
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '');
  for (const s of suggesters) {
    if (!(SUGGESTERS as readonly string[]).includes(s)) throw new CharmError(`--suggesters: unknown "${s}", expected some of ${SUGGESTERS.join(', ')}`);
  }
  if (suggesters.length === 0) throw new CharmError('--suggesters: name at least one');
  return {
    workspace: flagString(flags, 'workspace'),
    heldOut,
    heldOutCount: positive('held-out-count', 5),
    seed: flagNumber(flags, 'seed') ?? 1,
    chars: positive('chars', 6000),
    trainSeconds: positive('train-seconds', 300),
    retrain: flagBool(flags, 'retrain'),
    halves: flagBool(flags, 'halves'),
    model: flagString(flags, 'model'),
    suggesters: [...new Set(suggesters)] as SuggesterName[],
    variants: parseVariants(flagString(flags, 'variants')),
    backend: (flagString(flags, 'backend') ?? 'auto') as BackendChoice,
    json: flagString(flags, 'json'),
    help: flagBool(flags, 'help'),
  };
}
