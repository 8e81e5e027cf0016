/**
 * Informational commands: `api-resources`, `api-versions`, `version`, `cluster-info`.
 */

import { groupVersion, type ResourceInfo } from '@navarch/client';
import type { Factory } from '../context.js';
import { CliError, ExitSignal, formatError } from '../errors.js';
import { io } from '../io.js';
import { toYaml } from '../printers/output.js';
import { formatTable } from '../printers/tabwriter.js';
import { NAVCTL_VERSION } from '../version.js';

type Flags = Record<string, unknown>;

/** `navctl api-resources [-o wide|name] [--namespaced=true|false] [--api-group=G] [--sort-by=name|kind]`. */
export async function runApiResources(factory: Factory, _args: string[], flags: Flags): Promise<void> {
  let resources: ResourceInfo[] = await factory.client().discovery.resources();
  if (flags.namespaced !== undefined) {
    const want = String(flags.namespaced);
    if (want !== 'true' && want !== 'false')
      throw new CliError(`invalid argument "${want}" for "--namespaced" flag`);
    resources = resources.filter((r) => r.namespaced === (want === 'true'));
  }
  if (flags.apiGroup !== undefined) resources = resources.filter((r) => r.group === flags.apiGroup);
  if (flags.sortBy === 'name')
    resources = [...resources].sort((a, b) => a.resource.localeCompare(b.resource));
  else if (flags.sortBy === 'kind') resources = [...resources].sort((a, b) => a.kind.localeCompare(b.kind));
  else if (flags.sortBy !== undefined) throw new CliError(`--sort-by accepts only name or kind`);
  if (flags.output === 'name') {
    io.out(resources.map((r) => `${r.group ? `${r.resource}.${r.group}` : r.resource}\n`).join(''));
    return;
  }
  const wide = flags.output === 'wide';
  if (flags.output !== undefined && !wide)
    throw new CliError(`--output ${String(flags.output)} is not available`);
  const rows: string[][] = [];
  if (flags.headers !== false) {
    rows.push([
      'NAME',
      'SHORTNAMES',
      'APIVERSION',
      'NAMESPACED',
      'KIND',
      ...(wide ? ['VERBS', 'CATEGORIES'] : []),
    ]);
  }
  for (const r of resources) {
    const row = [r.resource, r.shortNames.join(','), groupVersion(r), String(r.namespaced), r.kind];
    if (wide) row.push(`[${r.verbs.join(' ')}]`, r.categories.join(','));
    rows.push(row);
  }
  io.out(formatTable(rows));
}

/** `navctl api-versions`. */
export async function runApiVersions(factory: Factory): Promise<void> {
  const rest = factory.client().rest;
  const [core, groups] = await Promise.all([
    rest.request<{ versions?: string[] }>({ method: 'GET', path: '/api' }),
    rest
      .request<{
        groups?: Array<{ name: string; versions?: Array<{ groupVersion?: string; version: string }> }>;
      }>({
        method: 'GET',
        path: '/apis',
      })
      .catch(() => ({ groups: [] })),
  ]);
  const all = [
    ...(core?.versions ?? []),
    ...(groups?.groups ?? []).flatMap((g) =>
      (g.versions ?? []).map((v) => v.groupVersion ?? `${g.name}/${v.version}`),
    ),
  ].sort();
  io.out(all.map((v) => `${v}\n`).join(''));
}

/** `navctl version [--client] [-o json|yaml]`. */
export async function runVersion(factory: Factory, _args: string[], flags: Flags): Promise<void> {
  const clientVersion = {
    major: '0',
    minor: '1',
    gitVersion: NAVCTL_VERSION,
    platform: `${process.platform}/${process.arch}`,
    nodeVersion: process.version,
  };
  let serverVersion: Record<string, unknown> | undefined;
  let serverError: unknown;
  if (!flags.client) {
    try {
      serverVersion = await factory.client().discovery.serverVersion();
    } catch (err) {
      serverError = err;
    }
  }
  if (flags.output === 'json' || flags.output === 'yaml') {
    const doc = { clientVersion, ...(serverVersion ? { serverVersion } : {}) };
    io.out(flags.output === 'json' ? `${JSON.stringify(doc, null, 2)}\n` : toYaml(doc));
  } else {
    io.out(`Client Version: ${NAVCTL_VERSION}\n`);
    if (serverVersion) io.out(`Server Version: ${String(serverVersion.gitVersion ?? 'unknown')}\n`);
  }
  if (serverError) {
    io.err(`${formatError(serverError)}\n`);
    throw new ExitSignal(1);
  }
}

/** `navctl cluster-info`: where the control plane answers (checked with a request). */
export async function runClusterInfo(factory: Factory): Promise<void> {
  const client = factory.client();
  await client.discovery.serverVersion();
  const color = io.isTty();
  const paint = (code: string, text: string) => (color ? `\x1b[0;${code}m${text}\x1b[0m` : text);
  io.out(
    `${paint('32', 'Kubernetes control plane')} is running at ${paint('33', client.config.server)}\n\nTo further debug and diagnose cluster problems, use 'navctl cluster-info dump'.\n`,
  );
}
