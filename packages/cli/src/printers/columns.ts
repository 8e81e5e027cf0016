/**
 * Local tables for servers that answer `as=Table` with a plain list: the same printers the
 * Navarch API server uses (`@navarch/api`), so the columns match what a printing server sends.
 * Loaded only on that fallback path, to keep it out of every command's start-up.
 */
import type { KubeObject, ResourceInfo, Table } from '@navarch/client';

/** Builds the Table the API server would have printed for these objects (rows carry the whole object). */
export async function localTable(info: ResourceInfo, objects: KubeObject[], nowMs: number): Promise<Table> {
  const { buildTable } = await import('@navarch/api');
  const table = buildTable(info.kind, objects as never, { nowMs, includeObject: 'Object' });
  return table as unknown as Table;
}
