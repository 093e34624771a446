import * as assert from 'node:assert/strict';
import * as path from 'node:path';
import * as vm from 'node:vm';
import * as esbuild from 'esbuild';
import type { HostToView } from '../../../../src/extension/modelView/messages';
import { modelViewHtml } from '../../../../src/extension/modelViewHtml';
import { fakePage, having } from './fakeDom';
import { emptyReport, trainedReport } from './reportFixture';

const ENTRY = path.resolve(__dirname, '..', '..', '..', '..', 'src', 'extension', 'modelView', 'webview.ts');

/** The view's script as esbuild.mjs builds it for the webview (a browser IIFE). */
async function bundle(): Promise<string> {
  const result = await esbuild.build({
    entryPoints: [ENTRY],
    bundle: true,
    platform: 'browser',
    format: 'iife',
    target: 'es2022',
    write: false,
    logLevel: 'silent',
  });
  return result.outputFiles[0].text;
}

describe('model view script (bundled, on a fake page)', () => {
  let code = '';
  before(async () => {
    code = await bundle();
  });

  /** The real HTML shell's elements, with the script loaded. */
  function load() {
    const page = fakePage(modelViewHtml({ cspSource: 'x', scriptUri: 'x', styleUri: 'x' }, 'n'));
    vm.runInNewContext(code, page.globals);
    return page;
  }

  it('bundles for the browser alone: no require, no Node or VS Code module', () => {
    assert.doesNotMatch(code, /\brequire\(|node:|from ['"]vscode['"]/);
  });

  it('says it is ready once loaded, and asks for samples from the "Start from" text', () => {
    const page = load();
    assert.deepEqual(page.posted, [{ type: 'ready' }]);
    page.element('prime').value = 'let x';
    let prevented = false;
    page.element('sample-form').dispatch('submit', {
      preventDefault: () => {
        prevented = true;
      },
    });
    assert.ok(prevented, 'the form is not submitted as a page load');
    assert.deepEqual(page.posted[1], { type: 'samples', prime: 'let x' });
    assert.ok(page.element('samples').classList.contains('busy'));
  });

  it('draws the loss curves and fills the tables from a report', () => {
    const page = load();
    const report = { ...trainedReport(), training: { progress: 0.5, step: 150, loss: 2.5, etaSeconds: 30, stopping: false } };
    page.receive({ type: 'report', report } satisfies HostToView);
    const chart = page.element('chart');
    assert.equal(chart.findAll(having('svg', 'loss-chart')).length, 1);
    const train = chart.findAll(having('path', 'curve', 'train'));
    const val = chart.findAll(having('path', 'curve', 'val'));
    assert.equal(train.length, 1);
    assert.equal(val.length, 1);
    assert.match(train[0].attributes.get('d') ?? '', /^M[\d.]+ [\d.]+ L[\d.]+ [\d.]+ L[\d.]+ [\d.]+$/, 'three points');
    assert.equal(chart.findAll(having('circle', 'dot', 'val')).length, 2);
    assert.match(page.element('model').textContent, /Parameters1,234,567/);
    assert.match(page.element('corpus').textContent, /Files1,200/);
    assert.match(page.element('subtitle').textContent, /^LSTM 2×256/);
    assert.equal(page.element('training').hidden, false);
    assert.equal(page.element('training').textContent, 'Training: 50% · step 150 · loss 2.500 · ETA 30s');
  });

  it('shows an empty report as no model, no history, and hides the training line', () => {
    const page = load();
    page.receive({ type: 'report', report: trainedReport() });
    page.receive({ type: 'report', report: emptyReport() });
    assert.match(page.element('subtitle').textContent, /No model yet/);
    assert.equal(page.element('chart').textContent, 'No training history yet.');
    assert.equal(page.element('model').textContent, 'Modelnone');
    assert.equal(page.element('training').hidden, true);
  });

  it('leaves out losses that JSON turned into null', () => {
    const page = load();
    page.receive({
      type: 'report',
      report: {
        ...trainedReport(),
        history: {
          train: [
            [1, NaN],
            [2, 3],
            [3, 2],
          ],
          val: [[2, Infinity]],
        },
      },
    });
    const d =
      page
        .element('chart')
        .findAll(having('path', 'curve', 'train'))[0]
        ?.attributes.get('d') ?? '';
    assert.doesNotMatch(d, /NaN/);
    assert.equal(d.split('L').length, 2, 'two points drawn');
    assert.equal(page.element('chart').findAll(having('path', 'curve', 'val')).length, 0);
    page.receive({ type: 'report', report: { ...trainedReport(), history: { train: [[1, NaN]], val: [] } } });
    assert.equal(page.element('chart').textContent, 'No training history yet.');
  });

  it('shows one captioned sample per temperature, after the prime, and a note for a blank one', () => {
    const page = load();
    page.receive({ type: 'prime', text: 'def ' });
    assert.equal(page.element('prime').value, 'def ');
    const samples = [0, 0.25, 0.5, 0.75, 1].map((temperature) => ({ temperature, text: temperature === 0 ? '   ' : `f${temperature}()` }));
    page.receive({ type: 'samples', samples, prime: 'def ' } satisfies HostToView);
    const box = page.element('samples');
    const pres = box.findAll(having('pre'));
    assert.equal(pres.length, 5);
    assert.equal(pres[1].textContent, 'def f0.25()');
    assert.match(pres[0].textContent, /^def \n\(only blank characters/);
    assert.deepEqual(
      box
        .findAll(having('figcaption'))
        .map((c) => c.textContent)
        .slice(0, 2),
      ['temperature 0 (most likely)', 'temperature 0.25'],
    );
    page.receive({ type: 'samples', error: 'No model loaded.', prime: '' });
    assert.equal(box.textContent, 'No model loaded.');
    assert.equal(box.classList.contains('busy'), false);
  });

  it('ignores a malformed message and keeps what it shows', () => {
    const page = load();
    page.receive({ type: 'report', report: trainedReport() });
    const before = page.element('model').textContent;
    page.receive({ type: 'report', report: { ...trainedReport(), model: { ...trainedReport().model, cell: 3 } } });
    page.receive({ type: 'samples', samples: 'oops', prime: '' });
    page.receive({ type: 'explode' });
    page.receive(null);
    assert.equal(page.element('model').textContent, before);
    assert.equal(page.element('samples').children.length, 0);
    assert.equal(page.warnings.length, 4);
  });
});
