#!/usr/bin/env node
/**
 * Builds Navarch's container images locally (no registry, nothing pulled) and caches them by
 * the hash of their inputs: every image carries the labels `io.navarch.image=<name>` and
 * `io.navarch.inputs-hash=<sha256>`; an image whose label matches the inputs' hash is kept,
 * any other is rebuilt. A warm run with nothing changed only hashes and inspects.
 *
 *   node scripts/images.mjs [--force] [--check] [--json] [IMAGE...]
 *
 *   --force   rebuild even when cached
 *   --check   build nothing; exit 1 if an image is missing or out of date
 *   --json    print the results as JSON on stdout instead of the table
 *   IMAGE     restrict to these images (and what they are built from), e.g. navarch/busybox
 *
 * Images, in build order (see docs/images.md):
 *   navarch/pause            FROM scratch, static pause binary (deploy/images/pause/pause.c)
 *   navarch/busybox          FROM scratch, Debian's busybox-static with its applet links
 *   navarch/debian:bookworm  debootstrap minbase import; only when debian:bookworm-slim is absent
 *   navarch/node-base        base + docker.io, iptables, iproute2, tini + the host's Node.js 20
 *   navarch/node-deps        node-base + the production node_modules (its own image so that a
 *                            code change neither re-sends nor re-copies the dependencies)
 *   navarch/node             node-deps + Navarch's built code + the node entrypoint
 *
 * Concurrent runs serialise on a lock file (flock); a run interrupted half-way leaves only
 * scratch directories under .navarch-cache/images, which the next run clears. Tags are only
 * moved by a build that succeeded.
 */
import { spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, promises as fs, lstatSync, readdirSync, readFileSync, statSync } from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const cacheDir = path.join(root, '.navarch-cache', 'images');
const docker = process.env.NAVARCH_DOCKER ?? '/usr/bin/docker';

/** Label naming the image, on every image this script builds. */
export const IMAGE_LABEL = 'io.navarch.image';
/** Label holding the sha256 of the image's inputs; a mismatch means "rebuild". */
export const INPUTS_HASH_LABEL = 'io.navarch.inputs-hash';
/**
 * Bumped when the recipe changes in a way the hashed files do not show (this script's own
 * logic), so that every image rebuilds once.
 */
const RECIPE_VERSION = '1';

/** The images every Navarch suite may use, by reference. */
export const IMAGES = Object.freeze({
  pause: 'navarch/pause:latest',
  busybox: 'navarch/busybox:latest',
  debian: 'navarch/debian:bookworm',
  nodeBase: 'navarch/node-base:latest',
  nodeDeps: 'navarch/node-deps:latest',
  node: 'navarch/node:latest',
});

/** The Debian image a registry user would build from; used instead of debootstrap when present. */
const upstreamDebian = 'debian:bookworm-slim';

// ---------------------------------------------------------------------------------------
// Small process helpers.

