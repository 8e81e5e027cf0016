/**
 * Field errors as Kubernetes' k8s.io/apimachinery/pkg/util/validation/field builds them:
 * a cause type, the JSON path of the field (`spec.template.spec.containers[0].image`) and a
 * message body worded like `ErrorBody()` (`Invalid value: -1: must be greater than or equal
 * to 0`). `FieldErrors` collects them; validators never throw on malformed input, they
 * report it (type mismatches become FieldValueTypeInvalid causes).
 */
import type { CauseType, StatusCause } from '../types/meta.js';

/** `parent.child`, or `child` at the root. */
export function child(path: string, name: string): string {
  return path === '' ? name : `${path}.${name}`;
}

/** `path[index]` for list elements. */
export function index(path: string, position: number): string {
  return `${path}[${position}]`;
}

/** `path[key]` for map entries (e.g. `resources.requests[cpu]`). */
export function key(path: string, name: string): string {
  return `${path}[${name}]`;
}

function goQuote(value: string): string {
  return JSON.stringify(value);
}

/**
 * Renders a bad value the way Kubernetes' error bodies do: strings quoted, numbers and
 * booleans bare, null as `null`, string maps as Go prints them, anything else as JSON.
 */
export function renderValue(value: unknown): string {
  if (value === null || value === undefined) return 'null';
  if (typeof value === 'string') return goQuote(value);
  if (typeof value === 'number' || typeof value === 'boolean' || typeof value === 'bigint')
    return String(value);
  if (Array.isArray(value) && value.every((item) => typeof item === 'string')) {
    return `[]string{${value.map(goQuote).join(', ')}}`;
  }
  if (typeof value === 'object' && !Array.isArray(value)) {
    const entries = Object.entries(value as Record<string, unknown>);
    if (entries.every(([, item]) => typeof item === 'string')) {
      entries.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
      return `map[string]string{${entries.map(([k, v]) => `${goQuote(k)}:${goQuote(v as string)}`).join(', ')}}`;
    }
  }
  try {
    return JSON.stringify(value) ?? String(value);
  } catch {
    return String(value);
  }
}

/** An accumulating list of field errors, in the order found. */
export class FieldErrors {
  readonly causes: StatusCause[] = [];

  private push(type: CauseType, field: string, message: string): void {
    this.causes.push({ type, field, message });
  }

  /** `Required value[: detail]`. */
  required(field: string, detail = ''): void {
    this.push('FieldValueRequired', field, detail === '' ? 'Required value' : `Required value: ${detail}`);
  }

  /** `Invalid value: <value>[: detail]`. */
  invalid(field: string, value: unknown, detail = ''): void {
    const body = `Invalid value: ${renderValue(value)}`;
    this.push('FieldValueInvalid', field, detail === '' ? body : `${body}: ${detail}`);
  }

  /** `Unsupported value: <value>: supported values: "a", "b"`. */
  notSupported(field: string, value: unknown, supported: readonly string[]): void {
    const list = supported.map(goQuote).join(', ');
    this.push(
      'FieldValueNotSupported',
      field,
      `Unsupported value: ${renderValue(value)}: supported values: ${list}`,
    );
  }

  /** `Duplicate value: <value>`. */
  duplicate(field: string, value: unknown): void {
    this.push('FieldValueDuplicate', field, `Duplicate value: ${renderValue(value)}`);
  }

  /** `Forbidden: detail`. */
  forbidden(field: string, detail: string): void {
    this.push('FieldValueForbidden', field, `Forbidden: ${detail}`);
  }

  /** `Too long: may not be more than N bytes`. */
  tooLong(field: string, maxBytes: number): void {
    this.push(
      'FieldValueTooLong',
      field,
      `Too long: may not be more than ${maxBytes} ${maxBytes === 1 ? 'byte' : 'bytes'}`,
    );
  }

