/**
 * Bundles navctl (`npm run bundle -w @navarch/cli`, or `node scripts/bundle.mjs [OUTDIR]`):
 *
 *   navctl-core.cjs  every command, one CommonJS script (src/main.ts and what it imports)
 *   navctl.cjs       the executable (src/launcher.ts): runs the core from V8's compile cache
 *   navctl.mjs       `node dist/navctl.mjs` keeps working; it only loads navctl.cjs
 *
 * CommonJS rather than an ES module: Node starts a CommonJS entry without its ES module loader,
 * and the launcher can compile the core with a cache (see launcher.ts), ~12 ms of CPU per command.
 */
import { createHash } from 'node:crypto';
import { chmodSync, mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const packageDir = resolve(dirname(fileURLToPath(import.meta.url)), '..');

/**
 * Modules the core loads on first use rather than at start-up, with the exports navctl uses (a
 * name not listed fails the build). Most commands never need them: kubeconfig files go through
 * the small parser in @navarch/client first, and only `-o yaml`, manifests and `config` writes
 * need the full YAML library (~115 KB; measured ~14 ms of CPU per command to load).
 * commander requires child_process at load for subcommands navctl does not have.
 */
const LAZY_MODULES = {
  yaml: ['parse', 'parseAllDocuments', 'stringify'],
  'node:child_process': ['spawn', 'spawnSync'],
};

/** esbuild plugin: each LAZY_MODULES import becomes a module whose functions load the real one. */
const lazyModules = {
  name: 'navctl-lazy-modules',
  setup(builder) {
    const names = Object.keys(LAZY_MODULES);
    const filter = new RegExp(`^(${names.map((n) => n.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')).join('|')})$`);
    builder.onResolve({ filter }, (args) =>
      // The stand-in's own require() resolves normally.
      args.namespace === 'navctl-lazy' ? undefined : { path: args.path, namespace: 'navctl-lazy' },
    );
    builder.onLoad({ filter: /.*/, namespace: 'navctl-lazy' }, (args) => ({
      contents: [
        'let loaded;',
        `const load = () => (loaded ??= require(${JSON.stringify(args.path)}));`,
        ...LAZY_MODULES[args.path].map(
          (name) => `export function ${name}(...args) { return load().${name}(...args); }`,
        ),
      ].join('\n'),
      loader: 'js',
      resolveDir: packageDir,
    }));
  },
};

/**
 * Builds the three files into `outdir` and returns the executable's path. `alias` maps package
 * names to source files (tests bundle the workspace packages from source, without a build).
 */
export async function bundleNavctl({ outdir = join(packageDir, 'dist'), alias = {} } = {}) {
  const common = {
    bundle: true,
    platform: 'node',
    format: 'cjs',
    target: 'node20',
    legalComments: 'none',
    logLevel: 'warning',
    alias,
  };
  const core = await build({
    ...common,
    entryPoints: [join(packageDir, 'src/main.ts')],
    plugins: [lazyModules],
    minify: true,
    write: false,
    metafile: true,
    outfile: join(outdir, 'navctl-core.cjs'),
  });
  // A script compiled from V8's cache cannot run a dynamic import(): every module must be bundled.
  for (const output of Object.values(core.metafile.outputs)) {
    const dynamic = output.imports.filter((i) => i.kind === 'dynamic-import' && i.external);
    if (dynamic.length > 0) {
      throw new Error(`navctl core keeps dynamic imports: ${dynamic.map((i) => i.path).join(', ')}`);
    }
  }
  const coreText = core.outputFiles[0].text;
  // esbuild escapes non-ASCII characters (its default charset), so the launcher can read the core
  // as Latin-1, which is cheaper than decoding UTF-8; a change of that default must not go unseen.
  if (Buffer.byteLength(coreText) !== coreText.length)
    throw new Error('navctl core is not ASCII: see launcher.ts');
  const coreHash = createHash('sha256').update(coreText).digest('hex').slice(0, 16);
  mkdirSync(outdir, { recursive: true });
  writeFileSync(join(outdir, 'navctl-core.cjs'), coreText);
  const executable = join(outdir, 'navctl.cjs');
  await build({
    ...common,
    entryPoints: [join(packageDir, 'src/launcher.ts')],
    outfile: executable,
    define: { NAVCTL_CORE_HASH: JSON.stringify(coreHash) },
    banner: { js: '#!/usr/bin/env node' },
  });
  const esmEntry = join(outdir, 'navctl.mjs');
  writeFileSync(
    esmEntry,
    [
      '#!/usr/bin/env node',
      '// navctl as an ES module, for `node navctl.mjs`; the executable is navctl.cjs (it starts faster).',
      "import { createRequire } from 'node:module';",
      "createRequire(import.meta.url)('./navctl.cjs');",
      '',
    ].join('\n'),
  );
  chmodSync(executable, 0o755);
  chmodSync(esmEntry, 0o755);
  return executable;
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const outdir = process.argv[2] ? resolve(process.argv[2]) : undefined;
  const executable = await bundleNavctl(outdir ? { outdir } : {});
  console.log(`navctl bundled: ${executable}`);
}
