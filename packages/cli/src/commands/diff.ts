/**
 * `navctl diff -f`: the live objects against what `apply` would make of them, rendered by a server
 * dry run (or locally when the server refuses dry runs), compared with `diff -u -N` over two
 * directories exactly as kubectl does. Exit 0: no differences; 1: differences; >1: error.
 */

import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type KubeObject, StatusError } from '@navarch/client';
import type { Factory } from '../context.js';
import { CliError, ExitSignal, formatError } from '../errors.js';
import { io } from '../io.js';
import { readManifests } from '../manifests.js';
import { applyMergePatch } from '../merge.js';
import { resolveManifest } from '../operations.js';
import { toYaml, withTypeMeta } from '../printers/output.js';
import { planApply } from './apply.js';

/** Fields that only say who wrote what; kubectl hides them in diffs. */
function clean(object: KubeObject): KubeObject {
  const copy = structuredClone(object);
  if (copy.metadata) delete copy.metadata.managedFields;
  return copy;
}

/** Falls back to a local render only when the server cannot dry-run (not on validation errors). */
function dryRunUnsupported(err: unknown): boolean {
  return (
    err instanceof StatusError &&
    (err.httpStatus === 400 || err.httpStatus === 405 || err.httpStatus === 415) &&
    !/invalid/i.test(err.reason)
  );
}

/** `navctl diff -f ...`. */
export async function runDiff(
  factory: Factory,
  _args: string[],
  flags: Record<string, unknown>,
): Promise<void> {
  const liveDir = mkdtempSync(join(tmpdir(), 'LIVE-'));
  const mergedDir = mkdtempSync(join(tmpdir(), 'MERGED-'));
  try {
    const manifests = readManifests((flags.filename as string[] | undefined) ?? [], Boolean(flags.recursive));
    const client = factory.client();
    for (const manifest of manifests) {
      const info = await resolveManifest(client.discovery, manifest);
      const plan = await planApply(factory, info, manifest.object);
      let merged: KubeObject;
      try {
        if (plan.current) {
          merged =
            Object.keys(plan.patch ?? {}).length === 0
              ? plan.current
              : await client.patch(info, plan.namespace, plan.name, 'merge', plan.patch, { dryRun: true });
        } else {
          merged = await client.create(info, plan.namespace, plan.modified, { dryRun: true });
        }
      } catch (err) {
        if (!dryRunUnsupported(err)) throw err;
        merged = plan.current
          ? (applyMergePatch(plan.current, plan.patch ?? {}) as KubeObject)
          : plan.modified;
      }
      const fileName = [info.group, info.version, info.kind, plan.namespace, plan.name]
        .filter((p) => p)
        .join('.');
      if (plan.current)
        writeFileSync(join(liveDir, fileName), toYaml(clean(withTypeMeta(plan.current, info))));
      writeFileSync(join(mergedDir, fileName), toYaml(clean(withTypeMeta(merged, info))));
    }
    const external = process.env.NAVCTL_EXTERNAL_DIFF ?? process.env.KUBECTL_EXTERNAL_DIFF;
    const [program, ...programArgs] = external
      ? external.split(/\s+/).filter((p) => p)
      : ['diff', '-u', '-N'];
    const result = spawnSync(program as string, [...programArgs, liveDir, mergedDir], {
      stdio: ['ignore', 'pipe', 'pipe'],
      encoding: 'utf8',
      maxBuffer: 256 * 1024 * 1024,
    });
    if (result.stdout) io.out(result.stdout);
    if (result.stderr) io.err(result.stderr);
    if (result.error)
      throw new CliError(`failed to run "${program}": ${result.error.message}`, { exitCode: 2 });
    const status = result.status ?? 2;
    if (status === 1) throw new ExitSignal(1);
    if (status !== 0) throw new CliError(`exit status ${status}`, { exitCode: status > 1 ? status : 2 });
  } catch (err) {
    if (err instanceof ExitSignal) throw err;
    // diff reserves 1 for "there are differences"; every failure exits above 1.
    io.err(`${formatError(err)}\n`);
    throw new ExitSignal(err instanceof CliError && err.exitCode > 1 ? err.exitCode : 2);
  } finally {
    rmSync(liveDir, { recursive: true, force: true });
    rmSync(mergedDir, { recursive: true, force: true });
  }
}
