/** A small, strict command-line parser: unknown flags and bad values are errors, not ignored. */
import { CharmError } from '../errors';

export type FlagKind = 'string' | 'int' | 'number' | 'boolean' | 'strings';

export interface FlagSpec {
  kind: FlagKind;
  /** For string flags: the accepted values. */
  choices?: readonly string[];
}

export type FlagValues = Record<string, string | number | boolean | string[] | undefined>;

export interface ParsedArgs {
  positional: string[];
  flags: FlagValues;
}

export function parseArgs(argv: string[], specs: Record<string, FlagSpec>): ParsedArgs {
  const positional: string[] = [];
  const flags: FlagValues = {};
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === '--') {
      positional.push(...argv.slice(i + 1));
      break;
    }
    if (!arg.startsWith('--') || arg === '--') {
      positional.push(arg);
      continue;
    }
    const eq = arg.indexOf('=');
    const name = eq > 0 ? arg.slice(2, eq) : arg.slice(2);
    const spec = specs[name];
    if (!spec) throw new CharmError(`Unknown option --${name} (see --help)`);
    if (spec.kind === 'boolean') {
      if (eq > 0) throw new CharmError(`Option --${name} takes no value`);
      flags[name] = true;
      continue;
    }
    let raw: string;
    if (eq > 0) raw = arg.slice(eq + 1);
    else {
      if (i + 1 >= argv.length) throw new CharmError(`Option --${name} needs a value`);
      raw = argv[++i];
    }
    flags[name] = convert(name, raw, spec, flags[name]);
  }
  return { positional, flags };
}

function convert(name: string, raw: string, spec: FlagSpec, previous: FlagValues[string]): FlagValues[string] {
  switch (spec.kind) {
    case 'int': {
      if (!/^-?\d+$/.test(raw.trim())) throw new CharmError(`Option --${name} expects an integer, got "${raw}"`);
      return Number.parseInt(raw, 10);
    }
    case 'number': {
      const value = Number(raw);
      if (raw.trim() === '' || !Number.isFinite(value)) throw new CharmError(`Option --${name} expects a number, got "${raw}"`);
      return value;
    }
    case 'strings':
      return [...((previous as string[] | undefined) ?? []), raw];
    default:
      if (spec.choices && !spec.choices.includes(raw)) {
        throw new CharmError(`Option --${name} expects one of ${spec.choices.join(', ')}, got "${raw}"`);
      }
      return raw;
  }
}

export function flagString(flags: FlagValues, name: string): string | undefined {
  return flags[name] as string | undefined;
}
export function flagNumber(flags: FlagValues, name: string): number | undefined {
  return flags[name] as number | undefined;
}
export function flagBool(flags: FlagValues, name: string): boolean {
  return flags[name] === true;
}
export function flagStrings(flags: FlagValues, name: string): string[] {
  return (flags[name] as string[] | undefined) ?? [];
}
