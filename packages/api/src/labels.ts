/**
 * Label selectors (k8s.io/apimachinery/pkg/labels): the string syntax of `-l` and
 * `?labelSelector=` — `a=b,c!=d,e in (x,y),f notin (z),g,!h,n>3` — and the structured
 * LabelSelector of Deployments and Services, both compiled into one Selector that matches
 * label sets. Parse failures throw LabelSelectorError (NAVARCH_ERR_LABEL_SELECTOR_INVALID).
 */
import { LabelSelectorError } from './errors.js';
import type { LabelSelector } from './types/meta.js';
import { isQualifiedName, isValidLabelValue } from './validation/names.js';

/** Operators of a selector requirement. `Equals`/`DoubleEquals` both mean equality. */
export type SelectorOperator =
  | 'In'
  | 'NotIn'
  | 'Equals'
  | 'DoubleEquals'
  | 'NotEquals'
  | 'Exists'
  | 'DoesNotExist'
  | 'Gt'
  | 'Lt';

/** One term of a selector. Values are sorted and unique; empty for Exists/DoesNotExist. */
export interface Requirement {
  readonly key: string;
  readonly operator: SelectorOperator;
  readonly values: readonly string[];
}

/** A compiled label selector: all requirements must hold (AND). Immutable. */
export class Selector {
  /** Sorted by key, as Kubernetes keeps them, so toString() is canonical. */
  readonly requirements: readonly Requirement[];
  /** True for the selector that matches nothing (a nil LabelSelector). */
  readonly matchesNothing: boolean;

  constructor(requirements: readonly Requirement[], matchesNothing = false) {
    this.requirements = Object.freeze(
      [...requirements].sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0)),
    );
    this.matchesNothing = matchesNothing;
  }

  /** True when the selector has no requirements (and so matches every label set). */
  isEmpty(): boolean {
    return !this.matchesNothing && this.requirements.length === 0;
  }

  /** Whether a label set satisfies every requirement. Missing labels are treated as absent. */
  matches(labels: Readonly<Record<string, string>> | undefined): boolean {
    if (this.matchesNothing) return false;
    const set = labels ?? {};
    return this.requirements.every((requirement) => requirementMatches(requirement, set));
  }

  /** Canonical string syntax; parsing it gives an equal selector. */
  toString(): string {
    return this.requirements.map(requirementText).join(',');
  }
}

function requirementMatches(requirement: Requirement, labels: Readonly<Record<string, string>>): boolean {
  const has = Object.hasOwn(labels, requirement.key);
  const value = has ? labels[requirement.key] : undefined;
  switch (requirement.operator) {
    case 'In':
    case 'Equals':
    case 'DoubleEquals':
      return value !== undefined && requirement.values.includes(value);
    case 'NotIn':
    case 'NotEquals':
      return value === undefined || !requirement.values.includes(value);
    case 'Exists':
      return has;
    case 'DoesNotExist':
      return !has;
    case 'Gt':
    case 'Lt': {
      if (value === undefined || !/^-?\d+$/.test(value)) return false;
      const left = BigInt(value);
      const right = BigInt(requirement.values[0] ?? '0');
      return requirement.operator === 'Gt' ? left > right : left < right;
    }
  }
}

function requirementText(requirement: Requirement): string {
  const { key, values } = requirement;
  switch (requirement.operator) {
    case 'Equals':
      return `${key}=${values[0] ?? ''}`;
    case 'DoubleEquals':
      return `${key}==${values[0] ?? ''}`;
    case 'NotEquals':
      return `${key}!=${values[0] ?? ''}`;
    case 'In':
      return `${key} in (${values.join(',')})`;
    case 'NotIn':
      return `${key} notin (${values.join(',')})`;
    case 'Exists':
      return key;
    case 'DoesNotExist':
      return `!${key}`;
    case 'Gt':
      return `${key}>${values[0] ?? ''}`;
    case 'Lt':
      return `${key}<${values[0] ?? ''}`;
  }
}

/** The selector that matches every label set. */
export function everything(): Selector {
  return new Selector([]);
}

/** The selector that matches no label set. */
export function nothing(): Selector {
  return new Selector([], true);
}

/**
 * Builds and checks one requirement: key must be a qualified name; In/NotIn need at least
 * one value; equality operators exactly one; Exists/DoesNotExist none; Gt/Lt one integer.
 */
