/**
 * Kubernetes resource quantities (k8s.io/apimachinery/pkg/api/resource): parsing of
 * `250m`, `128Mi`, `10Gi`, `1e3`, `0.5`, canonical formatting, comparison and conversion.
 *
 * A quantity is held exactly as `unscaled × 10^scale` (bigint mantissa), so `0.1 + 0.2`
 * style rounding never happens. As in Kubernetes, precision finer than 1n (10^-9) is
 * rounded up (away from zero) on parse, and the suffix family the user wrote (binary,
 * decimal SI, or exponent) is remembered and used for the canonical form.
 */
import { QuantityError } from './errors.js';

/** Which notation a quantity was written in; it decides the canonical output form. */
export type QuantityFormat = 'BinarySI' | 'DecimalSI' | 'DecimalExponent';

const BINARY_SUFFIXES: Record<string, number> = { Ki: 1, Mi: 2, Gi: 3, Ti: 4, Pi: 5, Ei: 6 };
const DECIMAL_SUFFIXES: Record<string, number> = {
  n: -9,
  u: -6,
  m: -3,
  '': 0,
  k: 3,
  M: 6,
  G: 9,
  T: 12,
  P: 15,
  E: 18,
};
const DECIMAL_BY_EXPONENT = new Map<number, string>(Object.entries(DECIMAL_SUFFIXES).map(([s, e]) => [e, s]));

/** Largest decimal exponent accepted; bounds the cost of bigint arithmetic on hostile input. */
const MAX_EXPONENT = 1000;
/** Finest precision kept, as in Kubernetes: nano units. */
const MIN_SCALE = -9;

const QUANTITY_RE = /^([+-]?)(\d*)(?:\.(\d*))?(Ki|Mi|Gi|Ti|Pi|Ei|[numkMGTPE]|[eE][+-]?\d+)?$/;

function pow10(exponent: number): bigint {
  return 10n ** BigInt(exponent);
}

function divideAwayFromZero(value: bigint, divisor: bigint): bigint {
  const negative = value < 0n;
  const magnitude = negative ? -value : value;
  let result = magnitude / divisor;
  if (magnitude % divisor !== 0n) result += 1n;
  return negative ? -result : result;
}

/** An exact resource amount. Immutable. */
export class Quantity {
  /** Mantissa; value = unscaled × 10^scale. Normalized: no trailing decimal zeros unless zero. */
  readonly unscaled: bigint;
  /** Decimal exponent of the mantissa; ≥ -9. */
  readonly scale: number;
  readonly format: QuantityFormat;

  /** Builds a quantity from its exact parts; prefer `parseQuantity` or `Quantity.fromMilli`. */
  constructor(unscaled: bigint, scale: number, format: QuantityFormat) {
    if (scale < MIN_SCALE) {
      // Round away from zero to nano precision, as Kubernetes does on parse.
      unscaled = divideAwayFromZero(unscaled, pow10(MIN_SCALE - scale));
      scale = MIN_SCALE;
    }
    // Normalize so equal values have one representation (cheap comparisons, stable output).
    if (unscaled === 0n) {
      scale = 0;
    } else {
      while (unscaled % 10n === 0n) {
        unscaled /= 10n;
        scale += 1;
      }
    }
    if (scale > MAX_EXPONENT) {
      throw new QuantityError(
        'NAVARCH_ERR_QUANTITY_OUT_OF_RANGE',
        `${unscaled}e${scale}`,
        'quantity is too large',
      );
    }
    this.unscaled = unscaled;
    this.scale = scale;
    this.format = format;
  }

  /** A quantity of `milli` thousandths (e.g. millicores). */
  static fromMilli(milli: number | bigint, format: QuantityFormat = 'DecimalSI'): Quantity {
    return new Quantity(BigInt(milli), -3, format);
  }

  /** An integer quantity (e.g. bytes). */
  static fromInteger(value: number | bigint, format: QuantityFormat = 'DecimalSI'): Quantity {
    return new Quantity(BigInt(value), 0, format);
  }

  /** True for zero. */
  isZero(): boolean {
    return this.unscaled === 0n;
  }

