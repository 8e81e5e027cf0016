/**
 * Renders a meta.k8s.io/v1 Table as kubectl's plain-text output: upper-case headers, columns
 * separated like Go's tabwriter with kubectl's settings (padding 3, minimum width 6; the last
 * column is not padded), wide-only columns (priority > 0) only with `wide`.
 */
import type { ObjectMeta, Table } from './types/meta.js';

/** Options of `formatTable`. */
export interface TableTextOptions {
  /** Include priority > 0 columns (`-o wide`). */
  wide?: boolean;
  /** Omit the header line (`--no-headers`). */
  noHeaders?: boolean;
  /** Prepend a NAMESPACE column from each row's object metadata (`--all-namespaces`). */
  namespaceColumn?: boolean;
  /** Append a LABELS column from each row's object metadata (`--show-labels`). */
  showLabels?: boolean;
}

/** kubectl's tabwriter settings. */
const PADDING = 3;
const MIN_WIDTH = 6;

function cellText(cell: unknown): string {
  if (cell === null || cell === undefined) return '<none>';
  return typeof cell === 'string' ? cell : String(cell);
}

function rowMetadata(object: unknown): ObjectMeta | undefined {
  if (typeof object !== 'object' || object === null) return undefined;
  const metadata = (object as { metadata?: unknown }).metadata;
  return typeof metadata === 'object' && metadata !== null ? (metadata as ObjectMeta) : undefined;
}

/** Formats the table as lines of text ending in a newline; no rows gives only the header. */
export function formatTable(table: Table, options: TableTextOptions = {}): string {
  const selected = table.columnDefinitions
    .map((definition, position) => ({ definition, position }))
    .filter(({ definition }) => options.wide === true || definition.priority === 0);
  const header = selected.map(({ definition }) => definition.name.toUpperCase());
  const lines: string[][] = table.rows.map((row) =>
    selected.map(({ position }) => cellText(row.cells[position])),
  );
  if (options.namespaceColumn === true) {
    header.unshift('NAMESPACE');
    table.rows.forEach((row, index) => {
      lines[index]?.unshift(rowMetadata(row.object)?.namespace ?? '');
    });
  }
  if (options.showLabels === true) {
    header.push('LABELS');
    table.rows.forEach((row, index) => {
      const labels = Object.entries(rowMetadata(row.object)?.labels ?? {})
        .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
        .map(([key, value]) => `${key}=${value}`)
        .join(',');
      lines[index]?.push(labels === '' ? '<none>' : labels);
    });
  }
  if (options.noHeaders !== true) lines.unshift(header);
  const widths = header.map((_, column) =>
    Math.max(MIN_WIDTH, ...lines.map((line) => (line[column] ?? '').length + PADDING)),
  );
  return lines
    .map((line) =>
      line
        .map((cell, column) => (column === line.length - 1 ? cell : cell.padEnd(widths[column] ?? 0)))
        .join(''),
    )
    .map((line) => `${line}\n`)
    .join('');
}
