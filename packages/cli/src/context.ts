/**
 * The per-run factory: global flags → kubeconfig → RestConfig → KubeClient, each built on first
 * use so commands that need no server (config, completion, version --client) never open a socket.
 */
import {
  KubeClient,
  type KubeconfigOverrides,
  type LoadedKubeconfig,
  loadKubeconfig,
  type RestConfig,
  resolveRestConfig,
} from '@navarch/client';
import { CliError } from './errors.js';
import { NAVCTL_VERSION } from './version.js';

/** Flags every command accepts, as kubectl's. */
export interface GlobalFlags {
  kubeconfig?: string;
  context?: string;
  cluster?: string;
  user?: string;
  namespace?: string;
  server?: string;
  token?: string;
  insecureSkipTlsVerify?: boolean;
  certificateAuthority?: string;
  requestTimeout?: string;
}

/** `30s`, `1m`, `500ms`, `2h` or a bare number of seconds → milliseconds; `0` means no limit. */
export function parseDurationMs(text: string): number {
  const m = /^(\d+(?:\.\d+)?)(ms|s|m|h)?$/.exec(text.trim());
  if (!m) throw new CliError(`invalid duration "${text}": use a number with a unit (ms, s, m, h)`);
  const n = Number(m[1]);
  const unit = m[2] ?? 's';
  return n * (unit === 'ms' ? 1 : unit === 's' ? 1000 : unit === 'm' ? 60_000 : 3_600_000);
}

/** Lazily built connection state of one navctl run. */
export class Factory {
  readonly flags: GlobalFlags;
  private loadedKubeconfig: LoadedKubeconfig | undefined;
  private rest: RestConfig | undefined;
  private kubeClient: KubeClient | undefined;

  constructor(flags: GlobalFlags) {
    this.flags = flags;
  }

  /** The kubeconfig files and their merge. */
  kubeconfig(): LoadedKubeconfig {
    this.loadedKubeconfig ??= loadKubeconfig(
      this.flags.kubeconfig ? { explicitPath: this.flags.kubeconfig } : {},
    );
    return this.loadedKubeconfig;
  }

  /** The connection settings in effect. */
  restConfig(): RestConfig {
    if (!this.rest) {
      const overrides: KubeconfigOverrides = {};
      const f = this.flags;
      if (f.context) overrides.context = f.context;
      if (f.cluster) overrides.cluster = f.cluster;
      if (f.user) overrides.user = f.user;
      if (f.namespace) overrides.namespace = f.namespace;
      if (f.server) overrides.server = f.server;
      if (f.token) overrides.token = f.token;
      if (f.insecureSkipTlsVerify) overrides.insecureSkipTlsVerify = true;
      if (f.certificateAuthority) overrides.certificateAuthority = f.certificateAuthority;
      this.rest = resolveRestConfig(this.kubeconfig().merged, overrides);
    }
    return this.rest;
  }

  /** The namespace commands act in (`-n`, else the context's, else `default`). */
  namespace(): string {
    return this.restConfig().namespace;
  }

  /** Whether the user gave `-n` explicitly. */
  namespaceExplicit(): boolean {
    return this.restConfig().namespaceExplicit;
  }

  /** The API client (one connection pool per run). */
  client(): KubeClient {
    if (!this.kubeClient) {
      const timeout = this.flags.requestTimeout ? parseDurationMs(this.flags.requestTimeout) : 0;
      this.kubeClient = new KubeClient(this.restConfig(), {
        userAgent: `navctl/${NAVCTL_VERSION} (${process.platform}/${process.arch})`,
        ...(timeout > 0 ? { requestTimeoutMs: timeout, connectTimeoutMs: Math.min(timeout, 30_000) } : {}),
      });
    }
    return this.kubeClient;
  }

  /** Closes connections so the process can exit on its own. */
  async close(): Promise<void> {
    await this.kubeClient?.close();
  }
}
