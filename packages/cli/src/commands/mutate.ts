/**
 * Commands that change live objects in place: `scale`, `label`, `annotate`, `patch`, `edit`.
 */

import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  isStatus,
  type KubeObject,
  kindPrefix,
  type PatchType,
  type ResourceInfo,
  StatusError,
} from '@navarch/client';
import { parse as parseYaml } from 'yaml';
import { resolveResourceArgs, resolveTypes } from '../builder.js';
import type { Factory } from '../context.js';
import { CliError, ExitSignal, formatError } from '../errors.js';
import { io } from '../io.js';
import { readManifests } from '../manifests.js';
import { deepEqual } from '../merge.js';
import { type DryRun, dryRunOf, printOperation, resolveManifest, targetNamespace } from '../operations.js';
import { toJson, toYaml, withTypeMeta } from '../printers/output.js';

type Flags = Record<string, unknown>;

interface Target {
  info: ResourceInfo;
  namespace: string | undefined;
  name: string;
}

/** Objects named by `-f`, by `TYPE NAME`/`TYPE/NAME`, or by `-l`/`--all` on a type. */
async function targets(factory: Factory, args: string[], flags: Flags): Promise<Target[]> {
  const files = (flags.filename as string[] | undefined) ?? [];
  const client = factory.client();
  if (files.length > 0) {
    const out: Target[] = [];
    for (const manifest of readManifests(files)) {
      const info = await resolveManifest(client.discovery, manifest);
      out.push({
        info,
        namespace: targetNamespace(factory, info, manifest.object),
        name: manifest.object.metadata?.name ?? '',
      });
    }
    return out;
  }
  if (args.length === 0)
    throw new CliError('you must specify the type of resource and a name, or a file (-f)');
  if (flags.selector || flags.all) {
    const { infos } = await resolveTypes(factory, args[0] as string);
    const namespace = flags.allNamespaces ? undefined : factory.namespace();
    const out: Target[] = [];
    for (const info of infos) {
      const list = await client.list(info, info.namespaced ? namespace : undefined, {
        ...(flags.selector ? { labelSelector: String(flags.selector) } : {}),
      });
      for (const item of list.items ?? []) {
        out.push({ info, namespace: item.metadata?.namespace, name: item.metadata?.name ?? '' });
      }
    }
    return out;
  }
  const { requests } = await resolveResourceArgs(factory, args);
  const out: Target[] = [];
  for (const req of requests) {
    if (req.names.length === 0) throw new CliError('resource(s) were provided, but no name was specified');
    for (const name of req.names)
      out.push({ info: req.info, namespace: req.info.namespaced ? factory.namespace() : undefined, name });
  }
  return out;
}

/** Runs `body` for every target, printing errors kubectl-style and exiting 1 if any failed. */
async function forEachTarget(list: Target[], body: (t: Target) => Promise<void>): Promise<void> {
  let failed = false;
  for (const t of list) {
    try {
      await body(t);
    } catch (err) {
      failed = true;
      io.err(`${formatError(err)}\n`);
    }
  }
  if (failed) throw new ExitSignal(1);
}

/** `navctl scale TYPE NAME --replicas=N` (also `TYPE/NAME`, `-l`, `--all`, `-f`). */
export async function runScale(factory: Factory, args: string[], flags: Flags): Promise<void> {
  const replicas = flags.replicas as number;
  if (replicas < 0)
    throw new CliError('The --replicas=COUNT flag is required, and COUNT must be greater than or equal to 0');
  const dryRun = dryRunOf(flags);
  const client = factory.client();
  await forEachTarget(await targets(factory, args, flags), async ({ info, namespace, name }) => {
    if (flags.currentReplicas !== undefined) {
      const live = await client.get<{ spec?: { replicas?: number } }>(info, namespace, name);
      const now = live.spec?.replicas ?? 1;
      if (now !== flags.currentReplicas) {
        throw new CliError(`Expected replicas to be ${flags.currentReplicas}, was ${now}`);
      }
    }
    const patch = { spec: { replicas } };
    if (dryRun !== 'client') {
      const options = { dryRun: dryRun === 'server' };
      try {
        await client.patch(info, namespace, name, 'merge', patch, { ...options, subresource: 'scale' });
      } catch (err) {
        // A server without the scale subresource: set spec.replicas on the object itself.
        if (!(isStatus(err, 404) || isStatus(err, 405) || isStatus(err, 415))) throw err;
        await client.patch(info, namespace, name, 'merge', patch, options);
      }
    }
    printOperation(info, { metadata: { name } }, 'scaled', dryRun, undefined);
  });
}

