/**
 * `navctl config ...`: read and modify kubeconfig files with kubectl's rules and messages, so the
 * same file keeps working for kubectl.
 */

import { readFileSync } from 'node:fs';
import {
  defaultWriteTarget,
  fileDefining,
  type Kubeconfig,
  type KubeconfigFile,
  type LoadedKubeconfig,
  writeKubeconfigFile,
} from '@navarch/client';
import type { Factory } from '../context.js';
import { CliError } from '../errors.js';
import { io } from '../io.js';
import { JsonPathTemplate, normaliseTemplate } from '../printers/jsonpath.js';
import { toJson, toYaml } from '../printers/output.js';
import { formatTable } from '../printers/tabwriter.js';

type Flags = Record<string, unknown>;

function loaded(factory: Factory): LoadedKubeconfig {
  return factory.kubeconfig();
}

/** `navctl config get-contexts [NAME]`. */
export async function runGetContexts(factory: Factory, args: string[], flags: Flags): Promise<void> {
  const { merged } = loaded(factory);
  const current = merged['current-context'] ?? '';
  let contexts = [...(merged.contexts ?? [])].sort((a, b) =>
    a.name < b.name ? -1 : a.name > b.name ? 1 : 0,
  );
  if (args[0] !== undefined) {
    contexts = contexts.filter((c) => c.name === args[0]);
    if (contexts.length === 0) throw new CliError(`context ${args[0]} not found`);
  }
  if (flags.output === 'name') {
    io.out(contexts.map((c) => `${c.name}\n`).join(''));
    return;
  }
  const rows: string[][] =
    flags.headers === false ? [] : [['CURRENT', 'NAME', 'CLUSTER', 'AUTHINFO', 'NAMESPACE']];
  for (const c of contexts) {
    rows.push([
      c.name === current ? '*' : '',
      c.name,
      c.context?.cluster ?? '',
      c.context?.user ?? '',
      c.context?.namespace ?? '',
    ]);
  }
  io.out(formatTable(rows));
}

/** `navctl config current-context`. */
export async function runCurrentContext(factory: Factory): Promise<void> {
  const current = loaded(factory).merged['current-context'];
  if (!current) throw new CliError('current-context is not set');
  io.out(`${current}\n`);
}

/** `navctl config use-context NAME`. */
export async function runUseContext(factory: Factory, args: string[]): Promise<void> {
  const name = args[0] ?? '';
  const l = loaded(factory);
  if (!l.merged.contexts?.some((c) => c.name === name))
    throw new CliError(`no context exists with the name: "${name}"`);
  const target = fileWithCurrentContext(l);
  target.config['current-context'] = name;
  writeKubeconfigFile(target);
  io.out(`Switched to context "${name}".\n`);
}

/** The file `current-context` is read from (so a change to it takes effect), else the default target. */
function fileWithCurrentContext(l: LoadedKubeconfig): KubeconfigFile {
  return l.files.find((f) => f.config['current-context']) ?? defaultWriteTarget(l);
}

/** `navctl config set-context [NAME | --current] [--namespace=X] [--cluster=X] [--user=X]`. */
export async function runSetContext(factory: Factory, args: string[], flags: Flags): Promise<void> {
  const l = loaded(factory);
  let name = args[0];
  if (flags.current) {
    if (name !== undefined) throw new CliError('you cannot specify both a context name and --current');
    name = l.merged['current-context'];
    if (!name) throw new CliError('no current context is set');
  }
  if (!name) throw new CliError('you must specify a non-empty context name or --current');
  const target = fileDefining(l, 'contexts', name) ?? defaultWriteTarget(l);
  target.config.contexts ??= [];
  let entry = target.config.contexts.find((c) => c.name === name);
  const created = entry === undefined;
  if (!entry) {
    entry = { name, context: {} };
    target.config.contexts.push(entry);
  }
  entry.context ??= {};
  for (const key of ['namespace', 'cluster', 'user'] as const) {
    if (typeof flags[key] === 'string') entry.context[key] = flags[key] as string;
  }
  writeKubeconfigFile(target);
  io.out(`Context "${name}" ${created ? 'created' : 'modified'}.\n`);
}

function redact(config: Kubeconfig): Kubeconfig {
  const copy = structuredClone(config);
  for (const c of copy.clusters ?? []) {
    if (c.cluster?.['certificate-authority-data']) c.cluster['certificate-authority-data'] = 'DATA+OMITTED';
  }
  for (const u of copy.users ?? []) {
    if (!u.user) continue;
    for (const key of ['client-certificate-data', 'client-key-data'] as const) {
      if (u.user[key]) u.user[key] = 'DATA+OMITTED';
    }
    if (u.user.token) u.user.token = 'REDACTED';
    if (u.user.password) u.user.password = 'REDACTED';
  }
  return copy;
}

function flatten(config: Kubeconfig): Kubeconfig {
  const copy = structuredClone(config);
  const embed = (path: string) => readFileSync(path).toString('base64');
  for (const c of copy.clusters ?? []) {
    const ca = c.cluster?.['certificate-authority'];
    if (ca) {
      c.cluster['certificate-authority-data'] = embed(ca);
      delete c.cluster['certificate-authority'];
    }
  }
  for (const u of copy.users ?? []) {
    for (const [file, data] of [
      ['client-certificate', 'client-certificate-data'],
      ['client-key', 'client-key-data'],
    ] as const) {
      const path = u.user?.[file];
      if (path) {
        u.user[data] = embed(path);
        delete u.user[file];
      }
    }
  }
  return copy;
}

