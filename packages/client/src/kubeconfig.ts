/**
 * Kubeconfig loading with kubectl's rules, so one file serves navctl and kubectl:
 * `--kubeconfig` alone if given; else every file of `KUBECONFIG` (colon-separated) merged with the
 * first definition of a name winning; else `~/.kube/config`. Paths inside a file are relative to it.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { delimiter, dirname, isAbsolute, resolve } from 'node:path';
import { parse, stringify } from 'yaml';
import { KubeconfigError } from './errors.js';
import { parseSimpleYaml } from './simple-yaml.js';

/** Cluster entry of a kubeconfig (`clusters[].cluster`). */
export interface KubeCluster {
  server?: string;
  'certificate-authority'?: string;
  'certificate-authority-data'?: string;
  'insecure-skip-tls-verify'?: boolean;
  'tls-server-name'?: string;
  [extra: string]: unknown;
}

/** User entry of a kubeconfig (`users[].user`). */
export interface KubeUser {
  token?: string;
  tokenFile?: string;
  'client-certificate'?: string;
  'client-certificate-data'?: string;
  'client-key'?: string;
  'client-key-data'?: string;
  username?: string;
  password?: string;
  [extra: string]: unknown;
}

/** Context entry of a kubeconfig (`contexts[].context`). */
export interface KubeContext {
  cluster?: string;
  user?: string;
  namespace?: string;
  [extra: string]: unknown;
}

/** A kubeconfig document (the `Config` kind of clientcmd/api/v1). */
export interface Kubeconfig {
  apiVersion?: string;
  kind?: string;
  preferences?: Record<string, unknown>;
  'current-context'?: string;
  clusters?: Array<{ name: string; cluster: KubeCluster }>;
  contexts?: Array<{ name: string; context: KubeContext }>;
  users?: Array<{ name: string; user: KubeUser }>;
  [extra: string]: unknown;
}

/** One file that took part in a load: its path and parsed content (empty when the file does not exist). */
export interface KubeconfigFile {
  path: string;
  exists: boolean;
  config: Kubeconfig;
}

/** Result of loading: the merged view plus the files it came from (for writing changes back). */
export interface LoadedKubeconfig {
  merged: Kubeconfig;
  files: KubeconfigFile[];
  /** True when the user named one file explicitly (`--kubeconfig`). */
  explicit: boolean;
}

/** Where to look for kubeconfig files; defaults come from the process environment. */
export interface KubeconfigLoadOptions {
  /** `--kubeconfig`: when set, exactly this file is used and it must exist. */
  explicitPath?: string;
  /** Value of `KUBECONFIG`; defaults to `process.env.KUBECONFIG`. */
  kubeconfigEnv?: string;
  /** Home directory; defaults to `os.homedir()`. */
  home?: string;
}

/** Per-invocation overrides, the flags kubectl accepts on every command. */
export interface KubeconfigOverrides {
  context?: string;
  cluster?: string;
  user?: string;
  namespace?: string;
  server?: string;
  token?: string;
  insecureSkipTlsVerify?: boolean;
  certificateAuthority?: string;
}

/** Everything needed to talk to one API server, resolved from a kubeconfig and overrides. */
export interface RestConfig {
  /** Base URL, e.g. `https://127.0.0.1:6443` (no trailing slash). */
  server: string;
  caData?: string;
  certData?: string;
  keyData?: string;
  token?: string;
  username?: string;
  password?: string;
  insecureSkipTlsVerify: boolean;
  tlsServerName?: string;
  /** Namespace to use when the user gives none (`default` unless the context says otherwise). */
  namespace: string;
  /** Whether the namespace came from the `-n` flag (as opposed to the context or the default). */
  namespaceExplicit: boolean;
  /** Name of the context in effect ('' when none). */
  contextName: string;
}

/** kubectl's fallback when no cluster is configured at all. */
export const DEFAULT_SERVER = 'http://localhost:8080';

