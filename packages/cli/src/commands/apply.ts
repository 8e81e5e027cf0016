/**
 * `apply`, `create` (-f, namespace, configmap) and `replace`: manifests to the server with
 * kubectl's client-side apply (last-applied annotation + three-way merge patch), or server-side
 * apply on request, and kubectl's output lines.
 */

import {
  ConnectionError,
  isStatus,
  type KubeObject,
  type ResourceInfo,
  WELL_KNOWN_RESOURCES,
} from '@navarch/client';
import type { Factory } from '../context.js';
import { CliError, ExitSignal } from '../errors.js';
import { io } from '../io.js';
import { readManifests } from '../manifests.js';
import { applyMergePatch, LAST_APPLIED, lastApplied, threeWayMergePatch, withLastApplied } from '../merge.js';
import {
  type DryRun,
  dryRunOf,
  operationError,
  printOperation,
  resolveManifest,
  targetNamespace,
  withNamespace,
} from '../operations.js';

type Flags = Record<string, unknown>;

function filenames(flags: Flags): string[] {
  return (flags.filename as string[] | undefined) ?? [];
}

/** Result of applying one object (also used by `diff` to render the merged object). */
export interface ApplyPlan {
  info: ResourceInfo;
  namespace: string | undefined;
  name: string;
  modified: KubeObject;
  current: KubeObject | undefined;
  patch: Record<string, unknown> | undefined;
}

/** Works out what `apply` would do to one manifest object without changing anything. */
export async function planApply(
  factory: Factory,
  info: ResourceInfo,
  object: KubeObject,
): Promise<ApplyPlan> {
  const namespace = targetNamespace(factory, info, object);
  const name = object.metadata?.name;
  if (!name) throw new CliError('resource name may not be empty');
  const modified = withLastApplied(withNamespace(object, namespace));
  const current = await factory.client().getIfExists(info, namespace, name);
  if (!current) return { info, namespace, name, modified, current: undefined, patch: undefined };
  const patch = threeWayMergePatch(lastApplied(current), modified, current);
  return { info, namespace, name, modified, current, patch };
}

/** `navctl apply -f ...`. */
export async function runApply(factory: Factory, _args: string[], flags: Flags): Promise<void> {
  const dryRun = dryRunOf(flags);
  const manifests = readManifests(filenames(flags), Boolean(flags.recursive));
  const client = factory.client();
  let failed = false;
  for (const manifest of manifests) {
    // What is being done to this object, for the error message if it fails.
    let doing = 'retrieving current configuration of';
    try {
      const info = await resolveManifest(client.discovery, manifest);
      if (flags.serverSide) {
        await serverSideApply(factory, info, manifest.object, flags, dryRun);
        continue;
      }
      const plan = await planApply(factory, info, manifest.object);
      const options = { dryRun: dryRun === 'server', fieldManager: 'kubectl-client-side-apply' };
      if (!plan.current) {
        let created = plan.modified;
        doing = 'creating';
        if (dryRun !== 'client') created = await client.create(info, plan.namespace, plan.modified, options);
        printOperation(info, created, 'created', dryRun, flags.output);
        continue;
      }
      if (!plan.current.metadata?.annotations?.[LAST_APPLIED]) {
        io.err(
          `Warning: resource ${plan.info.resource}/${plan.name} is missing the ${LAST_APPLIED} annotation which is required by navctl apply. navctl apply should only be used on resources created declaratively by either navctl create --save-config or navctl apply. The missing annotation will be patched automatically.\n`,
        );
      }
      const patch = plan.patch ?? {};
      if (Object.keys(patch).length === 0) {
        printOperation(info, plan.current, 'unchanged', dryRun, flags.output);
        continue;
      }
      let result = applyMergePatch(plan.current, patch) as KubeObject;
      doing = 'patching';
      if (dryRun !== 'client') {
        result = await client.patch(info, plan.namespace, plan.name, 'merge', patch, options);
      }
      printOperation(info, result, 'configured', dryRun, flags.output);
    } catch (err) {
      // An unreachable server fails every object alike: say it once, like kubectl.
      if (err instanceof ConnectionError) throw err;
      io.err(`${operationError(err, doing, manifest.source)}\n`);
      failed = true;
    }
  }
  if (failed) throw new ExitSignal(1);
}

async function serverSideApply(
  factory: Factory,
  info: ResourceInfo,
  object: KubeObject,
  flags: Flags,
  dryRun: DryRun,
) {
  const namespace = targetNamespace(factory, info, object);
  const name = object.metadata?.name ?? '';
  const body = withNamespace(object, namespace);
  const result =
    dryRun === 'client'
      ? body
      : await factory.client().patch(info, namespace, name, 'apply', body, {
          dryRun: dryRun === 'server',
          fieldManager:
            flags.fieldManager === 'kubectl-client-side-apply' ? 'kubectl' : String(flags.fieldManager),
          force: Boolean(flags.forceConflicts),
        });
  printOperation(info, result, 'serverside-applied', dryRun, flags.output);
}

