import * as assert from 'node:assert/strict';
import { formatBytes, formatCount, formatDuration, formatLoss, plural } from '../../../src/util/format';

describe('shared number formats', () => {
  it('writes durations as seconds, minutes and seconds, or hours and minutes', () => {
    assert.equal(formatDuration(0), '0s');
    assert.equal(formatDuration(59.4), '59s');
    assert.equal(formatDuration(59.5), '1m 00s', 'rounded before choosing the unit');
    assert.equal(formatDuration(95), '1m 35s');
    assert.equal(formatDuration(3599), '59m 59s');
    assert.equal(formatDuration(3600), '1h 00m');
    assert.equal(formatDuration(2 * 3600 + 5 * 60 + 59), '2h 05m');
    assert.equal(formatDuration(30 * 3600), '30h 00m');
  });

  it('writes an unknown duration as "-"', () => {
    for (const x of [NaN, Infinity, -Infinity, -1]) assert.equal(formatDuration(x), '-', String(x));
  });

  it('writes counts rounded, with thousands separators', () => {
    assert.equal(formatCount(0), '0');
    assert.equal(formatCount(999.6), '1,000');
    assert.equal(formatCount(1234567), '1,234,567');
    assert.equal(formatCount(-1500), '-1,500');
    assert.equal(formatCount(NaN), '-');
    assert.equal(formatCount(Infinity), '-');
  });

  it('pluralises after the count as written', () => {
    assert.equal(plural(1, 'file'), '1 file');
    assert.equal(plural(0, 'file'), '0 files');
    assert.equal(plural(2, 'file'), '2 files');
    assert.equal(plural(12345, 'character'), '12,345 characters');
  });

  it('writes sizes in B, KB and MB', () => {
    assert.equal(formatBytes(0), '0 B');
    assert.equal(formatBytes(1023), '1023 B');
    assert.equal(formatBytes(1024), '1.0 KB');
    assert.equal(formatBytes(1536), '1.5 KB');
    assert.equal(formatBytes(1023.9 * 1024), '1023.9 KB');
    assert.equal(formatBytes(1024 * 1024 - 1), '1.0 MB', 'the unit is chosen after rounding');
    assert.equal(formatBytes(1024 * 1024), '1.0 MB');
    assert.equal(formatBytes(5.25 * 1024 * 1024 * 1024), '5376.0 MB');
    assert.equal(formatBytes(-1), '-');
    assert.equal(formatBytes(NaN), '-');
  });

  it('writes losses to three decimals, "-" when there is none', () => {
    assert.equal(formatLoss(1.23456), '1.235');
    assert.equal(formatLoss(0), '0.000');
    for (const x of [null, undefined, NaN, Infinity]) assert.equal(formatLoss(x), '-', String(x));
  });
});
