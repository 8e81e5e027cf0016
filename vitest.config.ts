import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

const root = fileURLToPath(new URL('.', import.meta.url));

/** Test files that measure timing-sensitive behaviour and so run by themselves. */
const ALONE = ['test/compat/etcdctl.test.ts'];

// Tests import workspace packages from source, so `npm run vitest` works without a build;
// the binaries that tests spawn as real processes run from dist (scripts/test.sh builds first).
export default defineConfig({
  resolve: {
    alias: [{ find: /^@navarch\/([a-z]+)$/, replacement: `${root}packages/$1/src/index.ts` }],
  },
  test: {
    testTimeout: 60_000,
    hookTimeout: 300_000,
    pool: 'forks',
    setupFiles: ['test/setup/fast-check.ts'],
    // Before and after the run: stops processes and removes temp dirs of runners that died
    // (test/helpers/reaper.ts); records of live runs are left alone.
    globalSetup: ['test/setup/reap.ts'],
    reporters: ['default'],
    projects: [
      {
        extends: true,
        test: {
          name: 'suite',
          include: ['packages/*/test/**/*.test.ts', 'test/**/*.test.ts'],
          exclude: [...ALONE],
        },
      },
      {
        // Runs after the rest, one file at a time: etcdctl's `check perf` judges the cluster's
        // slowest request (500 ms), which other test files' load on 2 cores can push past.
        extends: true,
        test: {
          name: 'alone',
          include: [...ALONE],
          fileParallelism: false,
          sequence: { groupOrder: 1 },
        },
      },
    ],
  },
});
