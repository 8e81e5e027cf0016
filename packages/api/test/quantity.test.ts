import {
  canonicalQuantity,
  compareQuantities,
  NavarchApiError,
  parseQuantity,
  Quantity,
  QuantityError,
  quantityToBytes,
  quantityToMilli,
} from '@navarch/api';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';

describe('quantity parsing and canonical form', () => {
  // Expected values are what Kubernetes' resource.MustParse(x).String() prints.
  const canonical: Array<[string | number, string]> = [
    ['0', '0'],
    ['1000', '1k'],
    ['1500m', '1500m'],
    ['0.5', '500m'],
    ['.5', '500m'],
    ['5.', '5'],
    ['1.0', '1'],
    ['100m', '100m'],
    ['250m', '250m'],
    ['128Mi', '128Mi'],
    ['10Gi', '10Gi'],
    ['1.5Gi', '1536Mi'],
    ['0.5Gi', '512Mi'],
    ['1024Mi', '1Gi'],
    ['1023Ki', '1023Ki'],
    ['0.1Ki', '102400m'],
    ['1Ki', '1Ki'],
    ['1024', '1024'],
    ['1e3', '1e3'],
    ['1E3', '1e3'],
    ['12e2', '1200'],
    ['1e-3', '1e-3'],
    ['1k', '1k'],
    ['1000k', '1M'],
    ['1M', '1M'],
    ['0.1n', '1n'],
    ['1u', '1u'],
    ['-1', '-1'],
    ['+5', '5'],
    ['2Ti', '2Ti'],
    ['1Ei', '1Ei'],
    ['1E', '1E'],
    ['2000P', '2E'],
    [1, '1'],
    [0.25, '250m'],
  ];
  it.each(canonical)('%s → %s', (input, expected) => {
    expect(canonicalQuantity(input)).toBe(expected);
  });

  it('converts to milli units and bytes, rounding up', () => {
    expect(quantityToMilli('250m')).toBe(250);
    expect(quantityToMilli('1')).toBe(1000);
    expect(quantityToMilli('0.1')).toBe(100);
    expect(quantityToMilli('1n')).toBe(1);
    expect(quantityToBytes('128Mi')).toBe(134217728);
    expect(quantityToBytes('10Gi')).toBe(10 * 1024 ** 3);
    expect(quantityToBytes('1k')).toBe(1000);
    expect(quantityToBytes('1500m')).toBe(2);
    expect(quantityToBytes('1e3')).toBe(1000);
  });

  it('compares across notations', () => {
    expect(compareQuantities('1Gi', '1024Mi')).toBe(0);
    expect(compareQuantities('1k', '1000')).toBe(0);
    expect(compareQuantities('500m', '0.5')).toBe(0);
    expect(compareQuantities('1G', '1Gi')).toBe(-1);
    expect(compareQuantities('2', '1999m')).toBe(1);
    expect(compareQuantities('-1', '0')).toBe(-1);
  });

  it('adds and subtracts exactly', () => {
    const sum = parseQuantity('100m').add(parseQuantity('200m')).add(parseQuantity('0.7'));
    expect(sum.toString()).toBe('1');
    expect(parseQuantity('1Gi').sub(parseQuantity('512Mi')).toString()).toBe('512Mi');
    expect(Quantity.fromMilli(1500).toString()).toBe('1500m');
    expect(JSON.stringify({ cpu: parseQuantity('0.5') })).toBe('{"cpu":"500m"}');
  });

  it.each(['', 'abc', '1.2.3', '1Kb', 'Mi', '--1', '1 Gi', '1e', '1ee3', '.', 'e3', '1ki'])(
    'rejects %j with a typed error',
    (input) => {
      let caught: unknown;
      try {
        parseQuantity(input);
      } catch (error) {
        caught = error;
      }
      expect(caught).toBeInstanceOf(QuantityError);
      expect(caught).toBeInstanceOf(NavarchApiError);
      expect((caught as QuantityError).code).toBe('NAVARCH_ERR_QUANTITY_INVALID');
    },
  );

  it('bounds the exponent so hostile input cannot exhaust memory', () => {
    expect(() => parseQuantity('1e100000')).toThrowError(
      expect.objectContaining({ code: 'NAVARCH_ERR_QUANTITY_OUT_OF_RANGE' }),
    );
    expect(() => quantityToBytes('1E')).toThrowError(
      expect.objectContaining({ code: 'NAVARCH_ERR_QUANTITY_OUT_OF_RANGE' }),
    );
  });
});

const suffix = fc.constantFrom('', 'm', 'k', 'M', 'G', 'n', 'u', 'Ki', 'Mi', 'Gi', 'Ti', 'e3', 'e-2', 'E6');
const quantityText = fc
  .tuple(fc.nat({ max: 1_000_000 }), fc.option(fc.nat({ max: 999 }), { nil: undefined }), suffix)
  .map(([whole, fraction, unit]) => `${whole}${fraction === undefined ? '' : `.${fraction}`}${unit}`);

describe('quantity properties', () => {
  it('canonical form parses back to an equal quantity and is a fixed point', () => {
    fc.assert(
      fc.property(quantityText, (text) => {
        const quantity = parseQuantity(text);
        const canonicalText = quantity.toString();
        expect(parseQuantity(canonicalText).cmp(quantity)).toBe(0);
        expect(canonicalQuantity(canonicalText)).toBe(canonicalText);
      }),
    );
  });

  it('comparison is antisymmetric and consistent with subtraction', () => {
    fc.assert(
      fc.property(quantityText, quantityText, (a, b) => {
        const left = parseQuantity(a);
        const right = parseQuantity(b);
        expect(left.cmp(right)).toBe(-right.cmp(left));
        expect(left.sub(right).sign()).toBe(left.cmp(right));
      }),
    );
  });

  it('never throws anything but a QuantityError on arbitrary strings', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 30 }), (text) => {
        try {
          parseQuantity(text);
        } catch (error) {
          expect(error).toBeInstanceOf(QuantityError);
        }
      }),
    );
  });
});
