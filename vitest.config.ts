import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

const root = fileURLToPath(new URL('.', import.meta.url));

// Tests import workspace packages from source, so `npm run vitest` works without a build;
// the binaries that tests spawn as real processes run from dist (scripts/test.sh builds first).
export default defineConfig({
  resolve: {
    alias: [{ find: /^@navarch\/([a-z]+)$/, replacement: `${root}packages/$1/src/index.ts` }],
  },
  test: {
    include: ['packages/*/test/**/*.test.ts', 'test/**/*.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 300_000,
    pool: 'forks',
    setupFiles: ['test/setup/fast-check.ts'],
    reporters: ['default'],
  },
});
