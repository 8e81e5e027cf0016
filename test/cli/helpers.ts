/**
 * Helpers for navctl end-to-end tests: a fresh bundle of navctl built from source (the same
 * esbuild settings as `npm run bundle -w @navarch/cli`) and a runner that spawns it.
 */
import { spawn } from 'node:child_process';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { bundleNavctl as bundle } from '../../packages/cli/scripts/bundle.mjs';
import { removeTrackedDir, trackedTempDir, trackProcess } from '../helpers/registry.js';

/** Repository root. */
export const repoRoot = resolve(fileURLToPath(new URL('.', import.meta.url)), '../..');

/** The tutorial manifests every Navarch build must accept. */
export const manifestsDir = resolve(repoRoot, '../shared/manifests');

/**
 * Bundles navctl as `npm run bundle -w @navarch/cli` does (packages/cli/scripts/bundle.mjs), with
 * the workspace packages from source, into a temp directory; returns the executable's path. The
 * directory is tracked: the caller removes it with `removeTrackedDir(dirname(path))` when done, and
 * the registry removes it at process exit otherwise.
 */
export async function bundleNavctl(): Promise<string> {
  const outdir = trackedTempDir('navctl-bundle-');
  return bundle({
    outdir,
    alias: {
      '@navarch/client': join(repoRoot, 'packages/client/src/index.ts'),
      '@navarch/api': join(repoRoot, 'packages/api/src/index.ts'),
    },
  });
}

/** Result of one navctl run. */
export interface RunResult {
  stdout: string;
  stderr: string;
  code: number | null;
}

/** Options of one run: environment additions, stdin text, working directory. */
export interface RunOptions {
  env?: Record<string, string>;
  input?: string;
  cwd?: string;
  timeoutMs?: number;
}

/**
 * Runs `node BUNDLE ...args` with HOME pointed at an empty directory (so no real
 * ~/.kube/config leaks in) and KUBECONFIG unset unless given. That HOME is removed once the
 * process has ended.
 */
export function runNavctl(bundle: string, args: string[], options: RunOptions = {}): Promise<RunResult> {
  const home = trackedTempDir('navctl-home-');
  const env: Record<string, string> = {
    PATH: process.env.PATH ?? '/usr/bin:/bin',
    HOME: home,
    ...(options.env ?? {}),
  };
  return new Promise((resolvePromise, reject) => {
    const child = spawn(process.execPath, [bundle, ...args], {
      env,
      cwd: options.cwd ?? repoRoot,
      stdio: 'pipe',
    });
    trackProcess(child, 'navctl');
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => {
      stdout += d.toString();
    });
    child.stderr.on('data', (d: Buffer) => {
      stderr += d.toString();
    });
    const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 30_000);
    child.on('error', (error) => {
      clearTimeout(timer);
      removeTrackedDir(home);
      reject(error);
    });
    child.on('close', (code) => {
      clearTimeout(timer);
      removeTrackedDir(home);
      resolvePromise({ stdout, stderr, code });
    });
    child.stdin.end(options.input ?? '');
  });
}

/**
 * Replaces AGE cells (`5s`, `3m2s`) with `<age>`, keeping the column width (token plus padding)
 * so that the columns after it stay aligned; golden tables then do not depend on timing.
 */
export function normaliseAge(text: string): string {
  return text.replace(/(?<= {3})(\d+[smhdy])+( *)(?=\S|$)/gm, (m, _t, spaces: string) =>
    spaces === '' ? '<age>' : '<age>'.padEnd(Math.max(m.length, 6)),
  );
}

/**
 * Runs navctl in this process (same code as the binary, from source) and captures its output:
 * much cheaper than a process per command on a loaded machine. Pass `--kubeconfig` explicitly.
 */
export async function navctl(args: string[]): Promise<RunResult> {
  const { runCli } = await import('@navarch/cli');
  let stdout = '';
  let stderr = '';
  const code = await runCli(args, {
    out: (text) => {
      stdout += text;
    },
    err: (text) => {
      stderr += text;
    },
    isTty: () => false,
  });
  return { stdout, stderr, code };
}
