/**
 * `navctl explain RESOURCE[.FIELD...]`: field documentation from the server's OpenAPI v3 document
 * (as kubectl 1.32 does); when the server publishes none, the fields of the object's top level.
 */

import { isStatus, type ResourceInfo } from '@navarch/client';
import type { Factory } from '../context.js';
import { CliError } from '../errors.js';
import { io } from '../io.js';

interface Schema {
  type?: string;
  description?: string;
  properties?: Record<string, Schema>;
  required?: string[];
  items?: Schema;
  additionalProperties?: Schema | boolean;
  $ref?: string;
  allOf?: Schema[];
  format?: string;
  'x-kubernetes-group-version-kind'?: Array<{ group: string; version: string; kind: string }>;
}

interface OpenApiDoc {
  components?: { schemas?: Record<string, Schema> };
}

function refName(ref: string): string {
  return ref.slice(ref.lastIndexOf('/') + 1);
}

function deref(schema: Schema | undefined, doc: OpenApiDoc): Schema | undefined {
  let s = schema;
  for (let i = 0; i < 10 && s; i++) {
    const ref = s.$ref ?? s.allOf?.[0]?.$ref;
    if (!ref) return s;
    const target = doc.components?.schemas?.[refName(ref)];
    const description = s.description ?? target?.description;
    s = target ? { ...target, ...(description !== undefined ? { description } : {}) } : undefined;
  }
  return s;
}

function typeName(schema: Schema | undefined): string {
  if (!schema) return 'Object';
  const ref = schema.$ref ?? schema.allOf?.[0]?.$ref;
  if (ref) {
    const name = refName(ref);
    return name.slice(name.lastIndexOf('.') + 1);
  }
  if (schema.type === 'array') return `[]${typeName(schema.items)}`;
  if (schema.type === 'object' && typeof schema.additionalProperties === 'object') {
    return `map[string]${typeName(schema.additionalProperties)}`;
  }
  if (schema.type === 'object' || !schema.type) return 'Object';
  return schema.type;
}

function wrap(text: string, indent: number, width = 80): string {
  const pad = ' '.repeat(indent);
  const out: string[] = [];
  for (const paragraph of text.split('\n')) {
    let line = '';
    for (const word of paragraph.split(/\s+/).filter((w) => w !== '')) {
      if (line !== '' && pad.length + line.length + 1 + word.length > width) {
        out.push(pad + line);
        line = word;
      } else line = line === '' ? word : `${line} ${word}`;
    }
    out.push(line === '' ? pad.trimEnd() : pad + line);
  }
  return `${out.join('\n')}\n`;
}

async function fetchSchema(
  factory: Factory,
  info: ResourceInfo,
): Promise<{ root: Schema; doc: OpenApiDoc } | undefined> {
  const rest = factory.client().rest;
  let index: { paths?: Record<string, { serverRelativeURL?: string }> };
  try {
    index = await rest.request({ method: 'GET', path: '/openapi/v3' });
  } catch (err) {
    if (isStatus(err, 404) || isStatus(err, 406) || isStatus(err, 403)) return undefined;
    throw err;
  }
  const key = info.group ? `apis/${info.group}/${info.version}` : `api/${info.version}`;
  const url = index?.paths?.[key]?.serverRelativeURL;
  if (!url) return undefined;
  const [path, query] = url.split('?');
  const doc = await rest.request<OpenApiDoc>({
    method: 'GET',
    path: path as string,
    ...(query ? { query: Object.fromEntries(new URLSearchParams(query)) } : {}),
  });
  for (const schema of Object.values(doc.components?.schemas ?? {})) {
    const gvks = schema['x-kubernetes-group-version-kind'] ?? [];
    if (gvks.some((g) => g.group === info.group && g.version === info.version && g.kind === info.kind)) {
      return { root: schema, doc };
    }
  }
  return undefined;
}

const FALLBACK: Schema = {
  description: '',
  properties: {
    apiVersion: {
      type: 'string',
      description: 'APIVersion defines the versioned schema of this representation of an object.',
    },
    kind: {
      type: 'string',
      description: 'Kind is a string value representing the REST resource this object represents.',
    },
    metadata: { $ref: '#/components/schemas/ObjectMeta', description: "Standard object's metadata." },
    spec: { type: 'object', description: 'Specification of the desired behavior.' },
    status: { type: 'object', description: 'Most recently observed status. Read-only.' },
  },
};

function printFields(
  schema: Schema,
  doc: OpenApiDoc,
  recursive: boolean,
  depth: number,
  out: string[],
): void {
  const required = new Set(schema.required ?? []);
  const names = Object.keys(schema.properties ?? {}).sort();
  for (const name of names) {
    const field = schema.properties?.[name] as Schema;
    const pad = '  '.repeat(depth + 1);
    out.push(`${pad}${name}\t<${typeName(field)}>${required.has(name) ? ' -required-' : ''}\n`);
    if (recursive) {
      const inner = deref(field.type === 'array' ? field.items : field, doc);
      if (inner?.properties && depth < 15) printFields(inner, doc, recursive, depth + 1, out);
    } else {
      if (field.description) out.push(wrap(field.description, 4));
      out.push('\n');
    }
  }
}

/** `navctl explain pods.spec.containers [--recursive]`. */
export async function runExplain(
  factory: Factory,
  args: string[],
  flags: Record<string, unknown>,
): Promise<void> {
  const [resource = '', ...path] = (args[0] ?? '').split('.');
  if (!resource) throw new CliError('You must specify the type of resource to explain.');
  let info = await factory.client().discovery.resolve(resource);
  if (typeof flags.apiVersion === 'string') {
    const [g, v] = flags.apiVersion.includes('/') ? flags.apiVersion.split('/') : ['', flags.apiVersion];
    info = { ...info, group: g ?? '', version: v ?? info.version };
  }
  const found = await fetchSchema(factory, info);
  const doc: OpenApiDoc = found?.doc ?? {};
  let schema: Schema | undefined = found?.root ?? FALLBACK;
  let fieldLine = '';
  for (const segment of path) {
    const container = deref(schema?.type === 'array' ? schema.items : schema, doc);
    const next = container?.properties?.[segment];
    if (!next) throw new CliError(`field "${segment}" does not exist`);
    fieldLine = `FIELD: ${segment} <${typeName(next)}>\n\n`;
    schema = next;
  }
  const shown = deref(schema?.type === 'array' ? schema.items : schema, doc) ?? {};
  const out: string[] = [];
  out.push(`GROUP:      ${info.group}\n`.replace(/^GROUP: {6}\n$/, ''));
  out.push(`KIND:       ${info.kind}\nVERSION:    ${info.version}\n\n`);
  out.push(fieldLine);
  out.push('DESCRIPTION:\n');
  out.push(wrap(schema?.description || shown.description || '<empty>', 4));
  if (shown.properties) {
    out.push(`${flags.recursive ? '' : '    \n'}FIELDS:\n`);
    printFields(shown, doc, Boolean(flags.recursive), 0, out);
  }
  io.out(out.join(''));
}
