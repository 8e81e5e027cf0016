/**
 * Table printers: for each kind, the columns `kubectl get` shows and the cells of one row,
 * as meta.k8s.io/v1 Table column definitions (priority 0 = always, 1 = `-o wide` only) and
 * rows. Column names are Kubernetes' (`Name`, `Ready`, `Nominated Node`); kubectl and navctl
 * upper-case them for display. Pure: the current time comes in as `nowMs`.
 */

import type { Cell, Printer } from './printers/common.js';
import {
  configMapPrinter,
  defaultPrinter,
  endpointsPrinter,
  eventPrinter,
  ingressPrinter,
  leasePrinter,
  namespacePrinter,
  nodePrinter,
  persistentVolumeClaimPrinter,
  persistentVolumePrinter,
  secretPrinter,
  servicePrinter,
} from './printers/core.js';
import { deploymentPrinter, hpaPrinter, podPrinter, replicaSetPrinter } from './printers/workloads.js';
import type { KubeObject, Table, TableColumnDefinition, TableRow } from './types/meta.js';

export { formatEndpoints, formatServicePorts, nodeRoles, nodeStatus } from './printers/core.js';
export { formatHPATargets, podStatusReason } from './printers/workloads.js';

const PRINTERS: Record<string, Printer> = {
  Pod: podPrinter,
  Deployment: deploymentPrinter,
  ReplicaSet: replicaSetPrinter,
  Service: servicePrinter,
  Endpoints: endpointsPrinter,
  ConfigMap: configMapPrinter,
  Secret: secretPrinter,
  Namespace: namespacePrinter,
  Node: nodePrinter,
  Event: eventPrinter,
  PersistentVolume: persistentVolumePrinter,
  PersistentVolumeClaim: persistentVolumeClaimPrinter,
  Ingress: ingressPrinter,
  HorizontalPodAutoscaler: hpaPrinter,
  Lease: leasePrinter,
};

/** Column definitions for a kind (Name and Age for kinds without a printer). Returns copies. */
export function tableColumns(kind: string): TableColumnDefinition[] {
  return (PRINTERS[kind] ?? defaultPrinter).columns.map((definition) => ({ ...definition }));
}

/** The cells of one object's row, aligned with `tableColumns(kind)`. */
export function tableCells(object: KubeObject, nowMs: number, kind: string = object.kind ?? ''): Cell[] {
  return (PRINTERS[kind] ?? defaultPrinter).cells(object as never, nowMs);
}

/** What each row carries in `object` (the `includeObject` query parameter). */
export type IncludeObjectPolicy = 'None' | 'Metadata' | 'Object';

/** Options of `buildTable`. */
export interface TableOptions {
  /** The current time, epoch milliseconds (ages are computed against it). */
  nowMs: number;
  /** Defaults to Metadata, as in Kubernetes. */
  includeObject?: IncludeObjectPolicy;
  /** List resourceVersion / continue token to carry into the table's metadata. */
  resourceVersion?: string;
  continue?: string;
}

/**
 * Builds the meta.k8s.io/v1 Table for a list of objects of one kind, as the API server
 * returns for `Accept: application/json;as=Table;v=v1;g=meta.k8s.io`.
 */
export function buildTable(kind: string, objects: readonly KubeObject[], options: TableOptions): Table {
  const include = options.includeObject ?? 'Metadata';
  const rows: TableRow[] = objects.map((object) => {
    const row: TableRow = { cells: tableCells(object, options.nowMs, kind) };
    if (include === 'Object') row.object = object;
    else if (include === 'Metadata')
      row.object = { kind: 'PartialObjectMetadata', apiVersion: 'meta.k8s.io/v1', metadata: object.metadata };
    return row;
  });
  const table: Table = {
    kind: 'Table',
    apiVersion: 'meta.k8s.io/v1',
    metadata: {},
    columnDefinitions: tableColumns(kind),
    rows,
  };
  if (options.resourceVersion !== undefined) table.metadata.resourceVersion = options.resourceVersion;
  if (options.continue !== undefined) table.metadata.continue = options.continue;
  return table;
}