export function newRequirement(
  key: string,
  operator: SelectorOperator,
  values: readonly string[],
  source = '',
): Requirement {
  const fail = (message: string): never => {
    throw new LabelSelectorError(source, `unable to parse requirement: ${message}`);
  };
  const keyErrors = isQualifiedName(key);
  if (keyErrors.length > 0) fail(`key: Invalid value: ${JSON.stringify(key)}: ${keyErrors.join('; ')}`);
  switch (operator) {
    case 'In':
    case 'NotIn':
      if (values.length === 0) fail("for 'in', 'notin' operators, values set can't be empty");
      break;
    case 'Equals':
    case 'DoubleEquals':
    case 'NotEquals':
      if (values.length !== 1) fail('exact-match compatibility requires one single value');
      break;
    case 'Exists':
    case 'DoesNotExist':
      if (values.length !== 0) fail('values set must be empty for exists and does not exist');
      break;
    case 'Gt':
    case 'Lt':
      if (values.length !== 1) fail("for 'Gt', 'Lt' operators, exactly one value is required");
      if (!/^-?\d+$/.test(values[0] ?? '')) fail("for 'Gt', 'Lt' operators, the value must be an integer");
      break;
  }
  if (operator !== 'Gt' && operator !== 'Lt') {
    values.forEach((value, index) => {
      const errors = isValidLabelValue(value);
      if (errors.length > 0)
        fail(`values[${index}][${key}]: Invalid value: ${JSON.stringify(value)}: ${errors.join('; ')}`);
    });
  }
  return Object.freeze({ key, operator, values: Object.freeze([...new Set(values)].sort()) });
}

// ---------------------------------------------------------------- string syntax

type Token =
  | { kind: 'identifier'; text: string }
  | { kind: 'in' | 'notin' | '!' | '=' | '==' | '!=' | '(' | ')' | ',' | '>' | '<' | 'end' };

const SPECIAL = new Set(['!', '=', '(', ')', ',', '>', '<']);

function tokenize(input: string): Token[] {
  const tokens: Token[] = [];
  let index = 0;
  while (index < input.length) {
    const char = input[index] ?? '';
    if (/\s/.test(char)) {
      index += 1;
      continue;
    }
    const next = input[index + 1];
    if (char === '=' && next === '=') {
      tokens.push({ kind: '==' });
      index += 2;
    } else if (char === '!' && next === '=') {
      tokens.push({ kind: '!=' });
      index += 2;
    } else if (SPECIAL.has(char)) {
      tokens.push({ kind: char as '!' | '=' | '(' | ')' | ',' | '>' | '<' });
      index += 1;
    } else {
      let end = index;
      while (end < input.length && !SPECIAL.has(input[end] ?? '') && !/\s/.test(input[end] ?? '')) end += 1;
      const text = input.slice(index, end);
      tokens.push(text === 'in' || text === 'notin' ? { kind: text } : { kind: 'identifier', text });
      index = end;
    }
  }
  tokens.push({ kind: 'end' });
  return tokens;
}

/**
 * Parses the string syntax. The empty string selects everything. Requirements are ANDed;
 * duplicate keys are allowed (each must hold), as in Kubernetes.
 */
