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
import { existsSync, promises as fs, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  cacheDir,
  clearDir,
  copyTree,
  docker,
  dockerBuild,
  exitCode,
  IMAGE_LABEL,
  INPUTS_HASH_LABEL,
  inspectImage,
  root,
  run,
} from './images/engine.mjs';
import {
  appFiles,
  busyboxPath,
  debianMirror,
  debianSources,
  InputsHash,
  readAptSources,
} from './images/inputs.mjs';

/** The cache labels (see docs/images.md). */
export { IMAGE_LABEL, INPUTS_HASH_LABEL } from './images/engine.mjs';
export { debianMirror, debianSources, parseDeb822Sources, readAptSources } from './images/inputs.mjs';

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
    inputs: () => new InputsHash().add('debootstrap', 'minbase bookworm, no docs').digest(),
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
      // Like debian:bookworm-slim: no documentation, manual pages or translations (~45 MB),
      // now or in later installs (dpkg path excludes).
      await fs.writeFile(
        `${rootfs}/etc/dpkg/dpkg.cfg.d/navarch-nodoc`,
        [
          'path-exclude /usr/share/doc/*',
          'path-include /usr/share/doc/*/copyright',
          'path-exclude /usr/share/man/*',
          'path-exclude /usr/share/info/*',
          'path-exclude /usr/share/locale/*',
          'path-include /usr/share/locale/locale.alias',
          '',
        ].join('\n'),
      );
      await run('find', [
        `${rootfs}/usr/share/doc`,
        '-mindepth',
        '1',
        '-not',
        '-name',
        'copyright',
        '-not',
        '-type',
        'd',
        '-delete',
      ]);
      await run('find', [
        `${rootfs}/usr/share/locale`,
        '-mindepth',
        '1',
        '-maxdepth',
        '1',
        '-not',
        '-name',
        'locale.alias',
        '-exec',
        'rm',
        '-rf',
        '{}',
        '+',
      ]);
      await run('rm', ['-rf', '--one-file-system', `${rootfs}/usr/share/man`, `${rootfs}/usr/share/info`]);
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
      // The 100 MB binary is keyed by path, size and mtime rather than read on every run.
      return new InputsHash()
        .add('base', ctx.base.id)
        .add('node', `${ctx.nodeBinary} ${node.size} ${node.mtimeMs}`)
        .file('deploy/images/node-base/Dockerfile')
        .digest();
    },
    async build(ctx, hash) {
      const dir = path.join(cacheDir, 'node-base');
      await clearDir(dir);
      await fs.copyFile(path.join(root, 'deploy/images/node-base/Dockerfile'), path.join(dir, 'Dockerfile'));
      const version = (await run(ctx.nodeBinary, ['--version'])).trim();
      if (!version.startsWith('v20.')) {
        ctx.log(`warning: ${ctx.nodeBinary} is Node.js ${version}; the node image expects v20`);
      }
      await run('cp', ['-a', ctx.nodeBinary, path.join(dir, 'node')]);
      await dockerBuild(this.name, hash, dir, {
        BASE: ctx.base.ref,
        // The host's sources, so that the build uses the mirror the host uses.
        APT_SOURCES: debianSources(ctx.aptSources).join('|'),
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
    }
    const after = status === 'built' ? await inspectImage(recipe.name) : current;
    if (status === 'built' && !after) throw new Error(`${recipe.name} was built but is not there`);
    if (status === 'built' && current && current.id !== after?.id) {
      // The replaced image is now untagged (a rebuild from the layer cache may give the same
      // ID: then it is the new image); drop it unless something still uses it.
      await run(docker, ['image', 'rm', current.id], { quiet: true }).catch(() => {});
    }
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

/**
 * The command line. With `cachedOnly`, builds nothing and returns undefined (printing
 * nothing) unless every image is current: the lock-free fast path of a warm run.
 */
async function main(argv, { cachedOnly = false } = {}) {
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
    check: flags.has('--check') || cachedOnly,
    log: (message) => console.error(`images: ${message}`),
  });
  if (cachedOnly && results.some((r) => r.status === 'missing' || r.status === 'stale')) return undefined;
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

// Run as a script. A warm run (every image current) answers without the lock; otherwise
// re-run under `flock` so that parallel `npm test` runs build each image once.
if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const argv = process.argv.slice(2);
  try {
    const lockable = process.env.NAVARCH_IMAGES_LOCKED !== '1' && existsSync('/usr/bin/flock');
    const mustBuild = argv.includes('--force') && !argv.includes('--check');
    const fast =
      !lockable || mustBuild ? undefined : await main(argv, { cachedOnly: !argv.includes('--check') });
    if (fast !== undefined) process.exitCode = fast;
    else if (lockable && !argv.includes('--check')) {
      await fs.mkdir(cacheDir, { recursive: true });
      const locked = spawnSync(
        '/usr/bin/flock',
        [path.join(cacheDir, '.lock'), process.execPath, fileURLToPath(import.meta.url), ...argv],
        { stdio: 'inherit', env: { ...process.env, NAVARCH_IMAGES_LOCKED: '1' } },
      );
      process.exitCode = locked.status ?? 1;
    } else process.exitCode = await main(argv);
  } catch (error) {
    console.error(`images: ${error instanceof Error ? error.message : String(error)}`);
    process.exitCode = 1;
  }
}