/** Runs a command; resolves with its stdout, rejects with its stderr on a non-zero exit. */
function run(cmd, args, { input, env, quiet = false, cwd } = {}) {
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
async function inspectImage(ref) {
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
// Inputs and hashes.

/** Accumulates named inputs into one sha256; the order of `add` calls matters. */
class InputsHash {
  #hash = createHash('sha256').update(`navarch-images/${RECIPE_VERSION}\n`);
  add(name, value) {
    this.#hash.update(`${name}\0`).update(value).update('\n');
    return this;
  }
  file(relative) {
    return this.add(relative, readFileSync(path.join(root, relative)));
  }
  digest() {
    return this.#hash.digest('hex');
  }
}

/**
 * The host's apt sources as one-line entries (`deb URI SUITE COMPONENTS`), read from
 * /etc/apt/sources.list.d/*.sources (deb822) and /etc/apt/sources.list(.d/*.list). The mirror
 * is never hard-coded: a build uses whatever the host uses.
 */
export function readAptSources() {
  const lines = [];
  const deb822 = [];
  const listFiles = [];
  if (existsSync('/etc/apt/sources.list')) listFiles.push('/etc/apt/sources.list');
  const dir = '/etc/apt/sources.list.d';
  if (existsSync(dir)) {
    for (const name of readdirSortedSync(dir)) {
      if (name.endsWith('.sources')) deb822.push(path.join(dir, name));
      else if (name.endsWith('.list')) listFiles.push(path.join(dir, name));
    }
  }
  for (const file of deb822) lines.push(...parseDeb822Sources(readFileSync(file, 'utf8')));
  for (const file of listFiles) {
    for (const raw of readFileSync(file, 'utf8').split('\n')) {
      const line = raw.replace(/#.*/, '').trim();
      if (line.startsWith('deb ')) lines.push(line.replace(/\s+/g, ' '));
    }
  }
  return lines;
}

/** Parses deb822 `.sources` text into one-line `deb URI SUITE COMPONENTS` entries. */
export function parseDeb822Sources(text) {
  const out = [];
  for (const stanza of text.split(/\n\s*\n/)) {
    const fields = {};
    let last;
    for (const raw of stanza.split('\n')) {
      if (raw.startsWith('#')) continue;
      if (/^\s/.test(raw) && last) {
        fields[last] += ` ${raw.trim()}`;
        continue;
      }
      const m = /^([A-Za-z-]+):\s*(.*)$/.exec(raw);
      if (m) {
        last = m[1].toLowerCase();
        fields[last] = m[2].trim();
      }
    }
    if (!fields.types || !fields.uris || !fields.suites) continue;
    if (fields.enabled && fields.enabled.toLowerCase() === 'no') continue;
    if (!fields.types.split(/\s+/).includes('deb')) continue;
    for (const uri of fields.uris.split(/\s+/)) {
      for (const suite of fields.suites.split(/\s+/)) {
        out.push(`deb ${uri} ${suite} ${fields.components ?? ''}`.trim());
      }
    }
  }
  return out;
}

/** The Debian mirror for debootstrap: the URI of the host's first entry for the main archive. */
export function debianMirror(sources = readAptSources()) {
  for (const line of sources) {
    const [, uri, suite] = line.split(' ');
    if (uri && suite && !suite.includes('-security') && !suite.includes('-updates')) return uri;
  }
  throw new Error(
    'NAVARCH_ERR_NO_APT_MIRROR: no Debian mirror found in /etc/apt/sources.list(.d); ' +
      'debootstrap needs one to build the base image',
  );
}

function readdirSortedSync(dir) {
  try {
    return readdirSync(dir).sort();
  } catch {
    return [];
  }
}

async function walkFiles(dir) {
  const out = [];
  async function walk(current) {
    let entries;
    try {
      entries = await fs.readdir(current, { withFileTypes: true });
    } catch {
      return;
    }
    entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    for (const entry of entries) {
      const full = path.join(current, entry.name);
      if (entry.isDirectory()) await walk(full);
      else if (entry.isFile() || entry.isSymbolicLink()) out.push(full);
    }
  }
  await walk(dir);
  return out;
}

/** The workspace package directories (relative to the root), from the root package.json. */
async function workspaceDirs() {
  const pkg = JSON.parse(await fs.readFile(path.join(root, 'package.json'), 'utf8'));
  const dirs = [];
  for (const pattern of pkg.workspaces ?? []) {
    if (pattern.endsWith('/*')) {
      const parent = pattern.slice(0, -2);
      for (const name of readdirSortedSync(path.join(root, parent))) {
        if (existsSync(path.join(root, parent, name, 'package.json'))) dirs.push(`${parent}/${name}`);
      }
    } else if (existsSync(path.join(root, pattern, 'package.json'))) dirs.push(pattern);
  }
  return dirs;
}

/** Whether a runtime file from a package's dist belongs in the node image. */
function isRuntimeFile(file) {
  return !file.endsWith('.d.ts') && !file.endsWith('.d.ts.map') && !file.endsWith('.tsbuildinfo');
}

/**
 * The production dependency closure of the workspace packages: the node_modules directories
 * (relative to the root) that Node's resolution reaches from each package's `dependencies`,
 * `optionalDependencies` and installed `peerDependencies`. Workspace links are left out (the
 * packages themselves are copied).
 */
async function productionModules(workspaces) {
  const found = new Map(); // relative dir -> version
  const queue = workspaces.map((dir) => path.join(root, dir));
  const visited = new Set();
  while (queue.length > 0) {
    const dir = queue.shift();
    if (visited.has(dir)) continue;
    visited.add(dir);
    let pkg;
    try {
      pkg = JSON.parse(await fs.readFile(path.join(dir, 'package.json'), 'utf8'));
    } catch {
      continue;
    }
    const names = new Set([
      ...Object.keys(pkg.dependencies ?? {}),
      ...Object.keys(pkg.optionalDependencies ?? {}),
      ...Object.keys(pkg.peerDependencies ?? {}),
    ]);
    for (const name of names) {
      const resolved = resolvePackageDir(dir, name);
      if (!resolved) continue; // an optional or peer dependency that is not installed
      const relative = path.relative(root, resolved);
      if (lstatSync(resolved).isSymbolicLink()) continue; // a workspace package
      if (!found.has(relative)) {
        let version = '?';
        try {
          version = JSON.parse(readFileSync(path.join(resolved, 'package.json'), 'utf8')).version ?? '?';
        } catch {}
        found.set(relative, version);
      }
      queue.push(resolved);
    }
  }
  return found;
}

function resolvePackageDir(fromDir, name) {
  let dir = fromDir;
  for (;;) {
    const candidate = path.join(dir, 'node_modules', name);
    if (existsSync(path.join(candidate, 'package.json'))) return candidate;
    if (dir === root || dir === path.dirname(dir)) return undefined;
    dir = path.dirname(dir);
  }
}

// ---------------------------------------------------------------------------------------
// Staging directories (build contexts).

/** Unmounts anything left mounted below `dir` (an interrupted debootstrap), then removes it. */
async function clearDir(dir) {
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
async function copyTree(from, to, { link = false } = {}) {
  await fs.mkdir(path.dirname(to), { recursive: true });
  await run('cp', [link ? '-al' : '-a', from, to]).catch(() => run('cp', ['-a', from, to]));
}

// ---------------------------------------------------------------------------------------
// The images.

/**
 * One image's recipe: `inputs(ctx)` returns the hash of everything that goes into it (fast:
 * a warm run calls only this); `build(ctx, hash)` produces the tagged, labelled image.
 */
const recipes = [
  {
    name: IMAGES.pause,
    deps: [],
    inputs: () =>
      new InputsHash().file('deploy/images/pause/pause.c').file('deploy/images/pause/Dockerfile').digest(),
    async build(_ctx, hash) {
      const dir = path.join(cacheDir, 'pause');
      await clearDir(dir);
      await run('gcc', [
        '-static',
        '-O2',
        '-Wall',
        '-o',
        path.join(dir, 'pause'),
        'deploy/images/pause/pause.c',
      ]);
      await run('strip', [path.join(dir, 'pause')]);
      await fs.copyFile(path.join(root, 'deploy/images/pause/Dockerfile'), path.join(dir, 'Dockerfile'));
      await dockerBuild(this.name, hash, dir);
    },
  },
  {
    name: IMAGES.busybox,
    deps: [],
    inputs: () =>
      new InputsHash()
        .add('busybox', readFileSync(busyboxPath()))
        .file('deploy/images/busybox/Dockerfile')
        .digest(),
    async build(_ctx, hash) {
      const dir = path.join(cacheDir, 'busybox');
      await clearDir(dir);
      const rootfs = path.join(dir, 'rootfs');
      await fs.mkdir(path.join(rootfs, 'bin'), { recursive: true });
      await fs.copyFile(busyboxPath(), path.join(rootfs, 'bin/busybox'));
      await fs.chmod(path.join(rootfs, 'bin/busybox'), 0o755);
      const applets = (await run(busyboxPath(), ['--list-full'])).split('\n').filter(Boolean);
      for (const applet of applets) {
        if (applet === 'bin/busybox') continue;
        const target = path.join(rootfs, applet);
        await fs.mkdir(path.dirname(target), { recursive: true });
        await fs.symlink('/bin/busybox', target).catch(() => {});
      }
      await fs.mkdir(path.join(rootfs, 'etc'), { recursive: true });
      await fs.writeFile(
        path.join(rootfs, 'etc/passwd'),
        'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/bin/false\n',
      );
      await fs.writeFile(path.join(rootfs, 'etc/group'), 'root:x:0:\nnogroup:x:65534:\n');
      await fs.mkdir(path.join(rootfs, 'tmp'));
      await fs.chmod(path.join(rootfs, 'tmp'), 0o1777);
      await fs.mkdir(path.join(rootfs, 'root'));
      await fs.copyFile(path.join(root, 'deploy/images/busybox/Dockerfile'), path.join(dir, 'Dockerfile'));
      await dockerBuild(this.name, hash, dir);
    },
  },
  {
    name: IMAGES.debian,
    deps: [],
    // Only when no upstream Debian image is available (see `selectBase`).
    optional: true,
    inputs: () => new InputsHash().add('debootstrap', 'minbase bookworm').digest(),
    async build(ctx, hash) {
      const dir = path.join(cacheDir, 'debian');
      await clearDir(dir);
      const rootfs = path.join(dir, 'rootfs');
      const mirror = debianMirror(ctx.aptSources);
      ctx.log(`debootstrap --variant=minbase bookworm from ${mirror} (about a minute)`);
      await run('debootstrap', ['--variant=minbase', 'bookworm', rootfs, mirror]);
      // Nothing of the build host's caches belongs in the image.
      await run('rm', [
        '-rf',
        '--one-file-system',
        `${rootfs}/var/cache/apt/archives`,
        `${rootfs}/var/lib/apt/lists`,
        `${rootfs}/var/log/bootstrap.log`,
      ]);
      await fs.mkdir(`${rootfs}/var/lib/apt/lists/partial`, { recursive: true });
      await fs.mkdir(`${rootfs}/var/cache/apt/archives/partial`, { recursive: true });
      const tar = spawn('tar', ['--numeric-owner', '-C', rootfs, '-c', '.'], {
        stdio: ['ignore', 'pipe', 'inherit'],
      });
      const imported = spawn(
        docker,
        [
          'import',
          '--change',
          `LABEL ${IMAGE_LABEL}=${this.name} ${INPUTS_HASH_LABEL}=${hash}`,
          '--change',
          'CMD ["bash"]',
          '-',
          this.name,
        ],
        { stdio: ['pipe', 'ignore', 'pipe'] },
      );
      tar.stdout.pipe(imported.stdin);
      let stderr = '';
      imported.stderr.on('data', (chunk) => {
        stderr += chunk;
      });
      const [tarCode, importCode] = await Promise.all([exitCode(tar), exitCode(imported)]);
      if (tarCode !== 0 || importCode !== 0) throw new Error(`tar | docker import failed: ${stderr}`);
      await clearDir(dir);
    },
  },
  {
    name: IMAGES.nodeBase,
    deps: ['base'],
    inputs: (ctx) => {
      const node = statSync(ctx.nodeBinary);
      // The 100 MB binary is keyed by version, size and mtime rather than read on every run.
      return new InputsHash()
        .add('base', ctx.base.id)
        .add('node', `${process.version} ${node.size} ${node.mtimeMs}`)
        .file('deploy/images/node-base/Dockerfile')
        .digest();
    },
    async build(ctx, hash) {
      const dir = path.join(cacheDir, 'node-base');
      await clearDir(dir);
      await fs.copyFile(path.join(root, 'deploy/images/node-base/Dockerfile'), path.join(dir, 'Dockerfile'));
      await run('cp', ['-a', ctx.nodeBinary, path.join(dir, 'node')]);
      await dockerBuild(this.name, hash, dir, {
        BASE: ctx.base.ref,
        // The upstream image already has working sources; the debootstrap one gets the host's.
        APT_SOURCES: ctx.aptSources.join('|'),
      });
      await clearDir(dir);
    },
  },
  {
    name: IMAGES.nodeDeps,
    deps: [IMAGES.nodeBase],
    inputs: async (ctx) => {
      const hash = new InputsHash()
        .add('base', ctx.images.get(IMAGES.nodeBase)?.id ?? 'missing')
        .file('deploy/images/node-deps/Dockerfile');
      ctx.app ??= await appFiles();
      // node_modules is keyed by package versions, as the lock file keys it.
      for (const [dir, version] of ctx.app.modules) hash.add(dir, version);
      return hash.digest();
    },
    async build(ctx, hash) {
      const dir = path.join(cacheDir, 'node-deps');
      await clearDir(dir);
      const app = ctx.app ?? (await appFiles());
      const depsDir = path.join(dir, 'deps/opt/navarch');
      // Copy each top-level dependency directory once (nested node_modules come along).
      const copied = [];
      for (const moduleDir of [...app.modules.keys()].sort()) {
        if (copied.some((done) => moduleDir.startsWith(`${done}/`))) continue;
        await copyTree(path.join(root, moduleDir), path.join(depsDir, moduleDir), { link: true });
        copied.push(moduleDir);
      }
      await fs.copyFile(path.join(root, 'deploy/images/node-deps/Dockerfile'), path.join(dir, 'Dockerfile'));
      ctx.log(`staged ${copied.length} dependency trees`);
      await dockerBuild(this.name, hash, dir, { BASE: IMAGES.nodeBase });
      await clearDir(dir);
    },
  },
  {
    name: IMAGES.node,
    deps: [IMAGES.nodeDeps],
    inputs: async (ctx) => {
      const hash = new InputsHash()
        .add('base', ctx.images.get(IMAGES.nodeDeps)?.id ?? 'missing')
        .file('deploy/images/node/Dockerfile')
        .file('deploy/images/node/entrypoint.sh');
      ctx.app ??= await appFiles();
      for (const file of ctx.app.files) hash.add(file, await fs.readFile(path.join(root, file)));
      return hash.digest();
    },
    async build(ctx, hash) {
      const dir = path.join(cacheDir, 'node');
      await clearDir(dir);
      const app = ctx.app ?? (await appFiles());
      const appDir = path.join(dir, 'rootfs/opt/navarch');
      for (const file of app.files) {
        const target = path.join(appDir, file);
        await fs.mkdir(path.dirname(target), { recursive: true });
        await fs.copyFile(path.join(root, file), target);
      }
      // Workspace links, as npm makes them, and a PATH wrapper per "bin" entry.
      await fs.mkdir(path.join(appDir, 'bin'), { recursive: true });
      for (const workspace of app.workspaces) {
        const pkg = JSON.parse(await fs.readFile(path.join(root, workspace, 'package.json'), 'utf8'));
        const link = path.join(appDir, 'node_modules', pkg.name);
        await fs.mkdir(path.dirname(link), { recursive: true });
        await fs.symlink(path.relative(path.dirname(link), path.join(appDir, workspace)), link);
        const bins = typeof pkg.bin === 'string' ? { [pkg.name.split('/').pop()]: pkg.bin } : (pkg.bin ?? {});
        for (const [binName, script] of Object.entries(bins)) {
          const wrapper = path.join(appDir, 'bin', binName);
          await fs.writeFile(wrapper, `#!/bin/sh\nexec node /opt/navarch/${workspace}/${script} "$@"\n`);
          await fs.chmod(wrapper, 0o755);
        }
      }
      const entrypoint = path.join(dir, 'rootfs/usr/local/bin/navarch-node-entrypoint');
      await fs.mkdir(path.dirname(entrypoint), { recursive: true });
      await fs.copyFile(path.join(root, 'deploy/images/node/entrypoint.sh'), entrypoint);
      await fs.chmod(entrypoint, 0o755);
      await fs.copyFile(path.join(root, 'deploy/images/node/Dockerfile'), path.join(dir, 'Dockerfile'));
      ctx.log(`staged ${app.files.length} files`);
      await dockerBuild(this.name, hash, dir, { BASE: IMAGES.nodeDeps });
      await clearDir(dir);
    },
  },
];

function busyboxPath() {
  for (const candidate of ['/bin/busybox', '/usr/bin/busybox']) if (existsSync(candidate)) return candidate;
  throw new Error('NAVARCH_ERR_NO_BUSYBOX: /bin/busybox is missing; install busybox-static');
}

/** The files of the node image's /opt/navarch, relative to the root, and its node_modules. */
async function appFiles() {
  const workspaces = await workspaceDirs();
  const files = ['package.json'];
  for (const workspace of workspaces) {
    files.push(`${workspace}/package.json`);
    const dist = path.join(root, workspace, 'dist');
    if (!existsSync(dist)) {
      throw new Error(`NAVARCH_ERR_NOT_BUILT: ${workspace}/dist is missing; run \`npx tsc -b\` first`);
    }
    for (const file of await walkFiles(dist)) if (isRuntimeFile(file)) files.push(path.relative(root, file));
  }
  for (const file of await walkFiles(path.join(root, 'proto'))) files.push(path.relative(root, file));
  const modules = await productionModules(workspaces);
  return { workspaces, files, modules };
}

function exitCode(child) {
  return new Promise((resolve) => child.on('close', (code) => resolve(code ?? 1)));
}

/** `docker build` with the cache labels; the classic builder, so no BuildKit is needed. */
async function dockerBuild(name, hash, contextDir, buildArgs = {}) {
  const args = ['build', '--network', 'host', '--force-rm'];
  if (process.env.NAVARCH_IMAGES_VERBOSE !== '1') args.push('--quiet');
  for (const [key, value] of Object.entries(buildArgs)) args.push('--build-arg', `${key}=${value}`);
  args.push('--label', `${IMAGE_LABEL}=${name}`, '--label', `${INPUTS_HASH_LABEL}=${hash}`, '-t', name, '.');
  await run(docker, args, { cwd: contextDir, env: { DOCKER_BUILDKIT: '0' } });
}

// ---------------------------------------------------------------------------------------
// The cache walk.

/**
 * Makes sure the images exist and match their inputs, building those that do not.
 * `only` restricts the walk to some images (plus what they are built from); `force` rebuilds
 * the named images (all when `only` is empty) even when cached; `check` builds nothing and
 * reports `stale`/`missing` instead. Returns one result per image, in build order.
 */
export async function ensureImages({ only, force = false, check = false, log = () => {} } = {}) {
  const ctx = {
    aptSources: readAptSources(),
    nodeBinary: process.env.NAVARCH_NODE_BINARY ?? '/usr/bin/node',
    images: new Map(),
    base: undefined,
    app: undefined,
    log,
  };
  const named = only && only.length > 0 ? new Set(only.map(normaliseRef)) : undefined;
  const wanted = new Set(named ?? recipes.map((r) => r.name));
  // A wanted image pulls in what it is built from.
  for (const recipe of [...recipes].reverse()) {
    if (!wanted.has(recipe.name)) continue;
    for (const dep of recipe.deps) {
      if (dep === 'base') wanted.add(IMAGES.debian);
      else wanted.add(dep);
    }
  }
  const results = [];
  for (const recipe of recipes) {
    if (!wanted.has(recipe.name)) continue;
    const started = process.hrtime.bigint();
    if (recipe.name === IMAGES.debian) {
      const upstream = await inspectImage(upstreamDebian);
      if (upstream) {
        ctx.base = { ref: upstreamDebian, id: upstream.id };
        results.push({ name: upstreamDebian, status: 'present', sizeBytes: upstream.sizeBytes, seconds: 0 });
        continue;
      }
    }
    const hash = await recipe.inputs(ctx);
    const current = await inspectImage(recipe.name);
    let status;
    const forced = force && (named === undefined || named.has(recipe.name));
    if (current && current.labels[INPUTS_HASH_LABEL] === hash && !forced) status = 'cached';
    else if (check) status = current ? 'stale' : 'missing';
    else {
      const why = !current ? '' : forced ? ' (forced)' : ' (inputs changed)';
      log(`building ${recipe.name}${why}`);
      await fs.mkdir(cacheDir, { recursive: true });
      await recipe.build(ctx, hash);
      status = 'built';
      // The replaced image is now untagged; drop it unless something still uses it.
      if (current) await run(docker, ['image', 'rm', current.id], { quiet: true }).catch(() => {});
    }
    const after = status === 'built' ? await inspectImage(recipe.name) : current;
    if (after) ctx.images.set(recipe.name, after);
    if (recipe.name === IMAGES.debian) ctx.base = { ref: IMAGES.debian, id: after?.id ?? 'missing' };
    const seconds = Number(process.hrtime.bigint() - started) / 1e9;
    results.push({ name: recipe.name, status, sizeBytes: after?.sizeBytes ?? 0, seconds });
  }
  if (results.some((r) => r.status === 'built')) {
    // Replaced images that something still used when they were replaced are dangling now.
    await run(docker, ['image', 'prune', '--force', '--filter', `label=${IMAGE_LABEL}`], {
      quiet: true,
    }).catch(() => {});
  }
  return results;
}

function normaliseRef(ref) {
  return ref.includes(':') ? ref : `${ref}:latest`;
}

function formatBytes(bytes) {
  if (bytes >= 1e9) return `${(bytes / 1e9).toFixed(2)} GB`;
  if (bytes >= 1e6) return `${(bytes / 1e6).toFixed(1)} MB`;
  return `${(bytes / 1e3).toFixed(0)} kB`;
}

async function main(argv) {
  const flags = new Set(argv.filter((arg) => arg.startsWith('--')));
  const names = argv.filter((arg) => !arg.startsWith('--'));
  for (const flag of flags) {
    if (!['--force', '--check', '--json'].includes(flag)) {
      console.error(
        `images: unknown flag ${flag}\nusage: node scripts/images.mjs [--force] [--check] [--json] [IMAGE...]`,
      );
      return 2;
    }
  }
  const json = flags.has('--json');
  const started = process.hrtime.bigint();
  const results = await ensureImages({
    only: names,
    force: flags.has('--force'),
    check: flags.has('--check'),
    log: (message) => console.error(`images: ${message}`),
  });
  const totalSeconds = Number(process.hrtime.bigint() - started) / 1e9;
  if (json) {
    console.log(JSON.stringify({ images: results, totalSeconds }, null, 2));
  } else {
    for (const r of results) {
      console.log(
        `${r.name.padEnd(28)} ${r.status.padEnd(8)} ${formatBytes(r.sizeBytes).padStart(9)}  ${r.seconds.toFixed(1)} s`,
      );
    }
    console.log(`images: total ${totalSeconds.toFixed(1)} s`);
  }
  const bad = results.filter((r) => r.status === 'missing' || r.status === 'stale');
  if (bad.length > 0) {
    console.error(`images: ${bad.map((r) => `${r.name} ${r.status}`).join(', ')}; run \`npm run images\``);
    return 1;
  }
  return 0;
}

// Run as a script: take the lock (re-exec under flock) so that parallel `npm test` runs build
// each image once, then build.
if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  if (process.env.NAVARCH_IMAGES_LOCKED !== '1' && existsSync('/usr/bin/flock')) {
    await fs.mkdir(cacheDir, { recursive: true });
    const locked = spawnSync(
      '/usr/bin/flock',
      [
        path.join(cacheDir, '.lock'),
        process.execPath,
        fileURLToPath(import.meta.url),
        ...process.argv.slice(2),
      ],
      { stdio: 'inherit', env: { ...process.env, NAVARCH_IMAGES_LOCKED: '1' } },
    );
    process.exit(locked.status ?? 1);
  }
  try {
    process.exitCode = await main(process.argv.slice(2));
  } catch (error) {
    console.error(`images: ${error instanceof Error ? error.message : String(error)}`);
    process.exitCode = 1;
  }
}