  /** -1, 0 or 1. */
  sign(): -1 | 0 | 1 {
    return this.unscaled === 0n ? 0 : this.unscaled < 0n ? -1 : 1;
  }

  /** -1 when this < other, 0 when equal, 1 when greater. */
  cmp(other: Quantity): -1 | 0 | 1 {
    const scale = Math.min(this.scale, other.scale);
    const a = this.unscaled * pow10(this.scale - scale);
    const b = other.unscaled * pow10(other.scale - scale);
    return a < b ? -1 : a > b ? 1 : 0;
  }

  /** Exact sum; keeps this quantity's format. */
  add(other: Quantity): Quantity {
    const scale = Math.min(this.scale, other.scale);
    return new Quantity(
      this.unscaled * pow10(this.scale - scale) + other.unscaled * pow10(other.scale - scale),
      scale,
      this.format,
    );
  }

  /** Exact difference; keeps this quantity's format. */
  sub(other: Quantity): Quantity {
    return this.add(new Quantity(-other.unscaled, other.scale, other.format));
  }

  /** The value scaled by 10^-exponent, rounded up (away from zero) to an integer. */
  scaledValue(exponent: number): bigint {
    const shift = this.scale - exponent;
    return shift >= 0 ? this.unscaled * pow10(shift) : divideAwayFromZero(this.unscaled, pow10(-shift));
  }

  /** Integer value rounded up, e.g. bytes for memory (`Value()` in Kubernetes). */
  value(): bigint {
    return this.scaledValue(0);
  }

  /** Thousandths rounded up, e.g. millicores for cpu (`MilliValue()` in Kubernetes). */
  milliValue(): bigint {
    return this.scaledValue(-3);
  }

  /** Approximate value as a float (for ratios such as utilization percentages). */
  toNumber(): number {
    return Number(`${this.unscaled}e${this.scale}`);
  }

  /** Canonical string form, as the API server stores and returns it. */
  toString(): string {
    return formatQuantity(this);
  }

  /** Serializes as the canonical string, like the Kubernetes JSON encoding. */
  toJSON(): string {
    return formatQuantity(this);
  }
}

/**
 * Parses a quantity string (or a bare number, as YAML gives `cpu: 1`).
 * Throws QuantityError (NAVARCH_ERR_QUANTITY_INVALID) on malformed input.
 */
export function parseQuantity(input: string | number): Quantity {
  const text = typeof input === 'number' ? numberText(input) : input;
  const match = QUANTITY_RE.exec(text);
  if (match === null || text.length > 200) throw invalid(text);
  const [, signText = '', wholeText = '', fracText = '', suffix = ''] = match;
  if (wholeText === '' && fracText === '') throw invalid(text);
  const digits = BigInt(`${wholeText}${fracText}` || '0');
  const negative = signText === '-';
  let unscaled = negative ? -digits : digits;
  let scale = -fracText.length;
  let format: QuantityFormat;
  const binary = BINARY_SUFFIXES[suffix];
  if (binary !== undefined) {
    format = 'BinarySI';
    unscaled *= 1024n ** BigInt(binary);
  } else if (suffix.length > 1) {
    // Binary suffixes were handled above, so a longer suffix is an exponent (`e3`, `E-2`).
    format = 'DecimalExponent';
    const exponent = Number(suffix.slice(1));
    if (!Number.isSafeInteger(exponent) || Math.abs(exponent) > MAX_EXPONENT) {
      throw new QuantityError(
        'NAVARCH_ERR_QUANTITY_OUT_OF_RANGE',
        text,
        `quantity ${JSON.stringify(text)} is out of range`,
      );
    }
    scale += exponent;
  } else {
    format = 'DecimalSI';
    scale += DECIMAL_SUFFIXES[suffix] ?? 0;
  }
  return new Quantity(unscaled, scale, format);
}

function numberText(value: number): string {
  if (!Number.isFinite(value)) throw invalid(String(value));
  return String(value);
}

function invalid(text: string): QuantityError {
  return new QuantityError(
    'NAVARCH_ERR_QUANTITY_INVALID',
    text,
    `quantities must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'`,
  );
}