interface MetadataChange {
  set: Record<string, string>;
  remove: string[];
}

function splitChanges(args: string[], what: string): { resourceArgs: string[]; change: MetadataChange } {
  const change: MetadataChange = { set: {}, remove: [] };
  const resourceArgs: string[] = [];
  args.forEach((arg, i) => {
    if (i > 0 && arg.includes('=')) {
      const eq = arg.indexOf('=');
      const key = arg.slice(0, eq);
      if (!key) throw new CliError(`invalid ${what} spec: ${arg}`);
      change.set[key] = arg.slice(eq + 1);
    } else if (i > 0 && arg.endsWith('-') && arg.length > 1) {
      change.remove.push(arg.slice(0, -1));
    } else resourceArgs.push(arg);
  });
  return { resourceArgs, change };
}

async function runMetadata(
  factory: Factory,
  args: string[],
  flags: Flags,
  field: 'labels' | 'annotations',
): Promise<void> {
  const what = field === 'labels' ? 'label' : 'annotation';
  const verb = field === 'labels' ? 'labeled' : 'annotated';
  const { resourceArgs, change } = splitChanges(args, what);
  if (!flags.list && Object.keys(change.set).length === 0 && change.remove.length === 0) {
    throw new CliError(`at least one ${what} update is required`);
  }
  const dryRun: DryRun = dryRunOf(flags);
  const client = factory.client();
  await forEachTarget(await targets(factory, resourceArgs, flags), async ({ info, namespace, name }) => {
    const live = await client.get(info, namespace, name);
    const current = live.metadata?.[field] ?? {};
    if (flags.list) {
      for (const key of Object.keys(current).sort()) io.out(`${key}=${current[key]}\n`);
      return;
    }
    const patch: Record<string, string | null> = {};
    for (const [key, value] of Object.entries(change.set)) {
      if (key in current && current[key] !== value && !flags.overwrite) {
        throw new CliError(`'${key}' already has a value (${current[key]}), and --overwrite is false`);
      }
      if (current[key] !== value) patch[key] = value;
    }
    for (const key of change.remove) {
      if (key in current) patch[key] = null;
      else io.err(`${what} "${key}" not found.\n`);
    }
    if (Object.keys(patch).length === 0) {
      printOperation(info, live, `not ${verb}`, 'none', flags.output);
      return;
    }
    const body = { metadata: { [field]: patch } };
    const result =
      dryRun === 'client'
        ? live
        : await client.patch(info, namespace, name, 'merge', body, { dryRun: dryRun === 'server' });
    printOperation(info, result, verb, dryRun, flags.output);
  });
}

/** `navctl label TYPE NAME k=v k2-` (`--overwrite`, `-l`, `--all`, `--list`). */
export function runLabel(factory: Factory, args: string[], flags: Flags): Promise<void> {
  return runMetadata(factory, args, flags, 'labels');
}

/** `navctl annotate TYPE NAME k=v k2-` (`--overwrite`, `-l`, `--all`, `--list`). */
export function runAnnotate(factory: Factory, args: string[], flags: Flags): Promise<void> {
  return runMetadata(factory, args, flags, 'annotations');
}

function parsePatch(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    try {
      return parseYaml(text);
    } catch (err) {
      throw new CliError(`unable to parse "${text}": ${(err as Error).message}`);
    }
  }
}

