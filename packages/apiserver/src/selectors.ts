/**
 * Label and field selectors in Kubernetes syntax. @navarch/api will own these; the server keeps
 * a local parser until that entry exports one.
 */
import { badRequest } from './errors.js';

/** One requirement of a label selector. */
export interface LabelRequirement {
  readonly key: string;
  readonly op: 'in' | 'notin' | 'exists' | '!exists';
  readonly values: readonly string[];
}

/** A parsed selector: all requirements must hold (an empty selector matches everything). */
export type LabelSelector = readonly LabelRequirement[];

const keyPattern = /^([A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?\/)?[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$/;
const valuePattern = /^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$/;

/** Splits on commas that are not inside parentheses. */
function splitTerms(text: string): string[] {
  const terms: string[] = [];
  let depth = 0;
  let start = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (c === '(') depth++;
    else if (c === ')') depth--;
    else if (c === ',' && depth === 0) {
      terms.push(text.slice(start, i));
      start = i + 1;
    }
  }
  terms.push(text.slice(start));
  return terms.map((t) => t.trim()).filter((t) => t.length > 0);
}

function checkKey(key: string, selector: string): string {
  if (!keyPattern.test(key))
    throw badRequest(`unable to parse requirement: invalid label key "${key}" in "${selector}"`);
  return key;
}

function checkValue(value: string, selector: string): string {
  if (!valuePattern.test(value) || value.length > 63) {
    throw badRequest(`unable to parse requirement: invalid label value "${value}" in "${selector}"`);
  }
  return value;
}

/** Parses `a=b,c!=d,e in (x,y),f notin (z),g,!h`; throws a 400 ApiError on bad syntax. */
export function parseLabelSelector(text: string | undefined): LabelSelector {
  if (text === undefined || text.trim() === '') return [];
  const out: LabelRequirement[] = [];
  for (const term of splitTerms(text)) {
    let m = /^(\S+?)\s+(in|notin)\s+\(([^)]*)\)$/.exec(term);
    if (m) {
      const values = m[3]!
        .split(',')
        .map((v) => v.trim())
        .filter((v) => v !== '')
        .map((v) => checkValue(v, text));
      out.push({ key: checkKey(m[1]!, text), op: m[2] === 'in' ? 'in' : 'notin', values });
      continue;
    }
    m = /^([^=!\s]+)\s*(==|=|!=)\s*(\S*)$/.exec(term);
    if (m) {
      const key = checkKey(m[1]!, text);
      const value = checkValue(m[3]!, text);
      out.push({ key, op: m[2] === '!=' ? 'notin' : 'in', values: [value] });
      continue;
    }
    m = /^(!?)\s*([^=!\s()]+)$/.exec(term);
    if (m) {
      out.push({ key: checkKey(m[2]!, text), op: m[1] === '!' ? '!exists' : 'exists', values: [] });
      continue;
    }
    throw badRequest(`unable to parse requirement: "${term}" in label selector "${text}"`);
  }
  return out;
}

/** True when `labels` satisfy every requirement. */
export function matchLabels(
  selector: LabelSelector,
  labels: Readonly<Record<string, string>> | undefined,
): boolean {
  const l = labels ?? {};
  for (const r of selector) {
    const has = Object.hasOwn(l, r.key);
    const v = l[r.key];
    switch (r.op) {
      case 'exists':
        if (!has) return false;
        break;
      case '!exists':
        if (has) return false;
        break;
      case 'in':
        if (!has || !r.values.includes(v!)) return false;
        break;
      case 'notin':
        if (has && r.values.includes(v!)) return false;
        break;
    }
  }
  return true;
}

/** One field requirement: a dotted path into the object, equal or not equal to a value. */
export interface FieldRequirement {
  readonly path: string;
  readonly equals: boolean;
  readonly value: string;
}

/** Parses `metadata.name=x,spec.nodeName!=y,status.phase==Running`. */
export function parseFieldSelector(text: string | undefined): FieldRequirement[] {
  if (text === undefined || text.trim() === '') return [];
  const out: FieldRequirement[] = [];
  for (const term of splitTerms(text)) {
    const m = /^([A-Za-z0-9_.]+)\s*(==|=|!=)\s*(.*)$/.exec(term);
    if (!m) throw badRequest(`invalid field selector: "${term}"`);
    out.push({ path: m[1]!, equals: m[2] !== '!=', value: m[3]!.trim() });
  }
  return out;
}

/** Reads a dotted path; scalars are compared as strings, a missing field as ''. */
export function fieldValue(object: unknown, path: string): string {
  let cur: unknown = object;
  for (const part of path.split('.')) {
    if (cur === null || typeof cur !== 'object') return '';
    cur = (cur as Record<string, unknown>)[part];
  }
  if (cur === undefined || cur === null) return '';
  return typeof cur === 'object' ? JSON.stringify(cur) : String(cur);
}

/** True when every field requirement holds. */
export function matchFields(requirements: readonly FieldRequirement[], object: unknown): boolean {
  return requirements.every((r) => (fieldValue(object, r.path) === r.value) === r.equals);
}

/** Converts a LabelSelector object (`matchLabels`/`matchExpressions`) to requirements. */
export function labelSelectorFromObject(selector: unknown): LabelSelector {
  if (selector === null || typeof selector !== 'object') return [];
  const s = selector as { matchLabels?: Record<string, string>; matchExpressions?: unknown[] };
  const out: LabelRequirement[] = [];
  for (const [key, value] of Object.entries(s.matchLabels ?? {}))
    out.push({ key, op: 'in', values: [value] });
  for (const e of s.matchExpressions ?? []) {
    const x = e as { key?: string; operator?: string; values?: string[] };
    if (typeof x.key !== 'string') continue;
    const op =
      x.operator === 'In'
        ? 'in'
        : x.operator === 'NotIn'
          ? 'notin'
          : x.operator === 'Exists'
            ? 'exists'
            : '!exists';
    out.push({ key: x.key, op, values: x.values ?? [] });
  }
  return out;
}

/** The canonical string form (`a=b,c in (x,y)`) used in Scale.status.selector. */
export function formatLabelSelector(selector: LabelSelector): string {
  return selector
    .map((r) => {
      if (r.op === 'exists') return r.key;
      if (r.op === '!exists') return `!${r.key}`;
      if (r.values.length === 1) return `${r.key}${r.op === 'in' ? '=' : '!='}${r.values[0]}`;
      return `${r.key} ${r.op} (${r.values.join(',')})`;
    })
    .join(',');
}
