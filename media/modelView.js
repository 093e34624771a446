// @ts-check
// The model view's script (a VS Code webview; strict CSP, no libraries). It renders the report the
// extension posts ({ type: 'report' }) and the samples ({ type: 'samples' }), and asks for new
// samples. The loss chart is plain SVG drawn here. Data are only ever set as text, never as HTML.
(function () {
  'use strict';
  // eslint-disable-next-line no-undef
  const vscode = acquireVsCodeApi();
  const SVG = 'http://www.w3.org/2000/svg';
  const $ = (id) => /** @type {HTMLElement} */ (document.getElementById(id));

  /** @param {number} n */
  const count = (n) => Math.round(n).toLocaleString('en-US');
  /** @param {number | null | undefined} x */
  const loss = (x) => (x === null || x === undefined || !isFinite(x) ? '-' : x.toFixed(3));
  /** @param {number} b */
  const bytes = (b) => (b < 1024 * 1024 ? (b / 1024).toFixed(1) + ' KB' : (b / 1024 / 1024).toFixed(1) + ' MB');
  /** @param {number} s */
  const duration = (s) => {
    s = Math.round(s);
    if (s < 60) return s + 's';
    const m = Math.floor(s / 60);
    return m < 60 ? m + 'm ' + String(s % 60).padStart(2, '0') + 's' : Math.floor(m / 60) + 'h ' + String(m % 60).padStart(2, '0') + 'm';
  };

  /** @param {string} tag @param {string} [text] @param {string} [cls] */
  function el(tag, text, cls) {
    const e = document.createElement(tag);
    if (text !== undefined) e.textContent = text;
    if (cls) e.className = cls;
    return e;
  }

  /** @param {HTMLElement} table @param {[string, string][]} rows */
  function fillTable(table, rows) {
    table.replaceChildren(...rows.map(([k, v]) => {
      const tr = el('tr');
      tr.append(el('th', k), el('td', v));
      return tr;
    }));
  }

  /** @param {string} tag @param {Record<string, string | number>} attrs */
  function svg(tag, attrs) {
    const e = document.createElementNS(SVG, tag);
    for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, String(v));
    return e;
  }

  /** "Nice" tick values covering [lo, hi]. */
  function ticks(lo, hi, wanted) {
    if (!(hi > lo)) return [lo];
    const raw = (hi - lo) / wanted;
    const mag = Math.pow(10, Math.floor(Math.log10(raw)));
    const step = [1, 2, 2.5, 5, 10].map((m) => m * mag).find((s) => s >= raw) || raw;
    const out = [];
    for (let v = Math.ceil(lo / step) * step; v <= hi + step * 1e-9; v += step) out.push(Number(v.toFixed(10)));
    return out;
  }

  /** @param {{ train: [number, number][], val: [number, number][] }} history */
  function drawChart(history) {
    const box = $('chart');
    box.replaceChildren();
    const all = history.train.concat(history.val);
    if (all.length === 0) {
      box.append(el('p', 'No training history yet.', 'muted'));
      return;
    }
    const W = 720, H = 280, L = 52, R = 16, T = 12, B = 40;
    const steps = all.map((p) => p[0]);
    const losses = all.map((p) => p[1]).filter((x) => isFinite(x));
    let x0 = Math.min(...steps), x1 = Math.max(...steps);
    if (x1 === x0) { x0 -= 1; x1 += 1; }
    let y0 = Math.min(...losses), y1 = Math.max(...losses);
    const pad = (y1 - y0) * 0.08 || 0.5;
    y0 = Math.max(0, y0 - pad); y1 += pad;
    const sx = (s) => L + ((s - x0) / (x1 - x0)) * (W - L - R);
    const sy = (l) => T + (1 - (l - y0) / (y1 - y0)) * (H - T - B);
    const root = svg('svg', { viewBox: `0 0 ${W} ${H}`, class: 'loss-chart' });
    for (const v of ticks(y0, y1, 5)) {
      root.append(svg('line', { x1: L, x2: W - R, y1: sy(v), y2: sy(v), class: 'grid' }));
      const t = svg('text', { x: L - 6, y: sy(v) + 4, class: 'tick', 'text-anchor': 'end' });
      t.textContent = String(v);
      root.append(t);
    }
    for (const v of ticks(x0, x1, 6)) {
      const t = svg('text', { x: sx(v), y: H - B + 16, class: 'tick', 'text-anchor': 'middle' });
      t.textContent = count(v);
      root.append(t);
    }
    root.append(svg('line', { x1: L, x2: L, y1: T, y2: H - B, class: 'axis' }));
    root.append(svg('line', { x1: L, x2: W - R, y1: H - B, y2: H - B, class: 'axis' }));
    const xl = svg('text', { x: (L + W - R) / 2, y: H - 6, class: 'label', 'text-anchor': 'middle' });
    xl.textContent = 'step';
    const yl = svg('text', { x: 12, y: (T + H - B) / 2, class: 'label', 'text-anchor': 'middle', transform: `rotate(-90 12 ${(T + H - B) / 2})` });
    yl.textContent = 'loss (nats/char)';
    root.append(xl, yl);
    /** @param {[number, number][]} pts @param {string} cls */
    const curve = (pts, cls) => {
      const ok = pts.filter((p) => isFinite(p[1]));
      if (ok.length === 0) return;
      const d = ok.map((p, i) => (i ? 'L' : 'M') + sx(p[0]).toFixed(1) + ' ' + sy(p[1]).toFixed(1)).join(' ');
      root.append(svg('path', { d, class: 'curve ' + cls }));
      if (cls === 'val') for (const p of ok) root.append(svg('circle', { cx: sx(p[0]), cy: sy(p[1]), r: 2.5, class: 'dot val' }));
    };
    curve(history.train, 'train');
    curve(history.val, 'val');
    const legend = [['train', 'training loss'], ['val', 'validation loss']];
    legend.forEach(([cls, label], i) => {
      const x = W - R - 260 + i * 130;
      root.append(svg('line', { x1: x, x2: x + 18, y1: T + 8, y2: T + 8, class: 'curve ' + cls }));
      const t = svg('text', { x: x + 24, y: T + 12, class: 'tick' });
      t.textContent = label;
      root.append(t);
    });
    box.append(root);
  }

  /** @param {any} r */
  function render(r) {
    const sub = $('subtitle');
    if (!r.model) {
      sub.textContent = 'No model yet: run "Charm: Train on Workspace".';
    } else {
      const inf = r.inference.state === 'ready' ? `completing with the ${r.inference.backend} backend` : `completion process: ${r.inference.state}`;
      sub.textContent = `${r.model.cell.toUpperCase()} ${r.model.layers}×${r.model.units} · ${count(r.model.parameters)} parameters · ${inf}`;
    }
    const tr = $('training');
    if (r.training) {
      tr.hidden = false;
      tr.textContent = `Training: ${Math.floor(r.training.progress * 100)}% · step ${r.training.step} · loss ${loss(r.training.loss)}` +
        (r.training.etaSeconds !== null ? ` · ETA ${duration(r.training.etaSeconds)}` : '');
    } else {
      tr.hidden = true;
    }
    drawChart(r.history);
    const m = r.model, p = r.progress, c = r.corpus;
    fillTable($('model'), m ? [
      ['Cell', `${m.cell.toUpperCase()}, ${m.layers} layer${m.layers > 1 ? 's' : ''} of ${m.units} units`],
      ['Embedding', String(m.embedding)],
      ['Vocabulary', `${m.vocabSize} symbols`],
      ['Parameters', count(m.parameters)],
      ['Size', `${bytes(m.weightBytes)} weights, ${bytes(m.totalBytes)} on disk`],
      ['Steps', `${count(p.step)} (epoch ${p.epoch})`],
      ['Best validation loss', p.bestValLoss === null ? '-' : `${loss(p.bestValLoss)} nats/char at step ${p.bestStep}`],
      ['Training time', duration(p.elapsedSeconds)],
      ['Trained with', `${p.trainedOn} backend${p.seqLength ? `, seq ${p.seqLength}, batch ${p.batchSize}, lr ${p.learningRate}` : ''}`],
      ['Completes with', r.inference.state === 'ready' ? `${r.inference.backend} (${r.inference.detail})` : r.inference.message || r.inference.state],
      ['Saved', new Date(p.savedAt).toLocaleString()],
    ] : [['Model', 'none']]);
    fillTable($('corpus'), c ? [
      ['Files', count(c.files)],
      ['Characters', count(c.chars)],
      ['Training / validation', `${count(c.trainChars)} / ${count(c.valChars)}`],
      ['Unknown characters', count(c.unknownChars)],
      ['Sources', c.sources.join('\n')],
    ] : [['Corpus', '-']]);
  }

  /**
   * @param {{ temperature: number, text: string }[] | undefined} samples
   * @param {string | undefined} error
   * @param {string} prime the text the samples continue
   */
  function renderSamples(samples, error, prime) {
    const box = $('samples');
    box.classList.remove('busy');
    if (error || !samples) {
      box.replaceChildren(el('p', error || 'No samples.', 'muted'));
      return;
    }
    box.replaceChildren(...samples.map((s) => {
      const fig = el('figure', undefined, 'sample');
      const pre = el('pre');
      if (prime) pre.append(el('span', prime, 'prime'));
      // A sample of blanks only (a young model at a low temperature) would look like an empty box.
      if (s.text.trim() === '') pre.append(el('span', `${prime ? '\n' : ''}(only blank characters: the model is not sure enough of anything else yet)`, 'muted'));
      else pre.append(document.createTextNode(s.text));
      fig.append(el('figcaption', s.temperature === 0 ? 'temperature 0 (most likely)' : `temperature ${s.temperature}`), pre);
      return fig;
    }));
  }

  function requestSamples() {
    $('samples').classList.add('busy');
    vscode.postMessage({ type: 'samples', prime: /** @type {HTMLInputElement} */ ($('prime')).value });
  }

  $('sample-form').addEventListener('submit', (e) => {
    e.preventDefault();
    requestSamples();
  });

  window.addEventListener('message', (event) => {
    const msg = event.data;
    if (msg && msg.type === 'report') render(msg.report);
    else if (msg && msg.type === 'prime') /** @type {HTMLInputElement} */ ($('prime')).value = msg.text;
    else if (msg && msg.type === 'samples') renderSamples(msg.samples, msg.error, typeof msg.prime === 'string' ? msg.prime : '');
  });

  vscode.postMessage({ type: 'ready' });
})();