/** `navctl config view [--minify] [--raw] [--flatten] [-o yaml|json|jsonpath=...]`. */
export async function runView(factory: Factory, _args: string[], flags: Flags): Promise<void> {
  let config: Kubeconfig = structuredClone(loaded(factory).merged);
  if (flags.minify) {
    const name = (flags.context as string | undefined) ?? config['current-context'];
    if (!name) throw new CliError('current-context must exist in order to minify');
    const ctx = config.contexts?.find((c) => c.name === name);
    if (!ctx) throw new CliError(`cannot locate context ${name}`);
    config = {
      ...config,
      'current-context': name,
      contexts: [ctx],
      clusters: (config.clusters ?? []).filter((c) => c.name === ctx.context?.cluster),
      users: (config.users ?? []).filter((u) => u.name === ctx.context?.user),
    };
  }
  if (flags.flatten) config = flatten(config);
  if (!flags.raw) config = redact(config);
  const doc: Kubeconfig = { apiVersion: 'v1', kind: 'Config', preferences: {}, ...config };
  if (!doc['current-context']) doc['current-context'] = '';
  const output = String(flags.output ?? 'yaml');
  if (output === 'json') io.out(toJson(doc));
  else if (output.startsWith('jsonpath=')) {
    io.out(new JsonPathTemplate(normaliseTemplate(output.slice('jsonpath='.length))).execute(doc));
  } else io.out(toYaml(doc));
}

/** `navctl config get-clusters`. */
export async function runGetClusters(factory: Factory): Promise<void> {
  const names = (loaded(factory).merged.clusters ?? []).map((c) => c.name);
  io.out(['NAME', ...names].map((n) => `${n}\n`).join(''));
}

/** `navctl config get-users`. */
export async function runGetUsers(factory: Factory): Promise<void> {
  const names = (loaded(factory).merged.users ?? []).map((c) => c.name);
  io.out(['NAME', ...names].map((n) => `${n}\n`).join(''));
}

/** `navctl config delete-context NAME`. */
export async function runDeleteContext(factory: Factory, args: string[]): Promise<void> {
  const name = args[0] ?? '';
  const l = loaded(factory);
  const target = fileDefining(l, 'contexts', name);
  if (!target)
    throw new CliError(`cannot delete context ${name}, not in ${l.files.map((f) => f.path).join(':')}`);
  target.config.contexts = (target.config.contexts ?? []).filter((c) => c.name !== name);
  if (target.config['current-context'] === name) {
    io.err(
      `warning: this removed your active context, use "navctl config use-context" to select a different one\n`,
    );
  }
  writeKubeconfigFile(target);
  io.out(`deleted context ${name} from ${target.path}\n`);
}

/** `navctl config rename-context OLD NEW`. */
export async function runRenameContext(factory: Factory, args: string[]): Promise<void> {
  const [from = '', to = ''] = args;
  const l = loaded(factory);
  const target = fileDefining(l, 'contexts', from);
  if (!target)
    throw new CliError(
      `cannot rename the context "${from}", it's not in ${l.files.map((f) => f.path).join(':')}`,
    );
  if (l.merged.contexts?.some((c) => c.name === to))
    throw new CliError(`cannot rename the context "${from}", the context "${to}" already exists`);
  for (const c of target.config.contexts ?? []) if (c.name === from) c.name = to;
  if (target.config['current-context'] === from) target.config['current-context'] = to;
  writeKubeconfigFile(target);
  io.out(`Context "${from}" renamed to "${to}".\n`);
}

/** `navctl config set-cluster NAME --server=URL [--certificate-authority=F [--embed-certs]]`. */
export async function runSetCluster(factory: Factory, args: string[], flags: Flags): Promise<void> {
  const name = args[0] ?? '';
  const l = loaded(factory);
  const target = fileDefining(l, 'clusters', name) ?? defaultWriteTarget(l);
  target.config.clusters ??= [];
  let entry = target.config.clusters.find((c) => c.name === name);
  if (!entry) {
    entry = { name, cluster: {} };
    target.config.clusters.push(entry);
  }
  entry.cluster ??= {};
  if (typeof flags.server === 'string') entry.cluster.server = flags.server;
  if (flags.insecureSkipTlsVerify) entry.cluster['insecure-skip-tls-verify'] = true;
  if (typeof flags.certificateAuthority === 'string') {
    if (flags.embedCerts) {
      entry.cluster['certificate-authority-data'] = readFileSync(flags.certificateAuthority).toString(
        'base64',
      );
      delete entry.cluster['certificate-authority'];
    } else entry.cluster['certificate-authority'] = flags.certificateAuthority;
  }
  writeKubeconfigFile(target);
  io.out(`Cluster "${name}" set.\n`);
}

/** `navctl config set-credentials NAME [--token=T] [--client-certificate=F --client-key=F [--embed-certs]]`. */
export async function runSetCredentials(factory: Factory, args: string[], flags: Flags): Promise<void> {
  const name = args[0] ?? '';
  const l = loaded(factory);
  const target = fileDefining(l, 'users', name) ?? defaultWriteTarget(l);
  target.config.users ??= [];
  let entry = target.config.users.find((u) => u.name === name);
  if (!entry) {
    entry = { name, user: {} };
    target.config.users.push(entry);
  }
  entry.user ??= {};
  if (typeof flags.token === 'string') entry.user.token = flags.token;
  for (const [flag, file, data] of [
    ['clientCertificate', 'client-certificate', 'client-certificate-data'],
    ['clientKey', 'client-key', 'client-key-data'],
  ] as const) {
    const path = flags[flag];
    if (typeof path !== 'string') continue;
    if (flags.embedCerts) {
      entry.user[data] = readFileSync(path).toString('base64');
      delete entry.user[file];
    } else entry.user[file] = path;
  }
  writeKubeconfigFile(target);
  io.out(`User "${name}" set.\n`);
}
