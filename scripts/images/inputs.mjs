/**
 * The inputs side of scripts/images.mjs: hashing, the host's apt sources, the workspace
 * packages' runtime files and production dependency closure. Internal to the images script.
 */
import { createHash } from 'node:crypto';
import { existsSync, promises as fs, lstatSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { root } from './engine.mjs';

/**
 * Bumped when the recipe changes in a way the hashed files do not show (the images script's
 * own logic), so that every image rebuilds once.
 */
const RECIPE_VERSION = '1';

/** Accumulates named inputs into one sha256; the order of `add` calls matters. */
export class InputsHash {
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
      // `deb [arch=... signed-by=...] URI SUITE COMPONENTS`: the options are the host's own.
      if (line.startsWith('deb ')) lines.push(line.replace(/\[[^\]]*\]/, '').replace(/\s+/g, ' '));
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

const debianComponents = new Set(['main', 'contrib', 'non-free', 'non-free-firmware']);

/**
 * The Debian bookworm archives among apt source entries: suite `bookworm` or `bookworm-*`
 * and only Debian's components. Third-party repositories (their suites are `stable`,
 * `nodistro`, ... or their components are not Debian's) would need keys a fresh image lacks.
 */
export function debianSources(sources = readAptSources()) {
  return sources.filter((line) => {
    const [type, uri, suite, ...components] = line.split(' ');
    return (
      type === 'deb' &&
      uri !== undefined &&
      suite !== undefined &&
      (suite === 'bookworm' || suite.startsWith('bookworm-')) &&
      components.length > 0 &&
      components.every((component) => debianComponents.has(component))
    );
  });
}

/** The Debian mirror for debootstrap: the URI of the host's first entry for the main archive. */
export function debianMirror(sources = readAptSources()) {
  for (const line of debianSources(sources)) {
    const [, uri, suite] = line.split(' ');
    if (uri && suite === 'bookworm') return uri;
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

export async function walkFiles(dir) {
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

export function busyboxPath() {
  for (const candidate of ['/bin/busybox', '/usr/bin/busybox']) if (existsSync(candidate)) return candidate;
  throw new Error('NAVARCH_ERR_NO_BUSYBOX: /bin/busybox is missing; install busybox-static');
}

/** The files of the node image's /opt/navarch, relative to the root, and its node_modules. */
export async function appFiles() {
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
