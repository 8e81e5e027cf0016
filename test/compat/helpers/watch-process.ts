/** A long-running `etcdctl watch` whose output a test awaits as it arrives. */
import { type ChildProcess, spawn } from 'node:child_process';
import { trackProcess } from '../../helpers/registry.js';

/** A running etcdctl watch. */
export interface WatchProcess {
  /** Everything printed on stdout so far. */
  output(): string;
  /** Everything printed on stderr so far. */
  errors(): string;
  /** Resolves once stdout contains `text`; rejects if the process exits first or after `timeoutMs`. */
  waitFor(text: string, timeoutMs?: number): Promise<void>;
  /** Resolves with the exit code once the process exits by itself. */
  exited(): Promise<number | null>;
  /** Kills the process (by pid) and waits for it to exit. */
  stop(): Promise<void>;
}

/** Starts `etcdctl watch <args>` against `endpoints`. */
export function startWatch(endpoints: string, args: string[]): WatchProcess {
  const child: ChildProcess = spawn('/usr/bin/etcdctl', [`--endpoints=${endpoints}`, 'watch', ...args], {
    env: { ...process.env, ETCDCTL_API: '3' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  trackProcess(child, 'etcdctl watch');
  let stdout = '';
  let stderr = '';
  const exit = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const waiters = new Set<() => void>();
  child.stdout?.on('data', (chunk: Buffer) => {
    stdout += chunk.toString('utf8');
    for (const waiter of [...waiters]) waiter();
  });
  child.stderr?.on('data', (chunk: Buffer) => {
    stderr += chunk.toString('utf8');
  });
  return {
    output: () => stdout,
    errors: () => stderr,
    waitFor: (text, timeoutMs = 20_000) =>
      new Promise<void>((resolve, reject) => {
        if (stdout.includes(text)) {
          resolve();
          return;
        }
        const timer = setTimeout(() => {
          waiters.delete(check);
          reject(
            new Error(
              `watch output never contained ${JSON.stringify(text)}; got ${JSON.stringify(stdout)} ${stderr}`,
            ),
          );
        }, timeoutMs);
        const check = () => {
          if (stdout.includes(text)) {
            clearTimeout(timer);
            waiters.delete(check);
            resolve();
          }
        };
        waiters.add(check);
        void exit.then(() => {
          if (!waiters.has(check)) return;
          clearTimeout(timer);
          waiters.delete(check);
          reject(new Error(`watch exited before printing ${JSON.stringify(text)}: ${stdout} ${stderr}`));
        });
      }),
    exited: () => exit,
    stop: async () => {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGKILL');
        await exit;
      }
    },
  };
}
