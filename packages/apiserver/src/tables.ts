/**
 * Server-side printing: `Accept: application/json;as=Table;v=v1;g=meta.k8s.io` returns a
 * meta.k8s.io/v1 Table with the columns kubectl shows (priority 1 columns appear with -o wide).
 * The printers are @navarch/api's (`tableColumns`, `tableCells`); the few kinds it does not
 * print yet (StatefulSet, DaemonSet, Job, ServiceAccount) keep a local printer here so that
 * `kubectl get` shows their usual columns rather than just Name and Age.
 */
import {
  type KubeObject as ApiKubeObject,
  formatAge,
  type TableColumnDefinition,
  tableCells,
  tableColumns,
} from '@navarch/api';
import type { KubeObject } from './objects.js';

type Cell = string | number | boolean | null;

/** A printer of a kind @navarch/api has no printer for. */
interface LocalPrinter {
  readonly columns: TableColumnDefinition[];
  readonly row: (o: KubeObject, nowMs: number) => Cell[];
}

function col(
  name: string,
  priority = 0,
  type: TableColumnDefinition['type'] = 'string',
  format = '',
): TableColumnDefinition {
  return { name, type, format, description: `${name} of the object`, priority };
}

function age(o: KubeObject, nowMs: number): string {
  return formatAge(o.metadata.creationTimestamp, nowMs);
}

function rec(v: unknown): Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : {};
}

function arr(v: unknown): Record<string, unknown>[] {
  return Array.isArray(v) ? v.map(rec) : [];
}

function num(v: unknown): number {
  return typeof v === 'number' ? v : 0;
}

/** Containers and images of a workload's pod template (the -o wide columns). */
function workloadImages(o: KubeObject): string[] {
  const containers = arr(rec(rec(rec(o.spec).template).spec).containers);
  return [containers.map((c) => String(c.name)).join(','), containers.map((c) => String(c.image)).join(',')];
}

const name = col('Name', 0, 'string', 'name');
const ageColumn = col('Age', 0, 'string');

const localPrinters: Record<string, LocalPrinter> = {
  StatefulSet: {
    columns: [name, col('Ready'), ageColumn, col('Containers', 1), col('Images', 1)],
    row: (o, nowMs) => [
      o.metadata.name ?? '',
      `${num(rec(o.status).readyReplicas)}/${num(rec(o.spec).replicas)}`,
      age(o, nowMs),
      ...workloadImages(o),
    ],
  },
  DaemonSet: {
    columns: [
      name,
      col('Desired', 0, 'integer'),
      col('Current', 0, 'integer'),
      col('Ready', 0, 'integer'),
      col('Up-to-date', 0, 'integer'),
      col('Available', 0, 'integer'),
      col('Node Selector'),
      ageColumn,
    ],
    row: (o, nowMs) => {
      const s = rec(o.status);
      const nodeSelector = Object.entries(rec(rec(rec(rec(o.spec).template).spec).nodeSelector)).map(
        ([k, v]) => `${k}=${String(v)}`,
      );
      return [
        o.metadata.name ?? '',
        num(s.desiredNumberScheduled),
        num(s.currentNumberScheduled),
        num(s.numberReady),
        num(s.updatedNumberScheduled),
        num(s.numberAvailable),
        nodeSelector.join(',') || '<none>',
        age(o, nowMs),
      ];
    },
  },
  ServiceAccount: {
    columns: [name, col('Secrets', 0, 'integer'), ageColumn],
    row: (o, nowMs) => [o.metadata.name ?? '', arr(o.secrets).length, age(o, nowMs)],
  },
  Job: {
    columns: [name, col('Status'), col('Completions'), col('Duration'), ageColumn],
    row: (o, nowMs) => {
      const s = rec(o.status);
      const completions = num(rec(o.spec).completions) || 1;
      return [
        o.metadata.name ?? '',
        num(s.succeeded) >= completions ? 'Complete' : 'Running',
        `${num(s.succeeded)}/${completions}`,
        '',
        age(o, nowMs),
      ];
    },
  },
};

function columnsOf(kind: string): TableColumnDefinition[] {
  return localPrinters[kind]?.columns ?? tableColumns(kind);
}

function cellsOf(kind: string, o: KubeObject, nowMs: number): Cell[] {
  const local = localPrinters[kind];
  if (local !== undefined) return local.row(o, nowMs);
  return tableCells(o as unknown as ApiKubeObject, nowMs, kind);
}

/** What each row carries besides its cells (`includeObject`). */
export type IncludeObject = 'None' | 'Metadata' | 'Object';

function tableRow(
  kind: string,
  o: KubeObject,
  include: IncludeObject,
  nowMs: number,
): Record<string, unknown> {
  const row: Record<string, unknown> = { cells: cellsOf(kind, o, nowMs) };
  if (include === 'Object') row.object = o;
  else if (include === 'Metadata')
    row.object = { kind: 'PartialObjectMetadata', apiVersion: 'meta.k8s.io/v1', metadata: o.metadata };
  return row;
}

/** Builds a Table for a list (or a single object) of `kind`. */
export function toTable(
  kind: string,
  objects: readonly KubeObject[],
  include: IncludeObject,
  listMeta: Record<string, unknown>,
): Record<string, unknown> {
  const nowMs = Date.now();
  return {
    kind: 'Table',
    apiVersion: 'meta.k8s.io/v1',
    metadata: listMeta,
    columnDefinitions: columnsOf(kind),
    rows: objects.map((o) => tableRow(kind, o, include, nowMs)),
  };
}

/** A single-row Table for a watch event (kubectl get --watch asks for tables). */
export function eventTable(
  kind: string,
  o: KubeObject,
  include: IncludeObject,
  withColumns: boolean,
): Record<string, unknown> {
  return {
    kind: 'Table',
    apiVersion: 'meta.k8s.io/v1',
    metadata: { resourceVersion: o.metadata.resourceVersion },
    columnDefinitions: withColumns ? columnsOf(kind) : [],
    rows: [tableRow(kind, o, include, Date.now())],
  };
}
