import * as assert from 'node:assert/strict';
import { TrimInput, trimCompletion, TrimRules } from '../../../src/extension/completion/trimming';

const RULES: TrimRules = { maxLength: 40, multiline: false };

function trim(text: string, more: Partial<TrimInput> = {}, rules: Partial<TrimRules> = {}) {
  return trimCompletion({ text, linePrefix: '', lineSuffix: '', ...more }, { ...RULES, ...rules });
}

describe('completion trimming', () => {
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
