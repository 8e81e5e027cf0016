/**
 * kubectl's JSONPath templates (`-o jsonpath=...`, custom columns, `--sort-by`): literal text
 * around `{expression}` blocks, `{range EXPR}...{end}`, quoted literals such as `{"\n"}`, and
 * expressions with `.field`, `..field` (recursive), `[*]`, `[n]`, `[a:b]`, `['key']`, `[?(@.f == "x")]`.
 * Missing keys produce nothing (kubectl runs templates with allowMissingKeys).
 */
import { CliError } from '../errors.js';

type Segment =
  | { type: 'field'; name: string }
  | { type: 'recursive'; name: string }
  | { type: 'wildcard' }
  | { type: 'index'; index: number }
  | { type: 'slice'; start: number | undefined; end: number | undefined; step: number | undefined }
  | { type: 'filter'; left: Expression; op: string | undefined; right: Expression | undefined };

type Expression =
  | { type: 'path'; root: '$' | '@'; segments: Segment[] }
  | { type: 'literal'; value: unknown };

type Node =
  | { type: 'text'; text: string }
  | { type: 'expr'; exprs: Expression[] }
  | { type: 'range'; expr: Expression; body: Node[] };

function fail(template: string, why: string): never {
  throw new CliError(`error parsing jsonpath ${template}, ${why}`);
}

/** Parses one expression (`.a.b[*]`, `$.x`, `"lit"`, `3`) starting at the beginning of `text`. */
function parseExpression(text: string, template: string): Expression {
  const t = text.trim();
  if (/^"(?:[^"\\]|\\.)*"$/.test(t)) {
    return { type: 'literal', value: JSON.parse(t) as string };
  }
  if (/^'[^']*'$/.test(t)) return { type: 'literal', value: t.slice(1, -1) };
  if (/^-?\d+(\.\d+)?$/.test(t)) return { type: 'literal', value: Number(t) };
  if (t === 'true' || t === 'false') return { type: 'literal', value: t === 'true' };
  if (t[0] === '$' || t[0] === '@') {
    return { type: 'path', root: t[0] as '$' | '@', segments: parseSegments(t, 1, template) };
  }
  // A bare path (`.a.b`, `a.b`) is relative to the current node, which is the root outside range.
  const root = '@';
  const i = 0;
  if (t[0] !== '.' && t[0] !== '[' && t.length > 0) {
    return { type: 'path', root, segments: parseSegments(`.${t}`, 0, template) };
  }
  return { type: 'path', root, segments: parseSegments(t, i, template) };
}

function parseSegments(t: string, start: number, template: string): Segment[] {
  const segments: Segment[] = [];
  let i = start;
  const readName = (): string => {
    let name = '';
    while (i < t.length) {
      const ch = t[i] as string;
      if (ch === '\\' && i + 1 < t.length) {
        name += t[i + 1];
        i += 2;
        continue;
      }
      if (ch === '.' || ch === '[' || /\s/.test(ch)) break;
      name += ch;
      i++;
    }
    return name;
  };
  while (i < t.length) {
    const ch = t[i];
    if (ch === '.') {
      if (t[i + 1] === '.') {
        i += 2;
        const name = readName();
        segments.push(
          name === '*' || name === '' ? { type: 'recursive', name: '' } : { type: 'recursive', name },
        );
        continue;
      }
      i++;
      const name = readName();
      if (name === '*') segments.push({ type: 'wildcard' });
      else if (name !== '') segments.push({ type: 'field', name });
      continue;
    }
    if (ch === '[') {
      const close = findClose(t, i, template);
      const inner = t.slice(i + 1, close).trim();
      i = close + 1;
      if (inner === '*') segments.push({ type: 'wildcard' });
      else if (/^'.*'$/.test(inner) || /^".*"$/.test(inner))
        segments.push({ type: 'field', name: inner.slice(1, -1) });
      else if (inner.startsWith('?(') && inner.endsWith(')'))
        segments.push(parseFilter(inner.slice(2, -1), template));
      else if (/^-?\d+$/.test(inner)) segments.push({ type: 'index', index: Number(inner) });
      else if (/^-?\d*:-?\d*(:-?\d*)?$/.test(inner)) {
        const [a, b, c] = inner.split(':');
        const num = (s: string | undefined) => (s === undefined || s === '' ? undefined : Number(s));
        segments.push({ type: 'slice', start: num(a), end: num(b), step: num(c) });
      } else fail(template, `unrecognized subscript [${inner}]`);
      continue;
    }
    if (ch !== undefined && /\s/.test(ch)) {
      i++;
      continue;
    }
    fail(template, `unrecognized character in action: ${JSON.stringify(t.slice(i))}`);
  }
  return segments;
}

