/**
 * The Docker side of scripts/images.mjs: running commands, inspecting images through the
 * engine's socket, build contexts under .navarch-cache/images, `docker build` with the cache
 * labels. Internal to the images script.
 */
import { spawn } from 'node:child_process';
import { existsSync, promises as fs, readFileSync } from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** The repository root. */
export const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
/** Scratch build contexts (git-ignored); cleared before each use. */
export const cacheDir = path.join(root, '.navarch-cache', 'images');
/** The Docker CLI that matches the host engine (another may be earlier on PATH). */
export const docker = process.env.NAVARCH_DOCKER ?? '/usr/bin/docker';
/** Label naming the image, on every image the script builds. */
export const IMAGE_LABEL = 'io.navarch.image';
/** Label holding the sha256 of the image's inputs; a mismatch means "rebuild". */
export const INPUTS_HASH_LABEL = 'io.navarch.inputs-hash';

/** Runs a command; resolves with its stdout, rejects with its stderr on a non-zero exit. */
export function run(cmd, args, { input, env, quiet = false, cwd } = {}) {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, {
      cwd: cwd ?? root,
      env: { ...process.env, ...env },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk) => {
      stdout += chunk;
      if (!quiet && process.env.NAVARCH_IMAGES_VERBOSE === '1') process.stderr.write(chunk);
    });
    child.stderr.on('data', (chunk) => {
      stderr += chunk;
      if (!quiet && process.env.NAVARCH_IMAGES_VERBOSE === '1') process.stderr.write(chunk);
    });
    child.on('error', reject);
    child.on('close', (code) => {
      if (code === 0) resolve(stdout);
      else {
        const tail = `${stdout}\n${stderr}`.trim().split('\n').slice(-40).join('\n');
        reject(new Error(`${cmd} ${args.join(' ')} exited with ${code}\n${tail}`));
      }
    });
    if (input !== undefined) child.stdin.end(input);
    else child.stdin.end();
  });
}

/**
 * Image facts, or undefined when the image is absent. Asks the engine's socket directly
 * (a few ms; spawning the CLI costs ~0.1 s a call, which a warm run would feel); falls back
 * to the CLI when the socket is elsewhere (DOCKER_HOST).
 */
export async function inspectImage(ref) {
  const socketPath = '/var/run/docker.sock';
  if (!process.env.DOCKER_HOST && existsSync(socketPath)) {
    const answer = await new Promise((resolve, reject) => {
      const request = http.get(
        { socketPath, path: `/images/${encodeURIComponent(ref)}/json` },
        (response) => {
          let body = '';
          response.setEncoding('utf8');
          response.on('data', (chunk) => {
            body += chunk;
          });
          response.on('end', () => resolve({ status: response.statusCode, body }));
        },
      );
      request.on('error', reject);
    });
    if (answer.status === 404) return undefined;
    if (answer.status !== 200)
      throw new Error(`docker: inspecting ${ref}: HTTP ${answer.status} ${answer.body}`);
    const info = JSON.parse(answer.body);
    return { id: info.Id, sizeBytes: info.Size, labels: info.Config?.Labels ?? {} };
  }
  try {
    const out = await run(docker, ['image', 'inspect', '--format', '{{json .}}', ref], { quiet: true });
    const info = JSON.parse(out);
    return { id: info.Id, sizeBytes: info.Size, labels: info.Config?.Labels ?? {} };
  } catch {
    return undefined;
  }
}

// ---------------------------------------------------------------------------------------
// Staging directories (build contexts).

/** Unmounts anything left mounted below `dir` (an interrupted debootstrap), then removes it. */
export async function clearDir(dir) {
  if (!dir.startsWith(cacheDir)) throw new Error(`refusing to clear ${dir}: outside ${cacheDir}`);
  const mounts = readFileSync('/proc/self/mounts', 'utf8')
    .split('\n')
    .map((line) => line.split(' ')[1])
    .filter((point) => point && (point === dir || point.startsWith(`${dir}/`)))
    .sort((a, b) => b.length - a.length);
  for (const point of mounts) await run('umount', ['-l', point]).catch(() => {});
  if (existsSync(dir)) await run('rm', ['-rf', '--one-file-system', dir]);
  await fs.mkdir(dir, { recursive: true });
}

/** Copies a file or tree, hard-linking where possible (the cache lives beside the sources). */
export async function copyTree(from, to, { link = false } = {}) {
  await fs.mkdir(path.dirname(to), { recursive: true });
  try {
    await run('cp', [link ? '-al' : '-a', from, to]);
  } catch (error) {
    if (!link) throw error;
    // Another file system (no hard links): start over with a plain copy.
    await run('rm', ['-rf', '--one-file-system', to]);
    await run('cp', ['-a', from, to]);
  }
}

/** Resolves with a child process's exit code once it has closed its streams. */
export function exitCode(child) {
  return new Promise((resolve) => child.on('close', (code) => resolve(code ?? 1)));
}

/** `docker build` with the cache labels; the classic builder, so no BuildKit is needed. */
export async function dockerBuild(name, hash, contextDir, buildArgs = {}) {
  const args = ['build', '--network', 'host', '--force-rm'];
  if (process.env.NAVARCH_IMAGES_VERBOSE !== '1') args.push('--quiet');
  for (const [key, value] of Object.entries(buildArgs)) args.push('--build-arg', `${key}=${value}`);
  args.push('--label', `${IMAGE_LABEL}=${name}`, '--label', `${INPUTS_HASH_LABEL}=${hash}`, '-t', name, '.');
  await run(docker, args, { cwd: contextDir, env: { DOCKER_BUILDKIT: '0' } });
}