/** `navctl create -f ...`. */
export async function runCreate(factory: Factory, args: string[], flags: Flags): Promise<void> {
  if (args.length > 0) throw new CliError(`unknown command "${args[0]}" for "navctl create"`);
  const dryRun = dryRunOf(flags);
  const manifests = readManifests(filenames(flags), Boolean(flags.recursive));
  const client = factory.client();
  let failed = false;
  for (const manifest of manifests) {
    try {
      const info = await resolveManifest(client.discovery, manifest);
      const namespace = targetNamespace(factory, info, manifest.object);
      const object = withNamespace(manifest.object, namespace);
      const created =
        dryRun === 'client'
          ? object
          : await client.create(info, namespace, object, { dryRun: dryRun === 'server' });
      printOperation(info, created, 'created', dryRun, flags.output);
    } catch (err) {
      // An unreachable server fails every object alike: say it once, like kubectl.
      if (err instanceof ConnectionError) throw err;
      io.err(`${operationError(err, 'creating', manifest.source)}\n`);
      failed = true;
    }
  }
  if (failed) throw new ExitSignal(1);
}

function wellKnown(resource: string): ResourceInfo {
  const info = WELL_KNOWN_RESOURCES.find((r) => r.group === '' && r.resource === resource);
  if (!info) throw new Error(`internal: no well-known resource ${resource}`);
  return info;
}

async function createSimple(
  factory: Factory,
  info: ResourceInfo,
  object: KubeObject,
  flags: Flags,
): Promise<void> {
  const dryRun = dryRunOf(flags);
  const namespace = info.namespaced ? factory.namespace() : undefined;
  const body = withNamespace(object, namespace);
  const created =
    dryRun === 'client'
      ? body
      : await factory.client().create(info, namespace, body, { dryRun: dryRun === 'server' });
  printOperation(info, created, 'created', dryRun, flags.output);
}

/** `navctl create namespace NAME`. */
export async function runCreateNamespace(factory: Factory, args: string[], flags: Flags): Promise<void> {
  const name = args[0] ?? '';
  await createSimple(
    factory,
    wellKnown('namespaces'),
    { apiVersion: 'v1', kind: 'Namespace', metadata: { name } },
    flags,
  );
}

/** `navctl create configmap NAME --from-literal=k=v ...`. */
export async function runCreateConfigMap(factory: Factory, args: string[], flags: Flags): Promise<void> {
  const name = args[0] ?? '';
  const data: Record<string, string> = {};
  for (const literal of (flags.fromLiteral as string[] | undefined) ?? []) {
    const eq = literal.indexOf('=');
    if (eq <= 0) throw new CliError(`invalid literal source ${literal}, expected key=value`);
    data[literal.slice(0, eq)] = literal.slice(eq + 1);
  }
  await createSimple(
    factory,
    wellKnown('configmaps'),
    { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name }, data },
    flags,
  );
}

/** `navctl replace -f ...`. */
export async function runReplace(factory: Factory, _args: string[], flags: Flags): Promise<void> {
  const dryRun = dryRunOf(flags);
  const manifests = readManifests(filenames(flags), Boolean(flags.recursive));
  const client = factory.client();
  let failed = false;
  for (const manifest of manifests) {
    try {
      const info = await resolveManifest(client.discovery, manifest);
      const namespace = targetNamespace(factory, info, manifest.object);
      const object = withNamespace(manifest.object, namespace);
      const name = object.metadata?.name ?? '';
      if (!object.metadata?.resourceVersion) {
        // Replace means "whatever is there now": take the live version so servers that insist on
        // a precondition accept the update.
        const live = await client.get(info, namespace, name);
        if (live.metadata?.resourceVersion)
          object.metadata = { ...object.metadata, resourceVersion: live.metadata.resourceVersion };
      }
      const replaced =
        dryRun === 'client'
          ? object
          : await client.update(info, namespace, object, { dryRun: dryRun === 'server' });
      printOperation(info, replaced, 'replaced', dryRun, flags.output);
    } catch (err) {
      // An unreachable server fails every object alike: say it once, like kubectl.
      if (err instanceof ConnectionError) throw err;
      if (isStatus(err, 404) || !(err instanceof CliError)) {
        io.err(`${operationError(err, 'replacing', manifest.source)}\n`);
      } else io.err(`error: ${err.message}\n`);
      failed = true;
    }
  }
  if (failed) throw new ExitSignal(1);
}
