// json-text writes single values exactly as JSON.stringify does.
import { describe, expect, it } from 'vitest';
import { jsonNumber, jsonString, jsonStringOrNull } from '../../src/core/json-text';

describe('json-text', () => {
  it('strings: plain, escaped, control characters, non-ASCII, lone surrogates', () => {
    for (const s of ['', '127.0.0.1', '::ffff:1', 'ESTABLISHED', 'a"b', 'a\\b', 'x\ty\n', '\u0000\u001f', '\u007f', 'ünï', '\ud800', 'a\udc00b', '😀']) {
      expect(jsonString(s)).toBe(JSON.stringify(s));
    }
    expect(jsonStringOrNull(null)).toBe('null');
  });

  it('numbers: integers, fractions, large, negative zero, NaN and the infinities', () => {
    for (const n of [0, -0, 1, -1, 0.1, 1e21, 2 ** 53, 2 ** 64, 1.5e-7, NaN, Infinity, -Infinity, null]) {
      expect(jsonNumber(n)).toBe(JSON.stringify(n));
    }
  });
});