function readConfigFile(path: string): Kubeconfig {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new KubeconfigError(`error loading config file "${path}": ${(err as Error).message}`, {
      cause: err,
    });
  }
  let doc: unknown = parseSimpleYaml(text);
  try {
    if (doc === undefined) doc = parse(text);
  } catch (err) {
    throw new KubeconfigError(`error loading config file "${path}": ${(err as Error).message}`, {
      cause: err,
    });
  }
  if (doc === null || doc === undefined) return {};
  if (typeof doc !== 'object' || Array.isArray(doc)) {
    throw new KubeconfigError(`error loading config file "${path}": not a kubeconfig object`);
  }
  return doc as Kubeconfig;
}

/** Makes file references absolute relative to the file's directory, as clientcmd does. */
function absolutise(config: Kubeconfig, dir: string): Kubeconfig {
  const fix = (p: unknown): unknown =>
    typeof p === 'string' && p !== '' && !isAbsolute(p) ? resolve(dir, p) : p;
  for (const c of config.clusters ?? []) {
    if (c?.cluster?.['certificate-authority'] !== undefined) {
      c.cluster['certificate-authority'] = fix(c.cluster['certificate-authority']) as string;
    }
  }
  for (const u of config.users ?? []) {
    if (!u?.user) continue;
    for (const key of ['client-certificate', 'client-key', 'tokenFile'] as const) {
      if (u.user[key] !== undefined) u.user[key] = fix(u.user[key]) as string;
    }
  }
  return config;
}

/** The ordered list of candidate files under the given options (existing or not). */
export function kubeconfigPaths(options: KubeconfigLoadOptions = {}): { paths: string[]; explicit: boolean } {
  if (options.explicitPath) return { paths: [resolve(options.explicitPath)], explicit: true };
  const env = options.kubeconfigEnv ?? process.env.KUBECONFIG ?? '';
  const fromEnv = env
    .split(delimiter)
    .filter((p) => p !== '')
    .map((p) => resolve(p));
  if (fromEnv.length > 0) return { paths: [...new Set(fromEnv)], explicit: false };
  return { paths: [resolve(options.home ?? homedir(), '.kube', 'config')], explicit: false };
}

/** Loads and merges kubeconfig files; the first file to define a name or `current-context` wins. */
export function loadKubeconfig(options: KubeconfigLoadOptions = {}): LoadedKubeconfig {
  const { paths, explicit } = kubeconfigPaths(options);
  const files: KubeconfigFile[] = [];
  for (const path of paths) {
    if (!existsSync(path)) {
      if (explicit) throw new KubeconfigError(`stat ${path}: no such file or directory`);
      files.push({ path, exists: false, config: {} });
      continue;
    }
    files.push({ path, exists: true, config: readConfigFile(path) });
  }
  // Files keep their raw (relative) paths so that writing one back changes only what was asked.
  const absolute = files.map((f) => absolutise(structuredClone(f.config), dirname(f.path)));
  return { merged: mergeKubeconfigs(absolute), files, explicit };
}

/** Merges documents with clientcmd's rule: the first occurrence of each named entry wins. */
export function mergeKubeconfigs(configs: Kubeconfig[]): Kubeconfig {
  const merged: Kubeconfig = { apiVersion: 'v1', kind: 'Config', clusters: [], contexts: [], users: [] };
  const seen = { clusters: new Set<string>(), contexts: new Set<string>(), users: new Set<string>() };
  for (const config of configs) {
    if (!merged['current-context'] && config['current-context']) {
      merged['current-context'] = config['current-context'];
    }
    if (!merged.preferences && config.preferences) merged.preferences = config.preferences;
    for (const kind of ['clusters', 'contexts', 'users'] as const) {
      for (const entry of config[kind] ?? []) {
        if (!entry || typeof entry.name !== 'string' || seen[kind].has(entry.name)) continue;
        seen[kind].add(entry.name);
        (merged[kind] as Array<typeof entry>).push(entry);
      }
    }
  }
  return merged;
}

function readMaybeFile(data: string | undefined, path: string | undefined, what: string): string | undefined {
  if (data) return Buffer.from(data, 'base64').toString('utf8');
  if (path) {
    try {
      return readFileSync(path, 'utf8');
    } catch (err) {
      throw new KubeconfigError(`unable to read ${what} from "${path}": ${(err as Error).message}`, {
        cause: err,
      });
    }
  }
  return undefined;
}

/**
 * Resolves the context in effect plus overrides into a RestConfig. A named context that does not
 * exist is an error (as in kubectl); no context at all falls back to `http://localhost:8080`.
 */
