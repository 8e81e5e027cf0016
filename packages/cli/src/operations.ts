/**
 * Helpers shared by the write commands: dry-run modes, the namespace an object goes to, the
 * `deployment.apps/x configured` line, and kubectl's error wording with file context.
 */

import {
  type Discovery,
  type KubeObject,
  kindPrefix,
  type ResourceInfo,
  StatusError,
  UnknownResourceError,
} from '@navarch/client';
import type { Factory } from './context.js';
import { CliError, formatError, formatStatusError } from './errors.js';
import { io } from './io.js';
import type { Manifest } from './manifests.js';
import { objectName, toJson, toYaml, withTypeMeta } from './printers/output.js';

/** `--dry-run` after parsing: none, client (nothing sent) or server (sent with dryRun=All). */
export type DryRun = 'none' | 'client' | 'server';

/** Parses `--dry-run[=client|server|none]` (a bare flag means client, as in kubectl). */
export function dryRunOf(flags: Record<string, unknown>): DryRun {
  const v = flags.dryRun;
  if (v === undefined || v === false || v === 'none') return 'none';
  if (v === true || v === 'client') return 'client';
  if (v === 'server') return 'server';
  throw new CliError(`Invalid dry-run value (${String(v)}). Must be "none", "server", or "client".`);
}

/** The suffix kubectl appends to operation lines in dry-run mode. */
export function dryRunSuffix(dryRun: DryRun): string {
  return dryRun === 'client' ? ' (dry run)' : dryRun === 'server' ? ' (server dry run)' : '';
}

/** Prints the result of one operation: `kind/name verb`, or the object in `-o` format. */
export function printOperation(
  info: ResourceInfo,
  object: KubeObject,
  verb: string,
  dryRun: DryRun,
  output: unknown,
): void {
  if (output === 'name') io.out(`${objectName(info, object)}\n`);
  else if (output === 'json') io.out(toJson(withTypeMeta(object, info)));
  else if (output === 'yaml') io.out(toYaml(withTypeMeta(object, info)));
  else if (output !== undefined && output !== '')
    throw new CliError(
      `unable to match a printer suitable for the output format "${String(output)}", allowed formats are: json,name,yaml`,
    );
  else io.out(`${kindPrefix(info)}/${object.metadata?.name ?? ''} ${verb}${dryRunSuffix(dryRun)}\n`);
}

/**
 * The namespace a manifest object goes to: its own, else `-n`, else the context's. An object
 * naming another namespace than an explicit `-n` is refused, as kubectl refuses it.
 */
export function targetNamespace(
  factory: Factory,
  info: ResourceInfo,
  object: KubeObject,
): string | undefined {
  if (!info.namespaced) return undefined;
  const own = object.metadata?.namespace;
  const flag = factory.namespace();
  if (own && factory.namespaceExplicit() && own !== flag) {
    throw new CliError(
      `the namespace from the provided object "${own}" does not match the namespace "${flag}". You must pass '--namespace=${own}' to perform this operation.`,
    );
  }
  return own || flag;
}

/** Resolves a manifest's kind, with kubectl's message when the server has no such kind. */
export async function resolveManifest(discovery: Discovery, manifest: Manifest): Promise<ResourceInfo> {
  const { object } = manifest;
  try {
    return await discovery.resolveKind(String(object.apiVersion), String(object.kind));
  } catch (err) {
    if (err instanceof UnknownResourceError) {
      throw new CliError(
        `resource mapping not found for name: "${object.metadata?.name ?? ''}" namespace: "${object.metadata?.namespace ?? ''}" from "${manifest.source}": no matches for kind "${object.kind}" in version "${object.apiVersion}"\nensure CRDs are installed first`,
      );
    }
    throw err;
  }
}

/** kubectl's line for a failed operation on a file's object (`error when creating "f.yaml": ...`). */
export function operationError(err: unknown, action: string, source: string): string {
  if (err instanceof StatusError) return formatStatusError(err, `error when ${action} "${source}"`);
  return formatError(err);
}

/** Copies the object and sets metadata.namespace for namespaced kinds (kubectl's builder does too). */
export function withNamespace(object: KubeObject, namespace: string | undefined): KubeObject {
  const copy = structuredClone(object);
  if (namespace !== undefined) copy.metadata = { ...(copy.metadata ?? {}), namespace };
  return copy;
}