  /** `Too many: N: must have at most M items`. */
  tooMany(field: string, actual: number, max: number): void {
    this.push('FieldValueTooMany', field, `Too many: ${actual}: must have at most ${max} items`);
  }

  /** `Not found: <value>`. */
  notFound(field: string, value: unknown): void {
    this.push('FieldValueNotFound', field, `Not found: ${renderValue(value)}`);
  }

  /** A value of the wrong JSON type (what Kubernetes reports at decode time). */
  typeInvalid(field: string, value: unknown, expected: string): void {
    this.push('FieldValueTypeInvalid', field, `Invalid value: ${renderValue(value)}: must be ${expected}`);
  }

  /** Adds one Invalid cause per message (the pattern `for msg := range IsX(v)`). */
  invalidEach(field: string, value: unknown, messages: readonly string[]): void {
    for (const message of messages) this.invalid(field, value, message);
  }

  // -------------------------------------------------- type guards for JSON input

  /** The value as a list; reports and returns [] when present but not an array. */
  list<T>(field: string, value: T[] | undefined | null): T[] {
    if (value === undefined || value === null) return [];
    if (!Array.isArray(value)) {
      this.typeInvalid(field, value, 'an array');
      return [];
    }
    return value;
  }

  /** True when the value is a plain object; reports otherwise (absent is fine). */
  isObject<T extends object>(field: string, value: T | null | undefined): value is T {
    if (value === undefined || value === null) return false;
    if (typeof value !== 'object' || Array.isArray(value)) {
      this.typeInvalid(field, value, 'an object');
      return false;
    }
    return true;
  }

  /** The entries of a string map; reports non-object maps and non-string values. */
  stringMap(field: string, value: Record<string, string> | undefined | null): Array<[string, string]> {
    if (!this.isObject(field, value)) return [];
    const entries: Array<[string, string]> = [];
    for (const [name, item] of Object.entries(value as Record<string, unknown>)) {
      if (typeof item !== 'string') this.typeInvalid(key(field, name), item, 'a string');
      else entries.push([name, item]);
    }
    return entries;
  }

  /** True when the value is a string; reports other present values. */
  isString(field: string, value: unknown): value is string {
    if (value === undefined || value === null) return false;
    if (typeof value !== 'string') {
      this.typeInvalid(field, value, 'a string');
      return false;
    }
    return true;
  }

  /** True when the value is an integer; reports other present values. */
  isInteger(field: string, value: unknown): value is number {
    if (value === undefined || value === null) return false;
    if (typeof value !== 'number' || !Number.isInteger(value)) {
      this.typeInvalid(field, value, 'an integer');
      return false;
    }
    return true;
  }

  /** Checks an optional integer ≥ 0. */
  nonNegative(field: string, value: unknown): void {
    if (this.isInteger(field, value) && value < 0)
      this.invalid(field, value, 'must be greater than or equal to 0');
  }

  /** Checks an optional integer > 0. */
  positive(field: string, value: unknown): void {
    if (this.isInteger(field, value) && value <= 0) this.invalid(field, value, 'must be greater than 0');
  }

  /** Checks that an optional string is one of `supported`. */
  oneOf(field: string, value: unknown, supported: readonly string[]): void {
    if (this.isString(field, value) && !supported.includes(value)) this.notSupported(field, value, supported);
  }

  /** Appends another list's causes. */
  addAll(other: FieldErrors): void {
    this.causes.push(...other.causes);
  }
}

/** Structural equality of JSON values, ignoring object key order. */
export function deepEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  if (Array.isArray(a) && Array.isArray(b)) {
    return a.length === b.length && a.every((item, position) => deepEqual(item, b[position]));
  }
  const left = Object.entries(a as Record<string, unknown>).filter(([, value]) => value !== undefined);
  const right = b as Record<string, unknown>;
  const rightCount = Object.values(right).filter((value) => value !== undefined).length;
  return left.length === rightCount && left.every(([name, value]) => deepEqual(value, right[name]));
}