function findClose(t: string, open: number, template: string): number {
  let depth = 0;
  let quote: string | undefined;
  for (let i = open; i < t.length; i++) {
    const ch = t[i];
    if (quote) {
      if (ch === quote) quote = undefined;
      continue;
    }
    if (ch === '"' || ch === "'") quote = ch;
    else if (ch === '[') depth++;
    else if (ch === ']') {
      depth--;
      if (depth === 0) return i;
    }
  }
  return fail(template, 'unterminated array');
}

function parseFilter(inner: string, template: string): Segment {
  const m = /^(.*?)\s*(==|!=|<=|>=|<|>|=~)\s*(.*)$/.exec(inner);
  if (!m) return { type: 'filter', left: parseExpression(inner, template), op: undefined, right: undefined };
  return {
    type: 'filter',
    left: parseExpression(m[1] as string, template),
    op: m[2],
    right: parseExpression(m[3] as string, template),
  };
}

/** Parses a kubectl JSONPath template into nodes. */
function parseTemplate(template: string): Node[] {
  const root: Node[] = [];
  const stack: Node[][] = [root];
  const rangeStack: Array<Extract<Node, { type: 'range' }>> = [];
  let i = 0;
  while (i < template.length) {
    const open = template.indexOf('{', i);
    const current = stack[stack.length - 1] as Node[];
    if (open < 0) {
      current.push({ type: 'text', text: template.slice(i) });
      break;
    }
    if (open > i) current.push({ type: 'text', text: template.slice(i, open) });
    const close = findBrace(template, open);
    if (close < 0) fail(template, 'unclosed action');
    const action = template.slice(open + 1, close).trim();
    i = close + 1;
    if (action === 'end') {
      if (rangeStack.length === 0) fail(template, 'not in range, nothing to end');
      rangeStack.pop();
      stack.pop();
      continue;
    }
    if (action.startsWith('range ') || action.startsWith('range\t')) {
      const node: Extract<Node, { type: 'range' }> = {
        type: 'range',
        expr: parseExpression(action.slice(6), template),
        body: [],
      };
      current.push(node);
      rangeStack.push(node);
      stack.push(node.body);
      continue;
    }
    current.push({ type: 'expr', exprs: splitUnion(action).map((e) => parseExpression(e, template)) });
  }
  if (rangeStack.length > 0) fail(template, 'unclosed range');
  return root;
}

function findBrace(t: string, open: number): number {
  let quote: string | undefined;
  for (let i = open + 1; i < t.length; i++) {
    const ch = t[i];
    if (quote) {
      if (ch === '\\') i++;
      else if (ch === quote) quote = undefined;
      continue;
    }
    if (ch === '"') quote = ch;
    else if (ch === '}') return i;
  }
  return -1;
}

