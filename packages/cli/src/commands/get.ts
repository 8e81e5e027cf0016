/**
 * `navctl get`: server-printed tables (`as=Table`) laid out like kubectl, the machine formats,
 * several kinds at once, `-A`, `-l`, `--sort-by`, `--show-labels` and `-w`.
 */

import {
  isStatus,
  type KubeList,
  type KubeObject,
  kindPrefix,
  qualifiedResource,
  type ResourceInfo,
  type StatusError,
  type Table,
} from '@navarch/client';
import { type ResourceRequest, resolveResourceArgs } from '../builder.js';
import type { Factory } from '../context.js';
import { CliError, ExitSignal, formatStatusError } from '../errors.js';
import { io } from '../io.js';
import { localTable } from '../printers/columns.js';
import {
  type OutputFormat,
  objectName,
  parseOutputFormat,
  renderObjects,
  toJson,
  toYaml,
  withTypeMeta,
} from '../printers/output.js';
import { sortByJsonPath, type TableOptions, tableRows } from '../printers/table.js';
import { TabWriter } from '../printers/tabwriter.js';

/** Flags of `navctl get`. */
export interface GetFlags {
  output?: string;
  selector?: string;
  fieldSelector?: string;
  allNamespaces?: boolean;
  showLabels?: boolean;
  sortBy?: string;
  watch?: boolean;
  watchOnly?: boolean;
  outputWatchEvents?: boolean;
  noHeaders?: boolean;
  ignoreNotFound?: boolean;
}

function isTable(value: unknown): value is Table {
  return (value as { kind?: string } | undefined)?.kind === 'Table';
}

/** The `No resources found ...` line kubectl prints on stderr. */
export function noResourcesMessage(namespace: string | undefined): string {
  return namespace ? `No resources found in ${namespace} namespace.\n` : 'No resources found\n';
}

interface Fetched {
  info: ResourceInfo;
  table?: Table;
  objects?: KubeObject[];
  resourceVersion?: string;
}

/** Runs `navctl get`. */
export async function runGet(factory: Factory, args: string[], flags: GetFlags): Promise<void> {
  const format = parseOutputFormat(flags.output);
  const { requests, multiKind, byName } = await resolveResourceArgs(factory, args);
  const namespace = flags.allNamespaces ? undefined : factory.namespace();
  if ((flags.watch || flags.watchOnly) && requests.length > 1) {
    throw new CliError('you may only specify a single resource type');
  }
  const client = factory.client();
  const nowMs = Date.now();
  const errors: string[] = [];
  const fetched: Fetched[] = [];
  const wantTable = format.kind === 'table';
  const includeObject = flags.sortBy ? 'Object' : 'Metadata';

  const fetchOne = async (req: ResourceRequest): Promise<Fetched> => {
    const ns = req.info.namespaced
      ? req.names.length > 0
        ? (namespace ?? factory.namespace())
        : namespace
      : undefined;
    const result: Fetched = { info: req.info };
    const listOptions = {
      ...(flags.selector ? { labelSelector: flags.selector } : {}),
      ...(flags.fieldSelector ? { fieldSelector: flags.fieldSelector } : {}),
    };
    if (req.names.length === 0) {
      if (flags.watchOnly) return result;
      if (wantTable) {
        const answer = await client.listTable(req.info, ns, { ...listOptions, includeObject });
        if (isTable(answer)) result.table = answer;
        else result.table = await localTable(req.info, (answer as KubeList).items ?? [], nowMs);
        const rv = answer.metadata?.resourceVersion;
        if (rv) result.resourceVersion = rv;
      } else {
        const list = await client.list(req.info, ns, listOptions);
        result.objects = list.items ?? [];
        if (list.metadata?.resourceVersion) result.resourceVersion = list.metadata.resourceVersion;
      }
      return result;
    }
    const answers = await Promise.all(
      req.names.map(async (name) => {
        try {
          return wantTable
            ? await client.getTable(req.info, ns, name, includeObject)
            : await client.get(req.info, ns, name);
        } catch (err) {
          if (isStatus(err, 404)) {
            if (!flags.ignoreNotFound) errors.push(notFoundLine(err, req.info, name));
            return undefined;
          }
          throw err;
        }
      }),
    );
    const found = answers.filter((a): a is Table | KubeObject => a !== undefined);
    if (wantTable) {
      const tables = await Promise.all(found.map((a) => (isTable(a) ? a : localTable(req.info, [a], nowMs))));
      const first = tables[0];
      if (first) result.table = { ...first, rows: tables.flatMap((t) => t.rows) };
    } else {
      result.objects = found as KubeObject[];
    }
    return result;
  };

  for (const req of requests) {
    try {
      fetched.push(await fetchOne(req));
    } catch (err) {
      // `get all` tolerates kinds this server does not serve, as kubectl tolerates missing groups.
      if (multiKind && !byName && isStatus(err, 404)) continue;
      throw err;
    }
  }

  const writer = new TabWriter({ remember: Boolean(flags.watch || flags.watchOnly) });
  let printed = 0;
  if (wantTable) {
    const blocks: string[] = [];
    for (const f of fetched) {
      if (!f.table || f.table.rows.length === 0) continue;
      let table = f.table;
      if (flags.sortBy) {
        const sortBy = flags.sortBy;
        table = { ...table, rows: sortByJsonPath(table.rows, sortBy, (row) => row.object) };
      }
      const options: TableOptions = {
        wide: format.wide,
        withNamespace: Boolean(flags.allNamespaces && f.info.namespaced),
        showLabels: Boolean(flags.showLabels),
        noHeaders: Boolean(flags.noHeaders),
      };
      if (multiKind) options.kindPrefix = kindPrefix(f.info);
      if (flags.outputWatchEvents) options.eventTypes = table.rows.map(() => 'ADDED');
      printed += table.rows.length;
      // Every kind is its own tabwriter block, so each table aligns on its own like kubectl's.
      blocks.push(
        blocks.length === 0
          ? writer.format(tableRows(table, options))
          : new TabWriter().format(tableRows(table, options)),
      );
    }
    io.out(blocks.join('\n'));
  } else {
    let items = fetched.flatMap((f) => (f.objects ?? []).map((object) => ({ info: f.info, object })));
    if (flags.sortBy) {
      const sortBy = flags.sortBy;
      items = sortByJsonPath(items, sortBy, (i) => i.object);
    }
    printed = items.length;
    const single = byName && requests.length === 1 && requests[0]?.names.length === 1;
    if (!(flags.watchOnly && items.length === 0)) {
      if (
        items.length > 0 ||
        format.kind === 'json' ||
        format.kind === 'yaml' ||
        format.kind === 'jsonpath'
      ) {
        if (!(flags.watch && items.length === 0)) {
          io.out(renderObjects(format, items, single, Boolean(flags.noHeaders)));
        }
      }
    }
  }
  for (const line of errors) io.err(`${line}\n`);
  const quietFormats = format.kind === 'json' || format.kind === 'yaml' || format.kind === 'jsonpath';
  if (printed === 0 && errors.length === 0 && !byName && !quietFormats && !flags.watchOnly) {
    const scoped = requests.some((r) => r.info.namespaced) ? namespace : undefined;
    io.err(noResourcesMessage(scoped));
  }
  if (flags.watch || flags.watchOnly) {
    const only = fetched[0] ?? { info: (requests[0] as ResourceRequest).info };
    const req = requests[0] as ResourceRequest;
    const columns = only.table?.columnDefinitions ?? [];
    await watchRows(factory, req, namespace, only.resourceVersion, format, flags, writer, multiKind, {
      columns,
      headerPrinted: printed > 0,
    });
    return;
  }
  if (errors.length > 0) throw new ExitSignal(1);
}

