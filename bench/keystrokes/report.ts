/** The keystroke benchmark's printed tables (markdown) and its JSON. */
import { calibration, Figures, figuresOf } from './figures';
import type { Tally, UserKind } from './simulation';

export interface Row {
  suggester: string;
  user: UserKind;
  /** Summed over the held-out files. */
  total: Tally;
  perFile: { rel: string; tally: Tally }[];
}

const pct = (x: number) => (Number.isFinite(x) ? `${(100 * x).toFixed(1)} %` : '-');
const num = (x: number, digits = 1) => (Number.isFinite(x) ? x.toFixed(digits) : '-');

function markdownTable(header: string[], rows: string[][]): string {
  const widths = header.map((h, k) => Math.max(h.length, ...rows.map((r) => r[k].length)));
  const line = (cells: string[]) => `| ${cells.map((c, k) => c.padEnd(widths[k])).join(' | ')} |`;
  return [line(header), `|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`, ...rows.map(line)].join('\n');
}

export function figuresTable(rows: readonly Row[]): string {
  return markdownTable(
    ['suggester', 'user', 'keystrokes saved', 'accepted', 'shown / 100 chars', 'mean accepted length', 'wrong chars / 100', 'p50 ms', 'p95 ms'],
    rows.map((r) => {
      const f = figuresOf(r.total);
      return [
        r.suggester,
        r.user,
        pct(f.savings),
        pct(f.acceptance),
        num(f.shownPer100),
        num(f.meanAcceptedLength),
        num(f.wrongPer100),
        num(f.p50Ms, 2),
        num(f.p95Ms, 2),
      ];
    }),
  );
}

/** Shown probability -> accepted how often, one column pair per user. */
export function calibrationTable(rows: readonly Row[]): string {
  const tables = rows.map((r) => ({ user: r.user, c: calibration(r.total.records) }));
  const bins = tables[0]?.c.bins ?? [];
  const header = ['shown with probability', ...tables.flatMap((t) => [`${t.user}: shown`, `${t.user}: accepted`])];
  const body = bins.map((b, k) => [
    `[${b.from.toFixed(1)}, ${b.to.toFixed(1)}${k === bins.length - 1 ? ']' : ')'}`,
    ...tables.flatMap((t) => [String(t.c.bins[k].shown), t.c.bins[k].shown ? `${t.c.bins[k].accepted} (${pct(t.c.bins[k].rate)})` : '-']),
  ]);
  const without = tables.map((t) => t.c.withoutProbability);
  if (without.some((n) => n > 0)) body.push(['no probability', ...tables.flatMap((t) => [String(t.c.withoutProbability), '-'])]);
  return markdownTable(header, body);
}

/** Charm's Tab-user savings over the better anchor's, when both ran. */
export function ratioToAnchor(rows: readonly Row[], charm: string, anchors: readonly string[]): { anchor: string; ratio: number } | undefined {
  const tab = (name: string) => rows.find((r) => r.suggester === name && r.user === 'tab');
  const c = tab(charm);
  const best = anchors
    .map(tab)
    .filter((r): r is Row => r !== undefined)
    .map((r) => ({ name: r.suggester, f: figuresOf(r.total) }))
    .sort((a, b) => b.f.savings - a.f.savings)[0];
  if (!c || !best) return undefined;
  return { anchor: best.name, ratio: figuresOf(c.total).savings / best.f.savings };
}

export interface JsonRow {
  suggester: string;
  user: UserKind;
  figures: Figures;
  calibration: ReturnType<typeof calibration>;
  perFile: { rel: string; figures: Figures }[];
}

export function jsonRows(rows: readonly Row[]): JsonRow[] {
  return rows.map((r) => ({
    suggester: r.suggester,
    user: r.user,
    figures: figuresOf(r.total),
    calibration: calibration(r.total.records),
    perFile: r.perFile.map((p) => ({ rel: p.rel, figures: figuresOf(p.tally) })),
  }));
}
