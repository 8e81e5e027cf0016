import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { type KubeObject, nowTimestamp, specChanged } from '../src/objects.js';

/** The definition specChanged had: the JSON text of everything but metadata, status, apiVersion and kind. */
function specText(obj: KubeObject): string {
  const { metadata: _m, status: _s, apiVersion: _a, kind: _k, ...rest } = obj;
  return JSON.stringify(rest);
}

describe('specChanged', () => {
  it('says what comparing the JSON text of the specs says', () => {
    const fields = fc.dictionary(
      fc.constantFrom('spec', 'data', 'metadata', 'status', 'apiVersion', 'kind', 'rules', 'x'),
      fc.oneof(fc.jsonValue({ maxDepth: 3 }), fc.constant(undefined)),
      { maxKeys: 5 },
    );
    const object = fields.map((f) => ({ metadata: {}, ...f }) as KubeObject);
    // Pairs that are often equal or nearly so: a copy with one field replaced, or reordered.
    const pair: fc.Arbitrary<readonly [KubeObject, KubeObject]> = fc.oneof(
      fc.tuple(object, object),
      object.map((o) => [o, structuredClone(o)] as const),
      fc
        .tuple(object, fc.jsonValue({ maxDepth: 2 }))
        .map(([o, v]) => [o, { ...o, spec: v } as KubeObject] as const),
      object.map((o) => [o, Object.fromEntries(Object.entries(o).reverse()) as KubeObject] as const),
    );
    fc.assert(
      fc.property(pair, ([a, b]) => {
        expect(specChanged(a, b)).toBe(specText(a) !== specText(b));
      }),
      { numRuns: 2000 },
    );
  });

  it('ignores metadata and status but not a changed or reordered spec field', () => {
    const base: KubeObject = {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'a' },
      spec: { a: 1, b: [1] },
    };
    expect(specChanged(base, { ...base, metadata: { name: 'b' }, status: { phase: 'Running' } })).toBe(false);
    expect(specChanged(base, { ...base, spec: { a: 1, b: [2] } })).toBe(true);
    expect(specChanged(base, { ...base, spec: { b: [1], a: 1 } })).toBe(true);
    expect(specChanged(base, { ...base, spec: { a: 1, b: [1], c: undefined } })).toBe(false);
  });
});

describe('nowTimestamp', () => {
  it('formats the current second, shifted by the offset, in RFC 3339', () => {
    const before = Math.floor(Date.now() / 1000);
    const now = Date.parse(nowTimestamp()) / 1000;
    const later = Date.parse(nowTimestamp(30)) / 1000;
    const after = Math.floor(Date.now() / 1000);
    expect(nowTimestamp()).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    expect(now).toBeGreaterThanOrEqual(before);
    expect(now).toBeLessThanOrEqual(after);
    expect(later).toBeGreaterThanOrEqual(before + 30);
    expect(later).toBeLessThanOrEqual(after + 30);
  });
});