export function parseSelector(input: string): Selector {
  const tokens = tokenize(input);
  let position = 0;
  const peek = (): Token => tokens[position] ?? { kind: 'end' };
  const take = (): Token => {
    const token = peek();
    position += 1;
    return token;
  };
  const fail = (message: string): never => {
    throw new LabelSelectorError(input, `unable to parse requirement: ${message}`);
  };
  const describe = (token: Token): string => (token.kind === 'identifier' ? token.text : token.kind);
  // Where a key or a value is expected, `in` and `notin` are plain words (a label may be called
  // `in`), as in Kubernetes' parser; they are operators only after a key.
  const word = (token: Token): string | undefined =>
    token.kind === 'identifier'
      ? token.text
      : token.kind === 'in' || token.kind === 'notin'
        ? token.kind
        : undefined;
  const requirements: Requirement[] = [];
  if (peek().kind === 'end') return everything();
  for (;;) {
    let negated = false;
    if (peek().kind === '!') {
      take();
      negated = true;
    }
    const keyToken = take();
    const key = word(keyToken) ?? fail(`found '${describe(keyToken)}', expected: identifier`);
    const operatorToken = peek();
    if (negated || operatorToken.kind === ',' || operatorToken.kind === 'end') {
      if (negated && operatorToken.kind !== ',' && operatorToken.kind !== 'end') {
        fail(`found '${describe(operatorToken)}', expected: ',' or 'end of string'`);
      }
      requirements.push(newRequirement(key, negated ? 'DoesNotExist' : 'Exists', [], input));
    } else {
      take();
      switch (operatorToken.kind) {
        case 'in':
        case 'notin': {
          if (take().kind !== '(') fail("found something else, expected: '('");
          const values: string[] = [];
          let expectValue = true;
          for (;;) {
            const token = take();
            if (token.kind === ')') {
              // `in (a,)` keeps an empty value, as Kubernetes' parser does.
              if (expectValue && values.length > 0) values.push('');
              break;
            }
            const text = word(token);
            if (text !== undefined && expectValue) {
              values.push(text);
              expectValue = false;
            } else if (token.kind === ',') {
              if (expectValue) values.push('');
              expectValue = true;
            } else {
              fail(`found '${describe(token)}', expected: ',', ')' or identifier`);
            }
          }
          requirements.push(newRequirement(key, operatorToken.kind === 'in' ? 'In' : 'NotIn', values, input));
          break;
        }
        case '=':
        case '==':
        case '!=':
        case '>':
        case '<': {
          const valueToken = peek();
          let value = '';
          const text = word(valueToken);
          if (text !== undefined) {
            value = text;
            take();
          } else if (valueToken.kind !== ',' && valueToken.kind !== 'end') {
            fail(`found '${describe(valueToken)}', expected: identifier`);
          }
          const operator: SelectorOperator =
            operatorToken.kind === '='
              ? 'Equals'
              : operatorToken.kind === '=='
                ? 'DoubleEquals'
                : operatorToken.kind === '!='
                  ? 'NotEquals'
                  : operatorToken.kind === '>'
                    ? 'Gt'
                    : 'Lt';
          requirements.push(newRequirement(key, operator, [value], input));
          break;
        }
        default:
          fail(`found '${describe(operatorToken)}', expected: in, notin, =, ==, !=, gt, lt`);
      }
    }
    const separator = take();
    if (separator.kind === 'end') break;
    if (separator.kind !== ',') fail(`found '${describe(separator)}', expected: ',' or 'end of string'`);
    if (peek().kind === 'end') fail("found 'end of string', expected: identifier");
  }
  return new Selector(requirements);
}

/** Selector requiring every key=value of `labels` (a Service selector or matchLabels). */
export function selectorFromSet(labels: Readonly<Record<string, string>> | undefined): Selector {
  return new Selector(
    Object.entries(labels ?? {}).map(([key, value]) => newRequirement(key, 'Equals', [value])),
  );
}

/**
 * Compiles a structured LabelSelector. `undefined`/`null` selects nothing and `{}` selects
 * everything, as metav1.LabelSelectorAsSelector does.
 */
export function labelSelectorAsSelector(selector: LabelSelector | null | undefined): Selector {
  if (selector === undefined || selector === null) return nothing();
  const source = JSON.stringify(selector);
  const requirements: Requirement[] = [];
  for (const [key, value] of Object.entries(selector.matchLabels ?? {})) {
    requirements.push(newRequirement(key, 'Equals', [value], source));
  }
  for (const expression of selector.matchExpressions ?? []) {
    const operators: Record<string, SelectorOperator> = {
      In: 'In',
      NotIn: 'NotIn',
      Exists: 'Exists',
      DoesNotExist: 'DoesNotExist',
    };
    const operator = operators[expression.operator];
    if (operator === undefined) {
      throw new LabelSelectorError(
        source,
        `${JSON.stringify(expression.operator)} is not a valid label selector operator`,
      );
    }
    requirements.push(newRequirement(expression.key, operator, expression.values ?? [], source));
  }
  return new Selector(requirements);
}

/** Whether `labels` match a structured selector; a malformed selector matches nothing. */
export function labelSelectorMatches(
  selector: LabelSelector | null | undefined,
  labels: Readonly<Record<string, string>> | undefined,
): boolean {
  try {
    return labelSelectorAsSelector(selector).matches(labels);
  } catch {
    return false;
  }
}

/** kubectl's rendering of a LabelSelector: its string syntax, or `<none>` when empty or absent. */
export function formatLabelSelector(selector: LabelSelector | null | undefined): string {
  if (selector === undefined || selector === null) return '<none>';
  let text: string;
  try {
    text = labelSelectorAsSelector(selector).toString();
  } catch {
    return '<error>';
  }
  return text === '' ? '<none>' : text;
}

/** kubectl's rendering of a label map: `a=b,c=d` sorted by key, or `<none>` when empty. */
export function formatLabels(labels: Readonly<Record<string, string>> | undefined): string {
  const entries = Object.entries(labels ?? {}).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return entries.length === 0 ? '<none>' : entries.map(([key, value]) => `${key}=${value}`).join(',');
}
