/**
 * `navctl delete`: by file, by `TYPE NAME...`/`TYPE/NAME`, by `-l`, or `--all`, with kubectl's
 * messages (`deployment.apps "x" deleted`). The command returns once the server accepted each
 * delete; objects with a grace period (pods) may still be terminating.
 */

import {
  ConnectionError,
  type DeleteOptions,
  isStatus,
  type KubeObject,
  kindPrefix,
  qualifiedResource,
  type ResourceInfo,
} from '@navarch/client';
import { resolveResourceArgs, resolveTypes } from '../builder.js';
import type { Factory } from '../context.js';
import { CliError, ExitSignal, formatError } from '../errors.js';
import { io } from '../io.js';
import { readManifests } from '../manifests.js';
import {
  type DryRun,
  dryRunOf,
  dryRunSuffix,
  operationError,
  resolveManifest,
  targetNamespace,
} from '../operations.js';
import { noResourcesMessage } from './get.js';

type Flags = Record<string, unknown>;

function deleteOptions(flags: Flags, dryRun: DryRun): DeleteOptions {
  const options: DeleteOptions = {};
  let grace = flags.gracePeriod as number | undefined;
  if (flags.now) grace = 1;
  if (flags.force && grace === undefined) grace = 0;
  if (grace !== undefined && grace >= 0) options.gracePeriodSeconds = grace === 0 && !flags.force ? 1 : grace;
  if (dryRun === 'server') options.dryRun = true;
  return options;
}

function printDeleted(info: ResourceInfo, name: string, dryRun: DryRun, output: unknown): void {
  if (output === 'name') io.out(`${kindPrefix(info)}/${name}\n`);
  else {
    const kind = info.group ? `${info.kind.toLowerCase()}.${info.group}` : info.kind.toLowerCase();
    io.out(`${kind} "${name}" deleted${dryRunSuffix(dryRun)}\n`);
  }
}

/** `navctl delete ...`. */
export async function runDelete(factory: Factory, args: string[], flags: Flags): Promise<void> {
  const dryRun = dryRunOf(flags);
  const options = deleteOptions(flags, dryRun);
  const files = (flags.filename as string[] | undefined) ?? [];
  if (flags.force && options.gracePeriodSeconds === 0) {
    io.err(
      'Warning: Immediate deletion does not wait for confirmation that the running resource has been terminated. The resource may continue to run on the cluster indefinitely.\n',
    );
  }
  const client = factory.client();
  let failed = false;
  const remove = async (info: ResourceInfo, namespace: string | undefined, name: string, source?: string) => {
    try {
      if (dryRun !== 'client') await client.delete(info, namespace, name, options);
      printDeleted(info, name, dryRun, flags.output);
    } catch (err) {
      // An unreachable server fails every object alike: say it once, like kubectl.
      if (err instanceof ConnectionError) throw err;
      if (isStatus(err, 404) && flags.ignoreNotFound) return;
      failed = true;
      if (source) io.err(`${operationError(err, 'deleting', source)}\n`);
      else if (isStatus(err, 404) && !err.status.details?.name) {
        io.err(`Error from server (NotFound): ${qualifiedResource(info)} "${name}" not found\n`);
      } else io.err(`${formatError(err)}\n`);
    }
  };

  if (files.length > 0) {
    if (args.length > 0) throw new CliError('cannot specify both resources and filenames');
    for (const manifest of readManifests(files, Boolean(flags.recursive))) {
      const info = await resolveManifest(client.discovery, manifest);
      const namespace = targetNamespace(factory, info, manifest.object);
      await remove(info, namespace, manifest.object.metadata?.name ?? '', manifest.source);
    }
  } else {
    if (args.length === 0) {
      throw new CliError(
        "You must provide one or more resources by argument or filename.\nExample resource specifications include:\n   '-f rsrc.yaml'\n   '--filename=rsrc.json'\n   '<resource> <name>'\n   '<resource>'",
      );
    }
    const bySelector = Boolean(flags.selector || flags.all);
    if (bySelector) {
      if (args.length !== 1 || args[0]?.includes('/')) {
        throw new CliError('name cannot be provided when a selector is specified');
      }
      const { infos } = await resolveTypes(factory, args[0] as string);
      const namespace = flags.allNamespaces ? undefined : factory.namespace();
      let found = 0;
      for (const info of infos) {
        const list = await client.list<KubeObject>(info, info.namespaced ? namespace : undefined, {
          ...(flags.selector ? { labelSelector: String(flags.selector) } : {}),
        });
        for (const item of list.items ?? []) {
          found++;
          await remove(info, item.metadata?.namespace ?? namespace, item.metadata?.name ?? '');
        }
      }
      if (found === 0) io.err(noResourcesMessage(namespace));
    } else {
      const { requests } = await resolveResourceArgs(factory, args);
      for (const req of requests) {
        if (req.names.length === 0)
          throw new CliError('resource(s) were provided, but no name was specified');
        const namespace = req.info.namespaced ? factory.namespace() : undefined;
        for (const name of req.names) await remove(req.info, namespace, name);
      }
    }
  }
  if (failed) throw new ExitSignal(1);
}
