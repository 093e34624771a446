import * as assert from 'node:assert/strict';
import { TrimInput, trimCompletion, TrimRules } from '../../../src/extension/completion/trimming';

const RULES: TrimRules = { maxLength: 40, multiline: false, minConfidence: 0.25 };
const sure = (text: string) => Array.from(text, () => Math.log(0.9));

function trim(text: string, more: Partial<TrimInput> = {}, rules: Partial<TrimRules> = {}) {
  return trimCompletion({ text, logProbs: sure(text), linePrefix: '', lineSuffix: '', ...more }, { ...RULES, ...rules });
}

describe('completion trimming and thresholds', () => {
  it('stops at the end of the line by default', () => {
    assert.equal((trim('return x;\n}') as { text: string }).text, 'return x;');
  });

  it('keeps several lines when multiline is on', () => {
    assert.equal((trim('a = 1;\nb = 2;', {}, { multiline: true }) as { text: string }).text, 'a = 1;\nb = 2;');
  });

  it('cuts at maxLength without splitting a surrogate pair', () => {
    assert.equal((trim('abcdef', {}, { maxLength: 4 }) as { text: string }).text, 'abcd');
    assert.equal((trim('ab😀cd', {}, { maxLength: 3 }) as { text: string }).text, 'ab');
    assert.equal((trim('ab😀cd', {}, { maxLength: 4 }) as { text: string }).text, 'ab😀');
  });

  it('drops trailing blanks, and drops blank suggestions entirely', () => {
    assert.equal((trim('foo   \n') as { text: string }).text, 'foo');
    assert.deepEqual(trim('   \nfoo'), { dropped: 'empty' });
    assert.deepEqual(trim(''), { dropped: 'empty' });
  });

  it('returns nothing rather than noise when the model is unsure', () => {
    const text = 'qzx vv';
    const unsure = trimCompletion({ text, logProbs: Array.from(text, () => Math.log(0.1)), linePrefix: '', lineSuffix: '' }, RULES);
    assert.equal('dropped' in unsure && unsure.dropped, 'unsure');
    assert.ok(Math.abs((unsure.confidence ?? 0) - 0.1) < 1e-9);
    const ok = trimCompletion({ text, logProbs: Array.from(text, () => Math.log(0.1)), linePrefix: '', lineSuffix: '' }, { ...RULES, minConfidence: 0.05 });
    assert.ok('text' in ok);
  });

  it('judges confidence on the kept part only', () => {
    // Sure about "abc", then a newline and unsure characters that are cut away.
    const text = 'abc\nxyz';
    const logProbs = [...sure('abc'), Math.log(0.01), ...Array.from('xyz', () => Math.log(0.01))];
    const r = trimCompletion({ text, logProbs, linePrefix: '', lineSuffix: '' }, RULES);
    assert.ok('text' in r && r.text === 'abc' && Math.abs(r.confidence - 0.9) < 1e-9);
  });

  it('drops the suggestion when other text follows the cursor on the line', () => {
    assert.deepEqual(trim('foo', { lineSuffix: 'bar()' }), { dropped: 'text-after-cursor' });
  });

  it('fits before closing brackets and quotes that follow the cursor', () => {
    assert.equal((trim('a, b) {', { lineSuffix: ')' }) as { text: string }).text, 'a, b');
    assert.equal((trim('hello world', { lineSuffix: '");' }) as { text: string }).text, 'hello world');
    assert.equal((trim('x\ny', { lineSuffix: ' ]' }, { multiline: true }) as { text: string }).text, 'x', 'single line before a closer');
  });

  it('drops a suggestion that repeats the next line', () => {
    const r = trim('return x;', { linePrefix: '  ', nextLine: '  return x;' });
    assert.equal('dropped' in r && r.dropped, 'repeats-next-line');
    assert.ok('text' in trim('return y;', { linePrefix: '  ', nextLine: '  return x;' }));
  });

  it('in multiline mode stops before a generated line that repeats the next line', () => {
    const r = trim('a();\nb();\nend', { nextLine: 'b();' }, { multiline: true });
    assert.equal((r as { text: string }).text, 'a();');
  });
});
