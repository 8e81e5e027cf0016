/**
 * The navctl executable: scripts/bundle.mjs bundles this file alone, as CommonJS, into
 * dist/navctl.cjs (it uses CommonJS's `require` and `__dirname`; the ES module tsc also emits for it
 * is never run). It starts the command code, bundled into dist/navctl-core.cjs, from V8's compile
 * cache when it can.
 *
 * Why: a command runs for a few hundred milliseconds, and without a cache V8 parses the ~350 KB
 * bundle and then compiles every function the command calls, on every run. Node 20 has no compile
 * cache of its own for this (`module.enableCompileCache` arrived in Node 22), so the launcher keeps
 * one: the first successful run of each verb (`get`, `apply`, ...) saves the code V8 compiled, and
 * later runs of that verb start from it. A cache V8 does not accept (another Node version, a
 * damaged file) is ignored and written anew. `NODE_DISABLE_COMPILE_CACHE=1` turns it off, as it
 * does Node's own.
 *
 * Invariant: the core is compiled as one script with no dynamic `import()` left in it (the bundler
 * checks), because a script compiled from cached data cannot run one.
 */
import { mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { Script } from 'node:vm';

/** Hash of dist/navctl-core.cjs, set by the bundler: the cache of one build never serves another. */
declare const NAVCTL_CORE_HASH: string;

/** File name of the bundled command code, next to this launcher. */
const CORE_FILE = 'navctl-core.cjs';

/**
 * Where this run's compile cache lives, or undefined when caching is off. One file per verb, since
 * each verb compiles different functions; the key also holds the build and the Node version.
 */
function cachePath(argv: string[]): string | undefined {
  const disabled = process.env.NODE_DISABLE_COMPILE_CACHE;
  if (disabled !== undefined && disabled !== '' && disabled !== '0') return undefined;
  const base = process.env.XDG_CACHE_HOME || join(process.env.HOME || homedir(), '.cache');
  const verb = /^[a-z][a-z-]{0,31}$/.test(argv[0] ?? '') ? argv[0] : '_';
  return join(base, 'navctl', `${cacheKeyPrefix()}-${verb}.v8cache`);
}

/** The part of a cache file's name shared by every verb of this build on this Node. */
function cacheKeyPrefix(): string {
  return `${NAVCTL_CORE_HASH}-${process.version}-${process.arch}`;
}

/** Writes a cache file atomically and drops the files of other builds; a failure only costs speed. */
function saveCache(file: string, data: Buffer): void {
  try {
    const dir = join(file, '..');
    mkdirSync(dir, { recursive: true });
    const temporary = `${file}.${process.pid}.tmp`;
    writeFileSync(temporary, data);
    renameSync(temporary, file);
    for (const name of readdirSync(dir)) {
      if (!name.startsWith(`${cacheKeyPrefix()}-`) || name.endsWith('.tmp')) {
        rmSync(join(dir, name), { force: true });
      }
    }
  } catch {
    // Read-only or full home directory: run uncached.
  }
}

/** Compiles the core (from the cache when there is one) and runs it as a CommonJS module. */
function runCore(argv: string[]): void {
  const corePath = join(__dirname, CORE_FILE);
  // The bundler guarantees an ASCII core, for which Latin-1 is exact and faster to decode than UTF-8.
  const source = readFileSync(corePath, 'latin1');
  const cacheFile = cachePath(argv);
  let cachedData: Buffer | undefined;
  if (cacheFile) {
    try {
      cachedData = readFileSync(cacheFile);
    } catch {
      // First run of this verb.
    }
  }
  // The same wrapper Node puts around a CommonJS module, so the core sees the usual variables.
  const script = new Script(`(function (exports, require, module, __filename, __dirname) {${source}\n})`, {
    filename: corePath,
    ...(cachedData ? { cachedData } : {}),
  });
  if (cacheFile && (!cachedData || script.cachedDataRejected)) {
    // At exit the script holds every function this command compiled. Failed runs are not cached:
    // they compile the error path, not the work the verb usually does.
    process.once('exit', (code) => {
      if (code === 0) saveCache(cacheFile, script.createCachedData());
    });
  }
  const module = { exports: {} };
  const body = script.runInThisContext() as (...args: unknown[]) => void;
  body.call(module.exports, module.exports, require, module, corePath, __dirname);
}

runCore(process.argv.slice(2));
