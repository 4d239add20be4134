/**
 * The helpers that decide output order: fast paths checked against the
 * obvious reference implementations over random values.
 */
import * as fc from 'fast-check';
import { canonicalJson, compareStrings, sortStrings } from '../lib/util/names';

/** The plain definition: keys sorted by code unit, undefined members left out. */
function reference(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(reference).join(',')}]`;
  if (value && typeof value === 'object') {
    const entries = Object.keys(value as object).sort(compareStrings)
      .filter((k) => (value as Record<string, unknown>)[k] !== undefined)
      .map((k) => `${JSON.stringify(k)}:${reference((value as Record<string, unknown>)[k])}`);
    return `{${entries.join(',')}}`;
  }
  return JSON.stringify(value);
}

describe('ordering helpers', () => {
  test('canonicalJson: keys sorted at every depth, undefined members dropped', () => {
    expect(canonicalJson({ b: 1, a: { d: [2, { z: true, y: null }], c: undefined } })).toBe('{"a":{"d":[2,{"y":null,"z":true}]},"b":1}');
    expect(canonicalJson({ b: 1, a: 2 })).toBe(canonicalJson({ a: 2, b: 1 }));
    expect(canonicalJson({ a: [1, 2] })).not.toBe(canonicalJson({ a: [2, 1] }));
    expect(canonicalJson({})).toBe('{}');
    expect(canonicalJson([])).toBe('[]');
  });

  test('canonicalJson equals the reference definition on random JSON (fixed seed)', () => {
    fc.assert(fc.property(fc.jsonValue(), (v) => canonicalJson(v) === reference(v)), { seed: 7, numRuns: 300 });
  });

  test('sortStrings orders by code unit, like compareStrings, whatever the locale', () => {
    expect(sortStrings(['b', 'B', 'a', 'é', 'Z', '_'])).toEqual(['B', 'Z', '_', 'a', 'b', 'é']);
    fc.assert(fc.property(fc.array(fc.string({ unit: 'binary', maxLength: 12 }), { maxLength: 20 }), (xs) => {
      expect(sortStrings(xs)).toEqual([...xs].sort(compareStrings));
    }), { seed: 7, numRuns: 300 });
  });
});
