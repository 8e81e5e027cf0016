#!/usr/bin/env bash
# `npm test`: everything from a fresh clone. Installs npm dependencies when missing, stops what
# interrupted runs left behind (test/helpers/reaper.ts), makes sure of the host prerequisites,
# builds, lints, typechecks, builds the images when their inputs changed, then runs every test.
# Pass vitest arguments through: `npm test -- FILE`.
set -euo pipefail
cd "$(dirname "$0")/.."

step() { echo; echo "== $* ($(date +%T)) =="; }
if [[ ! -d node_modules ]] || [[ package-lock.json -nt node_modules/.package-lock.json ]]; then
  step "npm ci"
  npm ci
fi
step "stop what interrupted test runs and benchmarks left behind"
node --import tsx test/helpers/reap-main.ts
step "host prerequisites"
bash scripts/prereqs.sh
step "purity check (raft, sim: no clock, timers or Math.random)"
bash scripts/check-purity.sh
step "lint and format (biome)"
npx biome check .
step "build and typecheck"
npx tsc -b
npx tsc -p tsconfig.tests.json
step "bundle navctl"
npm run bundle -w @navarch/cli --if-present
step "images"
node scripts/images.mjs
step "tests (vitest)"
report=$(mktemp -t navarch-vitest.XXXXXX.json)
status=0
npx vitest run --reporter=default --reporter=json --outputFile.json="$report" "$@" || status=$?
node scripts/summary.mjs "$report" || true
rm -f "$report"
exit "$status"
