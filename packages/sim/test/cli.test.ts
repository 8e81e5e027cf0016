import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const packageDir = fileURLToPath(new URL('..', import.meta.url));

/** Runs the CLI the way `npm run sim` does (tsx over src/cli.ts); waits for it to exit. */
function sim(args: string[]): { status: number | null; stdout: string } {
  const r = spawnSync('npx', ['tsx', 'src/cli.ts', ...args], {
    cwd: packageDir,
    encoding: 'utf8',
    timeout: 120_000,
  });
  return { status: r.status, stdout: r.stdout };
}

describe('sim CLI', () => {
  it('prints the seeds first and a summary, and exits 0 when every seed passes', () => {
    const r = sim(['--seed', '7', '--seeds', '2', '--steps', '200']);
    expect(r.status).toBe(0);
    const lines = r.stdout.split('\n');
    expect(lines[0]).toBe('seeds 7..8 (2 seeds)');
    expect(r.stdout).toContain('summary');
    expect(r.stdout).toMatch(/seeds +2 run, 2 passed, 0 failed/);
    expect(r.stdout).toMatch(/operations +\d+ invoked/);
    expect(r.stdout).toMatch(/violations +0/);
  });

  it('exits non-zero with a reproduction line when a seed finds a violation, and rejects bad arguments', () => {
    const r = sim([
      '--seed',
      '1',
      '--seeds',
      '2000',
      '--steps',
      '300',
      '--bug',
      'commitPreviousTermEntries',
      '--fail-fast',
    ]);
    expect(r.status).toBe(1);
    expect(r.stdout).toMatch(/VIOLATION \w+ at tick \d+/);
    expect(r.stdout).toMatch(
      /reproduce: npm run sim -- --seed \d+ --steps 300 --bug commitPreviousTermEntries/,
    );
    expect(r.stdout).toMatch(/seeds +\d+ run, \d+ passed, 1 failed/);
    expect(sim(['--steps', 'many']).status).toBe(2);
  });
});
