/**
 * Reading `-f` arguments: files, directories (`.yaml`, `.yml`, `.json`; `-R` recurses) and `-`
 * (stdin); multi-document YAML and JSON; `kind: List` expanded. Everything is parsed and checked
 * before anything is sent, and a syntax error names the file, line and column.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { KubeObject } from '@navarch/client';
import { parseAllDocuments } from 'yaml';
import { CliError } from './errors.js';

/** One object from a manifest, with where it came from (for messages like kubectl's `error when creating "f.yaml"`). */
export interface Manifest {
  source: string;
  object: KubeObject;
}

const EXTENSIONS = /\.(ya?ml|json)$/i;

function listFiles(path: string, recursive: boolean): string[] {
  const out: string[] = [];
  for (const entry of readdirSync(path, { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : 1))) {
    const full = join(path, entry.name);
    if (entry.isDirectory()) {
      if (recursive) out.push(...listFiles(full, recursive));
    } else if (EXTENSIONS.test(entry.name)) out.push(full);
  }
  return out;
}

function readStdin(): string {
  try {
    return readFileSync(0, 'utf8');
  } catch (err) {
    throw new CliError(`error reading from stdin: ${(err as Error).message}`);
  }
}

/** Parses one manifest text; `source` is used in error messages. */
export function parseManifests(text: string, source: string): Manifest[] {
  const out: Manifest[] = [];
  const docs = parseAllDocuments(text, { prettyErrors: true, uniqueKeys: true });
  const list = Array.isArray(docs) ? docs : [docs];
  for (const doc of list) {
    const error = doc.errors[0];
    if (error) {
      const pos = error.linePos?.[0];
      const where = pos ? `line ${pos.line}, column ${pos.col}: ` : '';
      const message =
        error.message.split('\n')[0]?.replace(/ at line \d+, column \d+:?$/, '') ?? 'syntax error';
      throw new CliError(`error parsing ${source}: ${where}${message}`, {
        code: 'NAVARCH_ERR_MANIFEST_SYNTAX',
      });
    }
    const value: unknown = doc.toJS({ maxAliasCount: 100 });
    if (value === null || value === undefined) continue;
    if (typeof value !== 'object' || Array.isArray(value)) {
      throw new CliError(
        `error validating "${source}": error validating data: the document is not an object`,
        {
          code: 'NAVARCH_ERR_MANIFEST_INVALID',
        },
      );
    }
    const object = value as KubeObject;
    if (
      object.kind === 'List' ||
      (typeof object.kind === 'string' && object.kind.endsWith('List') && Array.isArray(object.items))
    ) {
      for (const item of (object.items as KubeObject[] | undefined) ?? []) out.push(validate(item, source));
    } else {
      out.push(validate(object, source));
    }
  }
  return out;
}

function validate(object: KubeObject, source: string): Manifest {
  const missing: string[] = [];
  if (!object.apiVersion) missing.push('apiVersion not set');
  if (!object.kind) missing.push('kind not set');
  if (missing.length > 0) {
    throw new CliError(
      `error validating "${source}": error validating data: [${missing.join(', ')}]; if you choose to ignore these errors, turn validation off with --validate=false`,
      { code: 'NAVARCH_ERR_MANIFEST_INVALID' },
    );
  }
  return { source, object };
}

/** Reads every `-f` argument in order. */
export function readManifests(filenames: string[], recursive = false): Manifest[] {
  if (filenames.length === 0) throw new CliError('must specify one of -f and -k');
  const out: Manifest[] = [];
  for (const name of filenames) {
    if (name === '-') {
      out.push(...parseManifests(readStdin(), 'STDIN'));
      continue;
    }
    let stat: ReturnType<typeof statSync>;
    try {
      stat = statSync(name);
    } catch {
      throw new CliError(`the path "${name}" does not exist`, { code: 'NAVARCH_ERR_MANIFEST_MISSING' });
    }
    const files = stat.isDirectory() ? listFiles(name, recursive) : [name];
    for (const file of files) out.push(...parseManifests(readFileSync(file, 'utf8'), file));
  }
  if (out.length === 0) throw new CliError('no objects passed to apply');
  return out;
}
