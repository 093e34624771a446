/// <reference lib="dom" />
/**
 * The loss chart of the model view: plain SVG (no libraries under the webview's strict CSP), the
 * training curve, the validation curve with its points, axes with "nice" ticks and a legend.
 */
import type { ModelReport } from '../modelReport';
import { formatCount } from '../../util/format';
import { el } from './dom';

const SVG = 'http://www.w3.org/2000/svg';

type Point = [step: number, loss: number];

/** "Nice" tick values (steps of 1, 2, 2.5 or 5 times a power of ten) covering [lo, hi]. */
export function ticks(lo: number, hi: number, wanted: number): number[] {
  if (!(hi > lo)) return [lo];
  const raw = (hi - lo) / wanted;
  const mag = Math.pow(10, Math.floor(Math.log10(raw)));
  const step = [1, 2, 2.5, 5, 10].map((m) => m * mag).find((s) => s >= raw) ?? raw;
  const out: number[] = [];
  for (let v = Math.ceil(lo / step) * step; v <= hi + step * 1e-9; v += step) out.push(Number(v.toFixed(10)));
  return out;
}

function svg(tag: string, attrs: Record<string, string | number>): SVGElement {
  const e = document.createElementNS(SVG, tag);
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, String(v));
  return e;
}

function svgText(attrs: Record<string, string | number>, text: string): SVGElement {
  const t = svg('text', attrs);
  t.textContent = text;
  return t;
}

/** A loss that can be drawn (JSON turns NaN and infinities into null). */
const drawable = (p: Point): boolean => Number.isFinite(p[1]);

/** Replaces the contents of `box` with the chart of `history`, or a note when there is none. */
export function drawLossChart(box: HTMLElement, history: ModelReport['history']): void {
  box.replaceChildren();
  const all = history.train.concat(history.val);
  const losses = all.filter(drawable).map((p) => p[1]);
  if (all.length === 0 || losses.length === 0) {
    box.append(el('p', 'No training history yet.', 'muted'));
    return;
  }
  const W = 720,
    H = 280,
    L = 52,
    R = 16,
    T = 12,
    B = 40;
  const steps = all.map((p) => p[0]);
  let x0 = Math.min(...steps),
    x1 = Math.max(...steps);
  if (x1 === x0) {
    x0 -= 1;
    x1 += 1;
  }
  let y0 = Math.min(...losses),
    y1 = Math.max(...losses);
  const pad = (y1 - y0) * 0.08 || 0.5;
  y0 = Math.max(0, y0 - pad);
  y1 += pad;
  const sx = (s: number) => L + ((s - x0) / (x1 - x0)) * (W - L - R);
  const sy = (l: number) => T + (1 - (l - y0) / (y1 - y0)) * (H - T - B);
  const root = svg('svg', { viewBox: `0 0 ${W} ${H}`, class: 'loss-chart' });
  for (const v of ticks(y0, y1, 5)) {
    root.append(svg('line', { x1: L, x2: W - R, y1: sy(v), y2: sy(v), class: 'grid' }));
    root.append(svgText({ x: L - 6, y: sy(v) + 4, class: 'tick', 'text-anchor': 'end' }, String(v)));
  }
  for (const v of ticks(x0, x1, 6)) {
    root.append(svgText({ x: sx(v), y: H - B + 16, class: 'tick', 'text-anchor': 'middle' }, formatCount(v)));
  }
  root.append(svg('line', { x1: L, x2: L, y1: T, y2: H - B, class: 'axis' }));
  root.append(svg('line', { x1: L, x2: W - R, y1: H - B, y2: H - B, class: 'axis' }));
  const midY = (T + H - B) / 2;
  root.append(
    svgText({ x: (L + W - R) / 2, y: H - 6, class: 'label', 'text-anchor': 'middle' }, 'step'),
    svgText({ x: 12, y: midY, class: 'label', 'text-anchor': 'middle', transform: `rotate(-90 12 ${midY})` }, 'loss (nats/char)'),
  );
  const curve = (pts: Point[], cls: 'train' | 'val') => {
    const ok = pts.filter(drawable);
    if (ok.length === 0) return;
    const d = ok.map((p, i) => (i ? 'L' : 'M') + sx(p[0]).toFixed(1) + ' ' + sy(p[1]).toFixed(1)).join(' ');
    root.append(svg('path', { d, class: 'curve ' + cls }));
    if (cls === 'val') for (const p of ok) root.append(svg('circle', { cx: sx(p[0]), cy: sy(p[1]), r: 2.5, class: 'dot val' }));
  };
  curve(history.train, 'train');
  curve(history.val, 'val');
  const legend: ['train' | 'val', string][] = [
    ['train', 'training loss'],
    ['val', 'validation loss'],
  ];
  legend.forEach(([cls, label], i) => {
    const x = W - R - 260 + i * 130;
    root.append(svg('line', { x1: x, x2: x + 18, y1: T + 8, y2: T + 8, class: 'curve ' + cls }));
    root.append(svgText({ x: x + 24, y: T + 12, class: 'tick' }, label));
  });
  box.append(root);
}
