#!/usr/bin/env bash
# `npm run bench -- NAME` (or `npm run bench:NAME`): builds, then runs test/bench/NAME.ts.
# Benchmarks are bounded in time and count and are not part of `npm test`.
set -euo pipefail
cd "$(dirname "$0")/.."
name=${1:-}
if [[ -z $name || ! -f test/bench/$name.ts ]]; then
  echo "usage: npm run bench -- NAME   (one of: $(ls test/bench/*.ts 2>/dev/null | xargs -n1 basename | sed 's/\.ts$//' | tr '\n' ' '))" >&2
  exit 2
fi
shift
[[ -d node_modules ]] || npm ci
# Processes and temp dirs of an earlier run that was killed (test/helpers/reaper.ts).
node --import tsx test/helpers/reap-main.ts
bash scripts/prereqs.sh
npx tsc -b
npm run bundle -w @navarch/cli --if-present >/dev/null
# node itself, not `npx tsx`: npm exec does not pass SIGTERM on, so a benchmark interrupted by
# `timeout` or a CI cancel would run on (and its clusters with it). The registry's signal
# handlers (test/helpers/registry.ts) then stop every process the benchmark started.
exec node --import tsx "test/bench/$name.ts" "$@"
