/** Shared pieces of the table printers: column constructor, common columns, cell helpers. */
import { formatAge } from '../age.js';
import type { KubeObject, TableColumnDefinition } from '../types/meta.js';
import type { Container } from '../types/pod.js';

/** One table cell. */
export type Cell = string | number | boolean | null;

/** A kind's columns and its row function. */
export interface Printer {
  columns: TableColumnDefinition[];
  cells(object: never, nowMs: number): Cell[];
}

/** A column definition. */
export function column(
  name: string,
  type: TableColumnDefinition['type'],
  description: string,
  priority = 0,
  format = '',
): TableColumnDefinition {
  return { name, type, format, description, priority };
}

/** The Name column. */
export const NAME = column('Name', 'string', 'Name must be unique within a namespace.', 0, 'name');
/** The Age column. */
export const AGE = column('Age', 'string', 'Time since the object was created (CreationTimestamp).');
/** Wide: template container names. */
export const CONTAINERS = column('Containers', 'string', 'Names of each container in the template.', 1);
/** Wide: template images. */
export const IMAGES = column('Images', 'string', 'Images referenced by each container in the template.', 1);
/** Wide: pod selector. */
export const SELECTOR = column('Selector', 'string', 'Label selector for pods.', 1);

/** The AGE cell of an object. */
export function age(object: KubeObject, nowMs: number): string {
  return formatAge(object.metadata?.creationTimestamp, nowMs);
}

/** `<none>` for empty values. */
export function orNone(value: string | undefined | null): string {
  return value === undefined || value === null || value === '' ? '<none>' : value;
}

/** Comma-joined container names and images. */
export function containerSummary(containers: Container[] | undefined): [string, string] {
  const list = containers ?? [];
  return [
    list.map((container) => container.name).join(','),
    list.map((container) => container.image ?? '').join(','),
  ];
}
