/// <reference lib="dom" />
/**
 * The model view's script, bundled by esbuild into dist/webview/modelView.js (a browser IIFE,
 * loaded under the strict CSP of modelViewHtml.ts). It draws the report the host posts, shows the
 * samples, and asks for new samples; every message in is checked by isHostToView.
 */
import type { ModelReport } from '../modelReport';
import { byId, el, fillTable } from './dom';
import { drawLossChart } from './lossChart';
import { HostToView, isHostToView, Sample, ViewToHost } from './messages';
import { blankSampleNote, corpusRows, modelRows, sampleCaption, subtitle, trainingLine } from './reportText';

/** Given by VS Code to the webview's scripts, once per page. */
declare function acquireVsCodeApi(): { postMessage(message: ViewToHost): void };

const vscode = acquireVsCodeApi();
const primeInput = byId('prime') as HTMLInputElement;

function render(r: ModelReport): void {
  byId('subtitle').textContent = subtitle(r);
  const training = byId('training');
  const line = trainingLine(r);
  training.hidden = line === undefined;
  training.textContent = line ?? '';
  drawLossChart(byId('chart'), r.history);
  fillTable(byId('model'), modelRows(r));
  fillTable(byId('corpus'), corpusRows(r));
}

function renderSamples(samples: Sample[] | undefined, error: string | undefined, prime: string): void {
  const box = byId('samples');
  box.classList.remove('busy');
  if (error || !samples) {
    box.replaceChildren(el('p', error || 'No samples.', 'muted'));
    return;
  }
  box.replaceChildren(
    ...samples.map((s) => {
      const fig = el('figure', undefined, 'sample');
      const pre = el('pre');
      if (prime) pre.append(el('span', prime, 'prime'));
      if (s.text.trim() === '') pre.append(el('span', blankSampleNote(prime), 'muted'));
      else pre.append(document.createTextNode(s.text));
      fig.append(el('figcaption', sampleCaption(s.temperature)), pre);
      return fig;
    }),
  );
}

function onMessage(msg: HostToView): void {
  switch (msg.type) {
    case 'report':
      render(msg.report);
      break;
    case 'prime':
      primeInput.value = msg.text;
      break;
    case 'samples':
      renderSamples(msg.samples, msg.error, msg.prime);
      break;
  }
}

byId('sample-form').addEventListener('submit', (e) => {
  e.preventDefault();
  byId('samples').classList.add('busy');
  vscode.postMessage({ type: 'samples', prime: primeInput.value });
});

window.addEventListener('message', (event: MessageEvent<unknown>) => {
  if (isHostToView(event.data)) onMessage(event.data);
  else console.warn('Charm model view: ignored a malformed message', event.data);
});

vscode.postMessage({ type: 'ready' });
