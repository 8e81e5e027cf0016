/**
 * Turns a `meta.k8s.io/v1` Table into kubectl's human-readable rows: uppercase headers, priority-0
 * columns unless wide, NAMESPACE first with `-A`, `kind/name` names when several kinds print
 * together, LABELS last with `--show-labels`.
 */
import type { KubeObject, Table } from '@navarch/client';
import { JsonPathTemplate, normaliseTemplate } from './jsonpath.js';

/** How a table is printed. */
export interface TableOptions {
  wide?: boolean;
  withNamespace?: boolean;
  /** `deployment.apps`: when set, names print as `deployment.apps/x`. */
  kindPrefix?: string;
  showLabels?: boolean;
  noHeaders?: boolean;
  /** Extra leading column (`EVENT` with --output-watch-events); one value per row. */
  eventTypes?: string[];
}

/** kubectl's rendering of one cell value. */
export function cellText(value: unknown): string {
  if (value === null || value === undefined) return '<none>';
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  if (Array.isArray(value)) return value.map(cellText).join(',');
  return JSON.stringify(value);
}

/** `a=b,c=d` sorted by key, or `<none>`. */
export function labelsText(labels: Record<string, string> | undefined): string {
  const keys = Object.keys(labels ?? {}).sort();
  if (keys.length === 0) return '<none>';
  return keys.map((k) => `${k}=${labels?.[k]}`).join(',');
}

/** Rows (header first unless noHeaders) ready for the TabWriter. */
export function tableRows(table: Table, options: TableOptions = {}): string[][] {
  const visible = table.columnDefinitions
    .map((c, i) => ({ c, i }))
    .filter(({ c }) => options.wide || (c.priority ?? 0) === 0);
  const nameIndex = table.columnDefinitions.findIndex(
    (c) => c.format === 'name' || c.name.toLowerCase() === 'name',
  );
  const rows: string[][] = [];
  if (!options.noHeaders) {
    const header = visible.map(({ c }) => c.name.toUpperCase());
    if (options.withNamespace) header.unshift('NAMESPACE');
    if (options.eventTypes) header.unshift('EVENT');
    if (options.showLabels) header.push('LABELS');
    rows.push(header);
  }
  table.rows.forEach((row, r) => {
    const cells = visible.map(({ i }) => {
      const text = cellText(row.cells[i]);
      return i === nameIndex && options.kindPrefix ? `${options.kindPrefix}/${text}` : text;
    });
    const metadata = (row.object as KubeObject | undefined)?.metadata;
    if (options.withNamespace) cells.unshift(metadata?.namespace ?? '');
    if (options.eventTypes) cells.unshift(options.eventTypes[r] ?? '');
    if (options.showLabels) cells.push(labelsText(metadata?.labels));
    rows.push(cells);
  });
  return rows;
}

function compareValues(a: unknown, b: unknown): number {
  if (a === undefined || a === null) return b === undefined || b === null ? 0 : -1;
  if (b === undefined || b === null) return 1;
  if (typeof a === 'number' && typeof b === 'number') return a - b;
  const qa = quantityValue(a);
  const qb = quantityValue(b);
  if (qa !== undefined && qb !== undefined) return qa - qb;
  const sa = typeof a === 'string' ? a : JSON.stringify(a);
  const sb = typeof b === 'string' ? b : JSON.stringify(b);
  return sa < sb ? -1 : sa > sb ? 1 : 0;
}

const SUFFIX: Record<string, number> = {
  m: 1e-3,
  '': 1,
  k: 1e3,
  M: 1e6,
  G: 1e9,
  T: 1e12,
  Ki: 1024,
  Mi: 1024 ** 2,
  Gi: 1024 ** 3,
  Ti: 1024 ** 4,
};

/** Resource quantities (`100m`, `64Mi`) sort by value, as kubectl's --sort-by does. */
function quantityValue(v: unknown): number | undefined {
  if (typeof v !== 'string') return undefined;
  const m = /^(\d+(?:\.\d+)?)(m|k|M|G|T|Ki|Mi|Gi|Ti)?$/.exec(v);
  if (!m) return undefined;
  return Number(m[1]) * (SUFFIX[m[2] ?? ''] ?? 1);
}

/** Sorts items by a JSONPath expression (kubectl --sort-by), stable, missing values first. */
export function sortByJsonPath<T>(items: T[], expression: string, objectOf: (item: T) => unknown): T[] {
  const template = new JsonPathTemplate(normaliseTemplate(expression));
  const keyed = items.map((item, index) => ({ item, index, key: template.values(objectOf(item))[0] }));
  keyed.sort((x, y) => compareValues(x.key, y.key) || x.index - y.index);
  return keyed.map((k) => k.item);
}
