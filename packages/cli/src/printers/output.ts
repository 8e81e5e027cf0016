/**
 * Machine-readable output: `-o json|yaml|name|jsonpath=...|custom-columns=...`, laid out as
 * kubectl lays it out (JSON indented by 4, YAML keys sorted with sequences flush to their key,
 * several objects wrapped in a `List`).
 */
import type { KubeObject, ResourceInfo } from '@navarch/client';
import { kindPrefix } from '@navarch/client';
import { stringify } from 'yaml';
import { CliError } from '../errors.js';
import { JsonPathTemplate, normaliseTemplate } from './jsonpath.js';
import { formatTable } from './tabwriter.js';

/** The output formats `-o` accepts. */
export type OutputFormat =
  | { kind: 'table'; wide: boolean }
  | { kind: 'json' }
  | { kind: 'yaml' }
  | { kind: 'name' }
  | { kind: 'jsonpath'; template: JsonPathTemplate }
  | { kind: 'custom-columns'; columns: Array<{ header: string; template: JsonPathTemplate }> };

/** Parses the value of `-o`. */
export function parseOutputFormat(value: string | undefined): OutputFormat {
  if (value === undefined || value === '') return { kind: 'table', wide: false };
  if (value === 'wide') return { kind: 'table', wide: true };
  if (value === 'json' || value === 'yaml' || value === 'name') return { kind: value };
  const eq = value.indexOf('=');
  const head = eq < 0 ? value : value.slice(0, eq);
  const arg = eq < 0 ? '' : value.slice(eq + 1);
  if (head === 'jsonpath' || head === 'jsonpath-as-json') {
    if (arg === '') throw new CliError('template format specified but no template given');
    return { kind: 'jsonpath', template: new JsonPathTemplate(normaliseTemplate(arg)) };
  }
  if (head === 'custom-columns') {
    if (arg === '') throw new CliError('custom-columns format specified but no custom columns given');
    return { kind: 'custom-columns', columns: parseCustomColumns(arg) };
  }
  throw new CliError(
    `unable to match a printer suitable for the output format "${value}", allowed formats are: custom-columns,json,jsonpath,name,wide,yaml`,
  );
}

/** `NAME:.metadata.name,IMAGE:.spec.containers[*].image` → columns. */
export function parseCustomColumns(spec: string): Array<{ header: string; template: JsonPathTemplate }> {
  return spec.split(',').map((part) => {
    const colon = part.indexOf(':');
    if (colon <= 0) {
      throw new CliError(`unexpected custom-columns spec: ${part}, expected <header>:<json-path-expr>`);
    }
    return {
      header: part.slice(0, colon),
      template: new JsonPathTemplate(normaliseTemplate(part.slice(colon + 1))),
    };
  });
}

/** kubectl's custom-columns rows (header first): several values join with `,`, none prints `<none>`. */
export function customColumnRows(
  columns: Array<{ header: string; template: JsonPathTemplate }>,
  objects: KubeObject[],
  noHeaders = false,
): string[][] {
  const rows: string[][] = noHeaders ? [] : [columns.map((c) => c.header)];
  for (const object of objects) {
    rows.push(
      columns.map((c) => {
        const values = c.template.values(object).filter((v) => v !== undefined && v !== null);
        if (values.length === 0) return '<none>';
        return values
          .map((v) => (typeof v === 'string' ? v : typeof v === 'object' ? JSON.stringify(v) : String(v)))
          .join(',');
      }),
    );
  }
  return rows;
}

/** JSON as kubectl prints it. */
export function toJson(value: unknown): string {
  return `${JSON.stringify(value, null, 4)}\n`;
}

/**
 * YAML as kubectl prints it: keys sorted and sequences flush with their key (sigs.k8s.io/yaml),
 * and YAML 1.1 quoting ("yes", "on", timestamps), which is what go-yaml v2 writes.
 */
export function toYaml(value: unknown): string {
  return stringify(value, {
    sortMapEntries: true,
    indentSeq: false,
    lineWidth: 0,
    aliasDuplicateObjects: false,
    version: '1.1',
  });
}

/** Wraps several objects into kubectl's `List`. */
export function asList(objects: KubeObject[]): KubeObject {
  return { apiVersion: 'v1', items: objects, kind: 'List', metadata: { resourceVersion: '' } };
}

/** Fills in apiVersion and kind, which list items from the server leave out. */
export function withTypeMeta(object: KubeObject, info: ResourceInfo): KubeObject {
  if (object.apiVersion && object.kind) return object;
  const { metadata, ...rest } = object;
  return {
    apiVersion: info.group ? `${info.group}/${info.version}` : info.version,
    kind: info.kind,
    ...(metadata ? { metadata } : {}),
    ...rest,
  };
}

/** `pod/x`, `deployment.apps/y`. */
export function objectName(info: Pick<ResourceInfo, 'kind' | 'group'>, object: KubeObject): string {
  return `${kindPrefix(info)}/${object.metadata?.name ?? ''}`;
}

/**
 * Renders objects in a non-table format. `single` is true when the user asked for exactly one
 * object by name (then JSON/YAML print the object itself, otherwise a List).
 */
export function renderObjects(
  format: Exclude<OutputFormat, { kind: 'table' }>,
  items: Array<{ info: ResourceInfo; object: KubeObject }>,
  single: boolean,
  noHeaders = false,
): string {
  const objects = items.map((i) => withTypeMeta(i.object, i.info));
  const root = single && objects.length === 1 ? (objects[0] as KubeObject) : asList(objects);
  switch (format.kind) {
    case 'json':
      return toJson(root);
    case 'yaml':
      return toYaml(root);
    case 'name':
      return items.map((i) => `${objectName(i.info, i.object)}\n`).join('');
    case 'jsonpath':
      return format.template.execute(root);
    case 'custom-columns':
      return formatTable(customColumnRows(format.columns, objects, noHeaders));
  }
}
