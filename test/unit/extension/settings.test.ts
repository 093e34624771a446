import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { DEFAULT_SETTINGS, RANGES, readSettings } from '../../../src/extension/settings';

const ROOT = path.resolve(__dirname, '..', '..', '..');

describe('settings', () => {
  it('defaults when nothing is set', () => {
    assert.deepEqual(
      readSettings(() => undefined),
      DEFAULT_SETTINGS,
    );
  });

  it('reads values and clamps numbers into range', () => {
    const values: Record<string, unknown> = {
      temperature: 5,
      'inlineCompletions.maxLength': 12.6,
      'training.maxMinutes': 0.5,
      'model.preset': 'tiny',
      backend: 'cpu',
      'inlineCompletions.languages': { markdown: false },
    };
    const s = readSettings((k) => values[k]);
    assert.equal(s.temperature, 2);
    assert.equal(s.inline.maxLength, 13);
    assert.equal(s.training.maxMinutes, 0.5, 'fractions of a minute are allowed');
    assert.equal(s.preset, 'tiny');
    assert.equal(s.backend, 'cpu');
    assert.deepEqual(s.inline.languages, { markdown: false });
  });

  it('falls back to the default for values of the wrong type', () => {
    const values: Record<string, unknown> = {
      temperature: 'hot',
      'model.preset': 'huge',
      backend: 'gpu',
      'inlineCompletions.languages': ['python'],
      'training.exclude': ['*.key', 3, ''],
      'inlineCompletions.enabled': 'yes',
    };
    const s = readSettings((k) => values[k]);
    assert.equal(s.temperature, DEFAULT_SETTINGS.temperature);
    assert.equal(s.preset, 'small');
    assert.equal(s.backend, 'auto');
    assert.deepEqual(s.inline.languages, { '*': true });
    assert.deepEqual(s.training.exclude, ['*.key']);
    assert.equal(s.inline.enabled, true);
  });

  it('package.json declares every setting with a description, its default and its range', () => {
    const pkg = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as {
      contributes: {
        configuration: {
          properties: Record<string, { description?: string; markdownDescription?: string; default?: unknown; minimum?: number; maximum?: number }>;
        };
      };
    };
    const props = pkg.contributes.configuration.properties;
    for (const [key, p] of Object.entries(props)) {
      assert.ok(key.startsWith('charm.'), key);
      assert.ok((p.description ?? p.markdownDescription ?? '').length > 20, `${key} needs a description`);
    }
    const expectDefault = (key: string, value: unknown) => assert.deepEqual(props[`charm.${key}`]?.default, value, key);
    expectDefault('temperature', DEFAULT_SETTINGS.temperature);
    expectDefault('inlineCompletions.enabled', true);
    expectDefault('inlineCompletions.languages', { '*': true });
    expectDefault('inlineCompletions.maxLength', 40);
    expectDefault('inlineCompletions.multiline', false);
    expectDefault('inlineCompletions.debounceMs', DEFAULT_SETTINGS.inline.debounceMs);
    expectDefault('inlineCompletions.minConfidence', DEFAULT_SETTINGS.inline.minConfidence);
    expectDefault('inlineCompletions.temperature', DEFAULT_SETTINGS.inline.temperature);
    expectDefault('inlineCompletions.contextChars', DEFAULT_SETTINGS.inline.contextChars);
    expectDefault('generate.length', 200);
    expectDefault('model.preset', 'small');
    expectDefault('training.maxMinutes', DEFAULT_SETTINGS.training.maxMinutes);
    expectDefault('training.exclude', DEFAULT_SETTINGS.training.exclude);
    expectDefault('training.maxFileSizeKB', DEFAULT_SETTINGS.training.maxFileSizeKB);
    expectDefault('backend', 'auto');
    for (const [key, [min, max]] of Object.entries(RANGES)) {
      assert.deepEqual([props[`charm.${key}`]?.minimum, props[`charm.${key}`]?.maximum], [min, max], `range of ${key}`);
    }
  });
});
