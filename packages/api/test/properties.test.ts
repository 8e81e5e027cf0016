import {
  applyDefaults,
  type KubeObject,
  tableCells,
  tableColumns,
  validateObject,
  validateObjectUpdate,
  validateStatusUpdate,
} from '@navarch/api';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { allPaths, applyMutation, mutationsFor, setPath, validObject } from './arbitraries.js';

const NOW_MS = Date.parse('2026-01-01T00:00:00Z');
/** NAVARCH_PROPERTY_SCALE=20 multiplies every run count for a longer local soak. */
const SCALE = Number(process.env.NAVARCH_PROPERTY_SCALE ?? 1);
const runs = (count: number): { numRuns: number } => ({ numRuns: Math.ceil(count * SCALE) });

describe('valid objects (property)', () => {
  it('survive a JSON round trip, before and after defaulting', () => {
    fc.assert(
      fc.property(validObject, (object) => {
        expect(JSON.parse(JSON.stringify(object))).toEqual(object);
        const defaulted = applyDefaults(object);
        expect(JSON.parse(JSON.stringify(defaulted))).toEqual(defaulted);
      }),
      runs(300),
    );
  });

  it('default idempotently and without touching the input', () => {
    fc.assert(
      fc.property(validObject, (object) => {
        const before = structuredClone(object);
        const once = applyDefaults(object);
        expect(object).toEqual(before);
        expect(applyDefaults(once)).toEqual(once);
      }),
      runs(300),
    );
  });

  it('validate with no causes, before and after defaulting, and as a no-op update', () => {
    fc.assert(
      fc.property(validObject, (object) => {
        expect(validateObject(object)).toEqual([]);
        const defaulted = applyDefaults(object);
        expect(validateObject(defaulted)).toEqual([]);
        expect(validateObjectUpdate(defaulted, defaulted)).toEqual([]);
        expect(validateStatusUpdate(defaulted, defaulted)).toEqual([]);
      }),
      runs(300),
    );
  });

  it('print one cell per column', () => {
    fc.assert(
      fc.property(validObject, (object) => {
        const defaulted = applyDefaults(object);
        expect(tableCells(defaulted, NOW_MS)).toHaveLength(tableColumns(defaulted.kind ?? '').length);
      }),
      runs(200),
    );
  });
});

describe('invalid objects (property)', () => {
  it('are rejected with a cause naming the mutated field', () => {
    const withMutation = validObject.chain((object) =>
      fc.tuple(fc.constant(object), fc.constantFrom(...mutationsFor(object))),
    );
    fc.assert(
      fc.property(withMutation, ([object, change]) => {
        const mutated = structuredClone(object);
        applyMutation(mutated, change);
        const causes = validateObject(applyDefaults(mutated));
        expect(
          causes.map((cause) => cause.field),
          change.description,
        ).toContain(change.field);
        expect(causes.some((cause) => cause.type === 'InternalError')).toBe(false);
      }),
      runs(500),
    );
  });

  it('never crash defaulting or validation when any field holds any JSON value', () => {
    const withGarbage = validObject.chain((object) => {
      const paths = allPaths(object).filter((path) => path[0] !== 'kind');
      return fc.tuple(fc.constant(object), fc.constantFrom(...paths), fc.jsonValue({ maxDepth: 2 }));
    });
    fc.assert(
      fc.property(withGarbage, ([object, path, value]) => {
        const mutated = structuredClone(object) as KubeObject;
        setPath(mutated, path, value);
        const defaulted = applyDefaults(mutated);
        const causes = validateObject(defaulted);
        expect(causes.filter((cause) => cause.type === 'InternalError')).toEqual([]);
        const updateCauses = validateObjectUpdate(defaulted, applyDefaults(object));
        expect(updateCauses.filter((cause) => cause.type === 'InternalError')).toEqual([]);
        const statusCauses = validateStatusUpdate(defaulted, applyDefaults(object));
        expect(statusCauses.filter((cause) => cause.type === 'InternalError')).toEqual([]);
        for (const cause of causes) expect(typeof cause.message).toBe('string');
      }),
      runs(1000),
    );
  });
});
