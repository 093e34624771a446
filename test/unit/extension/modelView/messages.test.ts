import * as assert from 'node:assert/strict';
import { HostToView, isHostToView, isModelReport, isViewToHost, ViewToHost } from '../../../../src/extension/modelView/messages';
import { emptyReport, trainedReport, wire } from './reportFixture';

describe('model view messages', () => {
  it('the view accepts every well-formed message from the host after a trip over the wire', () => {
    const training = { progress: 0.5, step: 10, loss: null, etaSeconds: null, stopping: false };
    const messages: HostToView[] = [
      { type: 'report', report: trainedReport() },
      { type: 'report', report: { ...trainedReport(), training } },
      { type: 'report', report: emptyReport() },
      { type: 'prime', text: 'function ' },
      { type: 'prime', text: '' },
      {
        type: 'samples',
        samples: [
          { temperature: 0, text: 'a' },
          { temperature: 0.5, text: '' },
        ],
        prime: 'x',
      },
      { type: 'samples', error: 'No model loaded.', prime: '' },
      { type: 'samples', samples: [], prime: '' },
    ];
    for (const m of messages) assert.ok(isHostToView(wire(m)), JSON.stringify(m).slice(0, 80));
  });

  it("the host accepts the view's two requests", () => {
    const messages: ViewToHost[] = [{ type: 'ready' }, { type: 'samples', prime: '' }, { type: 'samples', prime: 'const x' }];
    for (const m of messages) assert.ok(isViewToHost(wire(m)), m.type);
  });

  it('the host rejects unknown types, missing or mistyped fields and non-objects', () => {
    assert.equal(isViewToHost({ type: 'samples' }), false, 'a request without its prime');
    assert.equal(isViewToHost({ type: 'samples', prime: 3 }), false);
    assert.equal(isViewToHost({ type: 'report', report: trainedReport() }), false, 'a host message is not a request');
    assert.equal(isViewToHost({ type: 'hasOwnProperty' }), false, 'inherited keys are not message types');
    for (const v of [null, undefined, 'ready', 1, [], {}]) assert.equal(isViewToHost(v), false, JSON.stringify(v) ?? 'undefined');
  });

  it('the view rejects a report with a missing section or a mistyped field in any section', () => {
    const broken: [string, unknown][] = [
      ['no history', { ...trainedReport(), history: undefined }],
      ['no inference', { ...trainedReport(), inference: undefined }],
      ['cell is not a string', { ...trainedReport(), model: { ...trainedReport().model, cell: 7 } }],
      ['model without units', { ...trainedReport(), model: { ...trainedReport().model, units: undefined } }],
      ['bestValLoss a string', { ...trainedReport(), progress: { ...trainedReport().progress, bestValLoss: '1.2' } }],
      ['seqLength a string', { ...trainedReport(), progress: { ...trainedReport().progress, seqLength: '100' } }],
      ['sources not strings', { ...trainedReport(), corpus: { ...trainedReport().corpus, sources: [1] } }],
      ['training without stopping', { ...trainedReport(), training: { progress: 0, step: 0, loss: null, etaSeconds: null } }],
      ['model is an array', { ...trainedReport(), model: [] }],
      ['a point of three numbers', { ...trainedReport(), history: { train: [[1, 2, 3]], val: [] } }],
      ['a point with a string step', { ...trainedReport(), history: { train: [['1', 2]], val: [] } }],
      ['val not an array', { ...trainedReport(), history: { train: [], val: {} } }],
    ];
    for (const [what, report] of broken) {
      assert.equal(isModelReport(report), false, what);
      assert.equal(isHostToView({ type: 'report', report }), false, what);
    }
  });

  it('the view keeps a loss that JSON turned into null (a NaN or infinite loss) for the chart to leave out', () => {
    const report = {
      ...trainedReport(),
      history: {
        train: [
          [1, NaN],
          [2, 3],
        ],
        val: [[2, Infinity]],
      },
    };
    assert.ok(isHostToView(wire({ type: 'report', report })));
  });

  it('the view rejects malformed prime and samples messages', () => {
    assert.equal(isHostToView({ type: 'prime' }), false);
    assert.equal(isHostToView({ type: 'samples', samples: [{ temperature: 0, text: 'a' }] }), false, 'without the prime');
    assert.equal(isHostToView({ type: 'samples', samples: [{ temperature: '0', text: 'a' }], prime: '' }), false);
    assert.equal(isHostToView({ type: 'samples', samples: [null], prime: '' }), false);
    assert.equal(isHostToView({ type: 'samples', samples: 'abc', prime: '' }), false);
    assert.equal(isHostToView({ type: 'samples', error: 42, prime: '' }), false);
    assert.equal(isHostToView({ type: 'ready' }), false, 'a request is not a host message');
    for (const v of [null, undefined, 'report', 1, []]) assert.equal(isHostToView(v), false, String(v));
  });
});