/** The parsed quantity, or undefined when `input` is not a quantity (never throws). */
export function tryParseQuantity(input: unknown): Quantity | undefined {
  if (typeof input !== 'string' && typeof input !== 'number') return undefined;
  try {
    return parseQuantity(input);
  } catch {
    return undefined;
  }
}

/** True when `input` parses as a quantity. */
export function isQuantity(input: unknown): boolean {
  if (typeof input !== 'string' && typeof input !== 'number') return false;
  try {
    parseQuantity(input);
    return true;
  } catch {
    return false;
  }
}

/**
 * Canonical form, following Quantity.CanonicalizeBytes: decimal quantities use the largest
 * SI suffix (or `eN` exponent) that keeps the mantissa an integer; binary quantities use the
 * largest power of 1024 that does, unless the value is below 1024 in magnitude or fractional,
 * where the decimal form is used so no precision is lost.
 */
export function formatQuantity(quantity: Quantity): string {
  if (quantity.isZero()) return '0';
  let format = quantity.format;
  if (format === 'BinarySI') {
    const small = quantity.unscaled * pow10(Math.max(quantity.scale, 0));
    const isInteger = quantity.scale >= 0;
    if (!isInteger || (small > -1024n && small < 1024n)) format = 'DecimalSI';
  }
  if (format === 'BinarySI') {
    let mantissa = quantity.unscaled * pow10(quantity.scale);
    let power = 0;
    while (power < 6 && mantissa % 1024n === 0n) {
      mantissa /= 1024n;
      power += 1;
    }
    const suffix = ['', 'Ki', 'Mi', 'Gi', 'Ti', 'Pi', 'Ei'][power] ?? '';
    return `${mantissa}${suffix}`;
  }
  // Decimal: exponent is the largest multiple of 3 not above the scale (floor for negatives).
  let exponent = Math.floor(quantity.scale / 3) * 3;
  let mantissa = quantity.unscaled * pow10(quantity.scale - exponent);
  if (format === 'DecimalSI' && exponent > 18) {
    // No SI suffix beyond E: fold the excess into the mantissa.
    mantissa *= pow10(exponent - 18);
    exponent = 18;
  }
  if (format === 'DecimalExponent') return exponent === 0 ? `${mantissa}` : `${mantissa}e${exponent}`;
  return `${mantissa}${DECIMAL_BY_EXPONENT.get(exponent) ?? ''}`;
}

/** Canonical form of a quantity string, e.g. `1000` → `1k`, `0.5Gi` → `512Mi`. Throws on bad input. */
export function canonicalQuantity(input: string | number): string {
  return formatQuantity(parseQuantity(input));
}

/** Compares two quantities given as strings or numbers: -1, 0 or 1. Throws on bad input. */
export function compareQuantities(a: string | number | Quantity, b: string | number | Quantity): -1 | 0 | 1 {
  const left = a instanceof Quantity ? a : parseQuantity(a);
  const right = b instanceof Quantity ? b : parseQuantity(b);
  return left.cmp(right);
}

/** Thousandths, rounded up: `250m` → 250, `1` → 1000. For cpu. Throws on bad input or beyond 2^53. */
export function quantityToMilli(input: string | number | Quantity): number {
  return safeNumber((input instanceof Quantity ? input : parseQuantity(input)).milliValue(), input);
}

/** Integer units rounded up: `128Mi` → 134217728, `1k` → 1000. For memory and storage. */
export function quantityToBytes(input: string | number | Quantity): number {
  return safeNumber((input instanceof Quantity ? input : parseQuantity(input)).value(), input);
}

function safeNumber(value: bigint, input: string | number | Quantity): number {
  if (value > BigInt(Number.MAX_SAFE_INTEGER) || value < BigInt(Number.MIN_SAFE_INTEGER)) {
    throw new QuantityError(
      'NAVARCH_ERR_QUANTITY_OUT_OF_RANGE',
      String(input),
      `quantity ${String(input)} does not fit a number`,
    );
  }
  return Number(value);
}