/** `navctl patch TYPE NAME -p PATCH [--type merge|json|strategic]`. */
export async function runPatch(factory: Factory, args: string[], flags: Flags): Promise<void> {
  const type = (flags.type as PatchType | undefined) ?? 'strategic';
  const patch = parsePatch(String(flags.patch));
  if (type === 'json' && !Array.isArray(patch)) throw new CliError('json patch must be a list of operations');
  if (type !== 'json' && (typeof patch !== 'object' || patch === null || Array.isArray(patch))) {
    throw new CliError(`unable to parse "${String(flags.patch)}": the patch must be a JSON object`);
  }
  const dryRun = dryRunOf(flags);
  const client = factory.client();
  await forEachTarget(await targets(factory, args, flags), async ({ info, namespace, name }) => {
    const before = await client.get(info, namespace, name);
    if (dryRun === 'client') {
      printOperation(info, before, 'patched', dryRun, flags.output);
      return;
    }
    let after: KubeObject;
    try {
      after = await client.patch(info, namespace, name, type, patch, { dryRun: dryRun === 'server' });
    } catch (err) {
      if (type !== 'strategic' || !(err instanceof StatusError) || err.httpStatus !== 415) throw err;
      io.err('Warning: the server does not accept strategic merge patches; sent as a JSON merge patch\n');
      after = await client.patch(info, namespace, name, 'merge', patch, { dryRun: dryRun === 'server' });
    }
    const changed =
      after.metadata?.resourceVersion !== before.metadata?.resourceVersion || !deepEqual(after, before);
    printOperation(info, after, changed ? 'patched' : 'patched (no change)', dryRun, flags.output);
  });
}

const EDIT_HEADER = `# Please edit the object below. Lines beginning with a '#' will be ignored,
# and an empty file will abort the edit. If an error occurs while saving this file will be
# reopened with the relevant failures.
#
`;

/** `navctl edit TYPE NAME`: opens the object in $KUBE_EDITOR / $EDITOR (default vi) and saves it. */
export async function runEdit(factory: Factory, args: string[], flags: Flags): Promise<void> {
  const format = flags.output === 'json' ? 'json' : 'yaml';
  const editor = process.env.KUBE_EDITOR || process.env.EDITOR || 'vi';
  const client = factory.client();
  await forEachTarget(await targets(factory, args, flags), async ({ info, namespace, name }) => {
    const live = withTypeMeta(await client.get(info, namespace, name), info);
    const dir = mkdtempSync(join(tmpdir(), 'navctl-edit-'));
    const file = join(dir, `${kindPrefix(info)}-${name}.${format}`);
    const original = format === 'json' ? toJson(live) : toYaml(live);
    writeFileSync(file, format === 'json' ? original : EDIT_HEADER + original);
    let keep = false;
    try {
      const result = spawnSync('/bin/sh', ['-c', `${editor} "$1"`, 'editor', file], { stdio: 'inherit' });
      if (result.status !== 0) throw new CliError(`there was a problem with the editor "${editor}"`);
      const text = readFileSync(file, 'utf8')
        .split('\n')
        .filter((line) => !line.startsWith('#'))
        .join('\n');
      if (text.trim() === '') {
        io.out('Edit cancelled, no changes made.\n');
        return;
      }
      let edited: KubeObject;
      try {
        edited = (format === 'json' ? JSON.parse(text) : parseYaml(text)) as KubeObject;
      } catch (err) {
        keep = true;
        throw new CliError(`${(err as Error).message}\nA copy of your changes has been stored to "${file}"`);
      }
      if (deepEqual(edited, live)) {
        io.out('Edit cancelled, no changes made.\n');
        return;
      }
      try {
        const saved = await client.update(info, namespace, edited);
        printOperation(info, saved, 'edited', 'none', undefined);
      } catch (err) {
        keep = true;
        const why = err instanceof StatusError ? formatError(err) : String(err);
        throw new CliError(
          `${kindPrefix(info)} "${name}" could not be patched: ${why}\nA copy of your changes has been stored to "${file}"`,
        );
      }
    } finally {
      if (!keep) rmSync(dir, { recursive: true, force: true });
    }
  });
}
