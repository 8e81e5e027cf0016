/**
 * The images scripts/images.mjs builds, each doing what the suites rely on: the cache labels,
 * pause stopping cleanly and reaping orphans, busybox carrying its applets, and the node
 * image running the built `navarch` with its production dependencies.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  BUSYBOX_IMAGE,
  hostDocker,
  NODE_IMAGE,
  newRunId,
  RUN_LABEL,
  removeRun,
  requireImages,
  runCli,
  TEST_LABEL,
} from './node-cluster.js';

const PAUSE_IMAGE = 'navarch/pause:latest';
const runId = newRunId();
const labelArgs = ['--label', `${TEST_LABEL}=true`, '--label', `${RUN_LABEL}=${runId}`];

async function docker(...args: string[]): Promise<string> {
  return (await runCli(args)).toString('utf8');
}

describe('navarch images', () => {
  beforeAll(async () => {
    await requireImages([PAUSE_IMAGE, BUSYBOX_IMAGE, NODE_IMAGE]);
  });

  afterAll(async () => {
    await removeRun(hostDocker(), runId);
  });

  it('labels each image with its name and the hash of its inputs', async () => {
    for (const image of [PAUSE_IMAGE, BUSYBOX_IMAGE, NODE_IMAGE]) {
      const labels = (await hostDocker().getImage(image).inspect()).Config.Labels ?? {};
      expect(labels['io.navarch.image']).toBe(image);
      expect(labels['io.navarch.inputs-hash']).toMatch(/^[0-9a-f]{64}$/);
    }
  });

  it('stops pause on SIGTERM with exit code 0, not by a kill', async () => {
    const id = (await docker('run', '-d', ...labelArgs, PAUSE_IMAGE)).trim();
    // `docker stop` sends SIGTERM and kills (exit 137) only if it is ignored for 30 s.
    await docker('stop', '--time', '30', id);
    const state = (await hostDocker().getContainer(id).inspect()).State;
    expect(state.ExitCode).toBe(0);
  });

  it('lets pause adopt and reap an orphan in a shared PID namespace', async () => {
    const pause = (await docker('run', '-d', ...labelArgs, PAUSE_IMAGE)).trim();
    // The inner shell exits at once, orphaning `sleep`, whose new parent is then PID 1 (pause);
    // once it exits, pause must reap it or it stays a zombie (state Z) for ever. Bounded wait.
    const script = [
      'pid=$(sh -c "sleep 1 >/dev/null 2>&1 & echo \\$!")',
      'echo "parent $(cut -d" " -f4 /proc/$pid/stat)"',
      'for i in $(seq 200); do [ -e /proc/$pid ] || { echo reaped; exit 0; }; usleep 50000; done',
      'echo "not reaped: state $(cut -d" " -f3 /proc/$pid/stat)"',
    ].join('\n');
    const output = await docker(
      'run',
      '--rm',
      ...labelArgs,
      '--pid',
      `container:${pause}`,
      BUSYBOX_IMAGE,
      'sh',
      '-c',
      script,
    );
    expect(output.split('\n').filter(Boolean)).toEqual(['parent 1', 'reaped']);
  });

  it('ships busybox with the applets the suites use', async () => {
    const output = await docker(
      'run',
      '--rm',
      ...labelArgs,
      BUSYBOX_IMAGE,
      'sh',
      '-c',
      'for applet in sh httpd nc wget sleep timeout ip; do command -v "$applet"; done',
    );
    expect(output.trim().split('\n')).toHaveLength(7);
  });

  it('runs the built navarch binary and Node.js 20 in the node image', async () => {
    const version = await docker(
      'run',
      '--rm',
      ...labelArgs,
      '--entrypoint',
      'node',
      NODE_IMAGE,
      '--version',
    );
    expect(version.trim()).toMatch(/^v20\./);
    const help = await docker('run', '--rm', ...labelArgs, '--entrypoint', 'navarch', NODE_IMAGE, '--help');
    expect(help).toContain('Usage: navarch');
  });
});
