import {
  formatLabelSelector,
  formatLabels,
  LabelSelectorError,
  labelSelectorAsSelector,
  labelSelectorMatches,
  parseSelector,
  selectorFromSet,
} from '@navarch/api';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';

describe('label selector string syntax', () => {
  const selector = parseSelector('a=b,c!=d,e in (x,y),f notin (z),g,!h');

  it('parses every operator and keeps requirements sorted by key', () => {
    expect(
      selector.requirements.map((requirement) => [requirement.key, requirement.operator, requirement.values]),
    ).toEqual([
      ['a', 'Equals', ['b']],
      ['c', 'NotEquals', ['d']],
      ['e', 'In', ['x', 'y']],
      ['f', 'NotIn', ['z']],
      ['g', 'Exists', []],
      ['h', 'DoesNotExist', []],
    ]);
    expect(selector.toString()).toBe('a=b,c!=d,e in (x,y),f notin (z),g,!h');
  });

  it('reads `in` and `notin` as words where a key or value is expected (found by the property test)', () => {
    expect(String(parseSelector('!in,aa'))).toBe('aa,!in');
    expect(parseSelector('!in').matches({ in: 'x' })).toBe(false);
    expect(parseSelector('!in').matches({ other: 'x' })).toBe(true);
    expect(parseSelector('in=notin').matches({ in: 'notin' })).toBe(true);
    expect(parseSelector('a in (in,notin)').matches({ a: 'notin' })).toBe(true);
    expect(() => parseSelector('a in in')).toThrow(LabelSelectorError);
  });

  it('matches label sets', () => {
    expect(selector.matches({ a: 'b', e: 'x', g: '' })).toBe(true);
    expect(selector.matches({ a: 'b', e: 'y', g: '1', c: 'other', f: 'q' })).toBe(true);
    expect(selector.matches({ a: 'b', e: 'x', g: '', h: '1' })).toBe(false);
    expect(selector.matches({ a: 'b', e: 'x', g: '', c: 'd' })).toBe(false);
    expect(selector.matches({ a: 'b', e: 'x', g: '', f: 'z' })).toBe(false);
    expect(selector.matches({ a: 'b', e: 'w', g: '' })).toBe(false);
    expect(selector.matches({ a: 'b', e: 'x' })).toBe(false);
    expect(selector.matches(undefined)).toBe(false);
  });

  it('accepts ==, spaces, empty values, numeric comparisons and prefixed keys', () => {
    expect(parseSelector('app == web').matches({ app: 'web' })).toBe(true);
    expect(parseSelector('tier=').matches({ tier: '' })).toBe(true);
    expect(parseSelector('tier=').matches({})).toBe(false);
    expect(parseSelector('n>3').matches({ n: '4' })).toBe(true);
    expect(parseSelector('n<3').matches({ n: '4' })).toBe(false);
    expect(parseSelector('example.com/role in ( db , cache )').matches({ 'example.com/role': 'cache' })).toBe(
      true,
    );
    expect(parseSelector('').isEmpty()).toBe(true);
    expect(parseSelector('').matches({ anything: 'x' })).toBe(true);
  });

  it.each([
    'a=b,',
    ',a',
    'a in x',
    'a in (x',
    'a in ()',
    '!a=b',
    'a=(b)',
    '=b',
    'a b',
    'a=b c',
    'bad key!=x y',
    'a=b=c',
    'a notin',
    '-a=b',
    'a=-b',
    'n>x',
  ])('rejects %j with a typed error', (input) => {
    let caught: unknown;
    try {
      parseSelector(input);
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(LabelSelectorError);
    expect((caught as LabelSelectorError).code).toBe('NAVARCH_ERR_LABEL_SELECTOR_INVALID');
  });
});

describe('structured LabelSelector', () => {
  it('ANDs matchLabels and matchExpressions', () => {
    const selector = {
      matchLabels: { app: 'web' },
      matchExpressions: [
        { key: 'tier', operator: 'In' as const, values: ['front', 'edge'] },
        { key: 'canary', operator: 'DoesNotExist' as const },
        { key: 'env', operator: 'NotIn' as const, values: ['dev'] },
        { key: 'team', operator: 'Exists' as const },
      ],
    };
    expect(labelSelectorMatches(selector, { app: 'web', tier: 'edge', team: 'a' })).toBe(true);
    expect(labelSelectorMatches(selector, { app: 'web', tier: 'edge', team: 'a', canary: 'y' })).toBe(false);
    expect(labelSelectorMatches(selector, { app: 'web', tier: 'edge', team: 'a', env: 'dev' })).toBe(false);
    expect(labelSelectorMatches(selector, { app: 'web', tier: 'back', team: 'a' })).toBe(false);
    expect(formatLabelSelector(selector)).toBe('app=web,!canary,env notin (dev),team,tier in (edge,front)');
  });

  it('treats nil as nothing and {} as everything, like metav1.LabelSelectorAsSelector', () => {
    expect(labelSelectorMatches(undefined, {})).toBe(false);
    expect(labelSelectorMatches({}, { a: 'b' })).toBe(true);
    expect(formatLabelSelector(undefined)).toBe('<none>');
    expect(formatLabelSelector({})).toBe('<none>');
  });

  it('rejects a bad operator or value list with a typed error', () => {
    expect(() =>
      labelSelectorAsSelector({ matchExpressions: [{ key: 'a', operator: 'Has' as never }] }),
    ).toThrow(LabelSelectorError);
    expect(() =>
      labelSelectorAsSelector({ matchExpressions: [{ key: 'a', operator: 'In', values: [] }] }),
    ).toThrow(LabelSelectorError);
    expect(() =>
      labelSelectorAsSelector({ matchExpressions: [{ key: 'a', operator: 'Exists', values: ['x'] }] }),
    ).toThrow(LabelSelectorError);
    expect(labelSelectorMatches({ matchLabels: { 'bad key': 'x' } }, { 'bad key': 'x' })).toBe(false);
  });

  it('formats label maps like kubectl', () => {
    expect(formatLabels({ b: '2', a: '1' })).toBe('a=1,b=2');
    expect(formatLabels({})).toBe('<none>');
    expect(selectorFromSet({ app: 'x' }).toString()).toBe('app=x');
  });
});

const labelKey = fc.stringMatching(/^[a-z][a-z0-9-]{0,8}[a-z0-9]$/);
const labelValue = fc.stringMatching(/^([A-Za-z0-9][-A-Za-z0-9_.]{0,6}[A-Za-z0-9])?$/);
const requirement = fc.oneof(
  fc.tuple(labelKey, fc.constantFrom('=', '==', '!='), labelValue).map(([k, op, v]) => `${k}${op}${v}`),
  fc
    .tuple(
      labelKey,
      fc.constantFrom('in', 'notin'),
      fc.array(
        labelValue.filter((v) => v !== ''),
        { minLength: 1, maxLength: 3 },
      ),
    )
    .map(([k, op, vs]) => `${k} ${op} (${vs.join(',')})`),
  labelKey,
  labelKey.map((k) => `!${k}`),
);

describe('label selector properties', () => {
  it('toString() is canonical: parsing it again gives the same selector and the same matches', () => {
    fc.assert(
      fc.property(
        fc.array(requirement, { minLength: 1, maxLength: 5 }),
        fc.dictionary(labelKey, labelValue, { maxKeys: 5 }),
        (parts, labels) => {
          const first = parseSelector(parts.join(','));
          const second = parseSelector(first.toString());
          expect(second.toString()).toBe(first.toString());
          expect(second.matches(labels)).toBe(first.matches(labels));
        },
      ),
    );
  });

  it('never throws anything but LabelSelectorError on arbitrary input', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 40 }), (text) => {
        try {
          parseSelector(text);
        } catch (error) {
          expect(error).toBeInstanceOf(LabelSelectorError);
        }
      }),
    );
  });
});