export function resolveRestConfig(config: Kubeconfig, overrides: KubeconfigOverrides = {}): RestConfig {
  const contextName = overrides.context ?? config['current-context'] ?? '';
  let context: KubeContext = {};
  if (contextName) {
    const found = config.contexts?.find((c) => c.name === contextName);
    if (!found) {
      if (overrides.context !== undefined)
        throw new KubeconfigError(`context was not found for specified context: ${contextName}`);
    } else {
      context = found.context ?? {};
    }
  }
  const clusterName = overrides.cluster ?? context.cluster ?? '';
  const userName = overrides.user ?? context.user ?? '';
  const cluster = config.clusters?.find((c) => c.name === clusterName)?.cluster ?? {};
  if (
    clusterName &&
    overrides.cluster !== undefined &&
    !config.clusters?.some((c) => c.name === clusterName)
  ) {
    throw new KubeconfigError(`cluster "${clusterName}" does not exist`);
  }
  const user = config.users?.find((u) => u.name === userName)?.user ?? {};
  const server = (overrides.server ?? cluster.server ?? DEFAULT_SERVER).replace(/\/+$/, '');
  const rest: RestConfig = {
    server: /^[a-z]+:\/\//i.test(server) ? server : `https://${server}`,
    insecureSkipTlsVerify: overrides.insecureSkipTlsVerify ?? cluster['insecure-skip-tls-verify'] === true,
    namespace: overrides.namespace || context.namespace || 'default',
    namespaceExplicit: Boolean(overrides.namespace),
    contextName,
  };
  const ca = overrides.certificateAuthority
    ? readMaybeFile(undefined, overrides.certificateAuthority, 'certificate authority')
    : readMaybeFile(
        cluster['certificate-authority-data'],
        cluster['certificate-authority'],
        'certificate authority',
      );
  if (ca !== undefined && !rest.insecureSkipTlsVerify) rest.caData = ca;
  if (cluster['tls-server-name']) rest.tlsServerName = cluster['tls-server-name'];
  const cert = readMaybeFile(
    user['client-certificate-data'],
    user['client-certificate'],
    'client certificate',
  );
  const key = readMaybeFile(user['client-key-data'], user['client-key'], 'client key');
  if (cert !== undefined) rest.certData = cert;
  if (key !== undefined) rest.keyData = key;
  const token = overrides.token ?? user.token ?? readMaybeFile(undefined, user.tokenFile, 'token')?.trim();
  if (token) rest.token = token;
  if (user.username !== undefined) rest.username = user.username;
  if (user.password !== undefined) rest.password = user.password;
  return rest;
}

/** Serialises a kubeconfig the way kubectl writes one (keys sorted, sequences not indented). */
export function stringifyKubeconfig(config: Kubeconfig): string {
  return stringify(config, { sortMapEntries: true, indentSeq: false, lineWidth: 0, version: '1.1' });
}

/**
 * Picks the file a change to `current-context` (or a new entry) is written to, like clientcmd:
 * the explicit file; else the first existing file of the list; else the last one.
 */
export function defaultWriteTarget(loaded: LoadedKubeconfig): KubeconfigFile {
  const existing = loaded.files.find((f) => f.exists);
  const target = existing ?? loaded.files[loaded.files.length - 1];
  if (!target) throw new KubeconfigError('no kubeconfig file to write to');
  return target;
}

/** The first file that defines the named entry (where kubectl writes changes to it), if any. */
export function fileDefining(
  loaded: LoadedKubeconfig,
  kind: 'clusters' | 'contexts' | 'users',
  name: string,
): KubeconfigFile | undefined {
  return loaded.files.find((f) => f.config[kind]?.some((e) => e?.name === name));
}

/** Writes one file back to disk (creating its directory), keeping the kubeconfig shape. */
export function writeKubeconfigFile(file: KubeconfigFile): void {
  const doc: Kubeconfig = {
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [],
    contexts: [],
    users: [],
    preferences: {},
    ...file.config,
  };
  mkdirSync(dirname(file.path), { recursive: true });
  writeFileSync(file.path, stringifyKubeconfig(doc), { mode: 0o600 });
  file.exists = true;
}