function notFoundLine(err: StatusError, info: ResourceInfo, name: string): string {
  if (err.status.details?.name !== undefined || /not found/.test(err.message)) return formatStatusError(err);
  return `Error from server (NotFound): ${qualifiedResource(info)} "${name}" not found`;
}

async function watchRows(
  factory: Factory,
  req: ResourceRequest,
  namespace: string | undefined,
  resourceVersion: string | undefined,
  format: OutputFormat,
  flags: GetFlags,
  writer: TabWriter,
  multiKind: boolean,
  state: { columns: Table['columnDefinitions']; headerPrinted: boolean },
): Promise<void> {
  const client = factory.client();
  const ns = req.info.namespaced ? namespace : undefined;
  const controller = new AbortController();
  const stop = () => controller.abort();
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  // The header goes out with the first row when the initial list printed none.
  let headerPending = !state.headerPrinted;
  // The API server sends column definitions with the first watch event only; later events
  // carry rows alone, printed with the columns already known.
  let columns = state.columns;
  try {
    const stream = await client.watch(req.info, ns, {
      ...(resourceVersion ? { resourceVersion } : {}),
      ...(flags.selector ? { labelSelector: flags.selector } : {}),
      ...(req.names.length === 1
        ? { fieldSelector: `metadata.name=${req.names[0]}` }
        : flags.fieldSelector
          ? { fieldSelector: flags.fieldSelector }
          : {}),
      table: format.kind === 'table',
      signal: controller.signal,
    });
    for await (const event of stream) {
      if (event.type === 'BOOKMARK') continue;
      if (format.kind === 'table') {
        let table = isTable(event.object)
          ? event.object
          : await localTable(req.info, [event.object], Date.now());
        if (table.columnDefinitions.length > 0) columns = table.columnDefinitions;
        else table = { ...table, columnDefinitions: columns };
        const options: TableOptions = {
          wide: format.wide,
          withNamespace: Boolean(flags.allNamespaces && req.info.namespaced),
          showLabels: Boolean(flags.showLabels),
          noHeaders: !headerPending || Boolean(flags.noHeaders),
        };
        if (multiKind) options.kindPrefix = kindPrefix(req.info);
        if (flags.outputWatchEvents) options.eventTypes = table.rows.map(() => event.type);
        headerPending = false;
        io.out(writer.format(tableRows(table, options)));
      } else {
        const object = withTypeMeta(event.object, req.info);
        const payload = flags.outputWatchEvents ? { type: event.type, object } : object;
        if (format.kind === 'json') io.out(toJson(payload));
        else if (format.kind === 'yaml') io.out(`---\n${toYaml(payload)}`);
        else if (format.kind === 'name') io.out(`${objectName(req.info, object)}\n`);
        else io.out(renderObjects(format, [{ info: req.info, object }], true, true));
      }
    }
  } catch (err) {
    if (controller.signal.aborted) return;
    throw err;
  } finally {
    process.off('SIGINT', stop);
    process.off('SIGTERM', stop);
  }
}