/** `{.a,.b}` evaluates both expressions. Commas inside quotes or brackets do not split. */
function splitUnion(action: string): string[] {
  const parts: string[] = [];
  let depth = 0;
  let quote: string | undefined;
  let start = 0;
  for (let i = 0; i < action.length; i++) {
    const ch = action[i];
    if (quote) {
      if (ch === quote) quote = undefined;
      continue;
    }
    if (ch === '"' || ch === "'") quote = ch;
    else if (ch === '[' || ch === '(') depth++;
    else if (ch === ']' || ch === ')') depth--;
    else if (ch === ',' && depth === 0) {
      parts.push(action.slice(start, i));
      start = i + 1;
    }
  }
  parts.push(action.slice(start));
  return parts;
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function applySegment(values: unknown[], segment: Segment, root: unknown): unknown[] {
  const out: unknown[] = [];
  for (const value of values) {
    switch (segment.type) {
      case 'field':
        if (isObject(value) && segment.name in value) out.push(value[segment.name]);
        break;
      case 'wildcard':
        if (Array.isArray(value)) out.push(...value);
        else if (isObject(value))
          out.push(
            ...Object.keys(value)
              .sort()
              .map((k) => value[k]),
          );
        break;
      case 'index':
        if (Array.isArray(value)) {
          const idx = segment.index < 0 ? value.length + segment.index : segment.index;
          if (idx >= 0 && idx < value.length) out.push(value[idx]);
        }
        break;
      case 'slice':
        if (Array.isArray(value)) {
          const len = value.length;
          const norm = (n: number | undefined, d: number) => {
            if (n === undefined) return d;
            return n < 0 ? Math.max(0, len + n) : Math.min(len, n);
          };
          const step = segment.step ?? 1;
          for (let k = norm(segment.start, 0); k < norm(segment.end, len); k += step > 0 ? step : 1) {
            out.push(value[k]);
          }
        }
        break;
      case 'recursive':
        collectRecursive(value, segment.name, out);
        break;
      case 'filter': {
        const items = Array.isArray(value) ? value : isObject(value) ? [value] : [];
        for (const item of items) {
          if (filterMatches(item, segment, root)) out.push(item);
        }
        break;
      }
    }
  }
  return out;
}

function collectRecursive(value: unknown, name: string, out: unknown[]): void {
  if (Array.isArray(value)) {
    for (const v of value) collectRecursive(v, name, out);
  } else if (isObject(value)) {
    if (name === '') out.push(value);
    else if (name in value) out.push(value[name]);
    for (const key of Object.keys(value)) collectRecursive(value[key], name, out);
  }
}

function filterMatches(item: unknown, segment: Extract<Segment, { type: 'filter' }>, root: unknown): boolean {
  const left = evaluate(segment.left, root, item);
  if (segment.op === undefined || segment.right === undefined) return left.length > 0;
  const right = evaluate(segment.right, root, item);
  if (left.length === 0 || right.length === 0) return false;
  const a = left[0];
  const b = right[0];
  switch (segment.op) {
    case '==':
      return compareEqual(a, b);
    case '!=':
      return !compareEqual(a, b);
    case '<':
      return Number(a) < Number(b);
    case '>':
      return Number(a) > Number(b);
    case '<=':
      return Number(a) <= Number(b);
    case '>=':
      return Number(a) >= Number(b);
    case '=~':
      return new RegExp(String(b)).test(String(a));
    default:
      return false;
  }
}

function compareEqual(a: unknown, b: unknown): boolean {
  if (typeof a === 'number' || typeof b === 'number') return Number(a) === Number(b);
  return String(a) === String(b);
}

function evaluate(expr: Expression, root: unknown, current: unknown): unknown[] {
  if (expr.type === 'literal') return [expr.value];
  let values = [expr.root === '$' ? root : current];
  for (const segment of expr.segments) values = applySegment(values, segment, root);
  return values;
}

/** How kubectl prints one JSONPath result: strings raw, others as compact JSON. */
export function formatValue(value: unknown): string {
  if (value === null || value === undefined) return '';
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  return JSON.stringify(value);
}

/** A compiled template; `execute` renders it for one root object. */
export class JsonPathTemplate {
  private readonly nodes: Node[];
  readonly source: string;

  constructor(template: string) {
    this.source = template;
    this.nodes = parseTemplate(template);
  }

  /** Renders the template for `root` (kubectl passes a List for several objects). */
  execute(root: unknown): string {
    return this.render(this.nodes, root, root);
  }

  /** Every value the template's expressions produce (used by custom columns and sorting). */
  values(root: unknown): unknown[] {
    const out: unknown[] = [];
    this.collect(this.nodes, root, root, out);
    return out;
  }

  private collect(nodes: Node[], root: unknown, current: unknown, out: unknown[]): void {
    for (const node of nodes) {
      if (node.type === 'expr') for (const e of node.exprs) out.push(...evaluate(e, root, current));
      else if (node.type === 'range') {
        for (const item of evaluate(node.expr, root, current)) this.collect(node.body, root, item, out);
      }
    }
  }

  private render(nodes: Node[], root: unknown, current: unknown): string {
    let out = '';
    for (const node of nodes) {
      if (node.type === 'text') out += node.text;
      else if (node.type === 'expr') {
        const results: unknown[] = [];
        for (const e of node.exprs) {
          const r = evaluate(e, root, current);
          // A `[*]` or range over a list yields each element; a list value itself prints as JSON.
          results.push(...r);
        }
        out += results.map(formatValue).join(' ');
      } else {
        for (const item of evaluate(node.expr, root, current)) out += this.render(node.body, root, item);
      }
    }
    return out;
  }
}

/** Accepts kubectl's forms: `{.a}`, `.a` and `a` (braces added when missing). */
export function normaliseTemplate(template: string): string {
  const t = template.trim();
  if (t.includes('{')) return t;
  return `{${t.startsWith('.') || t.startsWith('$') || t.startsWith('[') ? t : `.${t}`}}`;
}
