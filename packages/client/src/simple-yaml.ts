/**
 * A strict parser for the block-style YAML subset that kubeconfig files are written in (nested
 * mappings and sequences of plain, single- or double-quoted one-line scalars). It exists for
 * start-up time: a cold full YAML parser costs tens of milliseconds on every navctl command.
 *
 * Invariant: it either returns exactly what `yaml.parse` (YAML 1.2 core schema) returns, or
 * `undefined` meaning "not in the subset, use the full parser". Anything unusual (comments after
 * values, anchors, tags, block scalars, flow collections other than `{}`/`[]`, tabs, multi-line
 * scalars, duplicate keys, several documents) makes it give up rather than guess.
 */

class NotSimple extends Error {}

interface Line {
  indent: number;
  text: string;
}

const INT = /^[-+]?[0-9]+$/;
const FLOAT = /^[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?$/;
const KEY = /^([A-Za-z0-9_./][A-Za-z0-9_./-]*):(?: +(.*))?$/;

function scalar(raw: string): unknown {
  const text = raw.trimEnd();
  if (text === '' || text === '~' || text === 'null' || text === 'Null' || text === 'NULL') return null;
  const first = text[0] as string;
  if (first === '"') {
    if (!/^"(?:[^"\\]|\\["\\/bfnrt]|\\u[0-9a-fA-F]{4})*"$/.test(text)) throw new NotSimple();
    return JSON.parse(text) as string;
  }
  if (first === "'") {
    if (!/^'(?:[^']|'')*'$/.test(text)) throw new NotSimple();
    return text.slice(1, -1).replace(/''/g, "'");
  }
  if (text === '{}') return {};
  if (text === '[]') return [];
  if ('{[&*!|>%@`#,?:-'.includes(first) && !/^-[0-9.]/.test(text)) throw new NotSimple();
  if (text.includes(': ') || text.includes(' #') || text.endsWith(':')) throw new NotSimple();
  if (['true', 'True', 'TRUE'].includes(text)) return true;
  if (['false', 'False', 'FALSE'].includes(text)) return false;
  if (INT.test(text)) {
    const n = Number(text);
    if (!Number.isSafeInteger(n)) throw new NotSimple();
    return n;
  }
  if (FLOAT.test(text)) return Number(text);
  if (/^[-+]?\.(inf|Inf|INF|nan|NaN|NAN)$/.test(text) || /^0[ox]/.test(text)) throw new NotSimple();
  return text;
}

class Parser {
  private readonly lines: Line[];
  private pos = 0;

  constructor(lines: Line[]) {
    this.lines = lines;
  }

  parseDocument(): unknown {
    if (this.lines.length === 0) return null;
    const value = this.node((this.lines[0] as Line).indent);
    if (this.pos !== this.lines.length) throw new NotSimple();
    return value;
  }

  private node(indent: number): unknown {
    const line = this.lines[this.pos] as Line;
    if (line.indent !== indent) throw new NotSimple();
    if (line.text === '-' || line.text.startsWith('- ')) return this.sequence(indent);
    if (KEY.test(line.text)) return this.mapping(indent);
    throw new NotSimple();
  }

  private mapping(indent: number): Record<string, unknown> {
    const out: Record<string, unknown> = {};
    while (this.pos < this.lines.length) {
      const line = this.lines[this.pos] as Line;
      if (line.indent < indent) break;
      if (line.indent > indent || line.text.startsWith('- ') || line.text === '-') throw new NotSimple();
      const m = KEY.exec(line.text);
      if (!m) throw new NotSimple();
      const key = m[1] as string;
      if (Object.hasOwn(out, key) || key === '__proto__') throw new NotSimple();
      this.pos++;
      const next = this.lines[this.pos];
      if (m[2] !== undefined && m[2].trim() !== '') {
        if (next && next.indent > indent) throw new NotSimple();
        out[key] = scalar(m[2]);
      } else if (next && next.indent > indent) {
        out[key] = this.node(next.indent);
      } else if (next && next.indent === indent && (next.text.startsWith('- ') || next.text === '-')) {
        out[key] = this.sequence(indent);
      } else {
        out[key] = null;
      }
    }
    return out;
  }

  private sequence(indent: number): unknown[] {
    const out: unknown[] = [];
    while (this.pos < this.lines.length) {
      const line = this.lines[this.pos] as Line;
      if (line.indent < indent || !(line.text === '-' || line.text.startsWith('- '))) {
        if (line.indent > indent) throw new NotSimple();
        break;
      }
      if (line.indent > indent) throw new NotSimple();
      const rest = line.text === '-' ? '' : line.text.slice(2);
      const restTrimmed = rest.replace(/^ +/, '');
      const itemIndent = indent + (line.text.length - restTrimmed.length);
      if (restTrimmed === '') {
        this.pos++;
        const next = this.lines[this.pos];
        out.push(next && next.indent > indent ? this.node(next.indent) : null);
      } else if (KEY.test(restTrimmed) || restTrimmed.startsWith('- ')) {
        // `- key: value` starts a mapping (or nested sequence) whose column is after the dash.
        this.lines[this.pos] = { indent: itemIndent, text: restTrimmed };
        out.push(this.node(itemIndent));
      } else {
        this.pos++;
        const next = this.lines[this.pos];
        if (next && next.indent > indent) throw new NotSimple();
        out.push(scalar(restTrimmed));
      }
    }
    return out;
  }
}

/** Parses `text` if it is in the simple subset; `undefined` means "use a full YAML parser". */
export function parseSimpleYaml(text: string): unknown {
  const lines: Line[] = [];
  let started = false;
  for (const raw of text.split('\n')) {
    const line = raw.endsWith('\r') ? raw.slice(0, -1) : raw;
    if (line.includes('\t')) return undefined;
    const trimmed = line.trim();
    if (trimmed === '' || trimmed.startsWith('#')) continue;
    if (trimmed === '---' && !started) {
      started = true;
      continue;
    }
    if (trimmed.startsWith('---') || trimmed === '...' || trimmed.startsWith('%')) return undefined;
    started = true;
    const indent = line.length - line.trimStart().length;
    lines.push({ indent, text: trimmed });
  }
  try {
    return new Parser(lines).parseDocument();
  } catch (err) {
    if (err instanceof NotSimple) return undefined;
    throw err;
  }
}
