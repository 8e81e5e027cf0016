#!/usr/bin/env bash
# The consensus core and the simulator must be deterministic: time comes from tick(),
# randomness from an injected seeded PRNG. This fails on any clock, timer or Math.random.
set -euo pipefail
cd "$(dirname "$0")/.."
if grep -rnE '\b(Date\.now|new Date\(|Math\.random|setTimeout|setInterval|setImmediate|performance\.now|process\.hrtime)\b' \
  packages/raft/src packages/sim/src --include='*.ts' | grep -v '^packages/sim/src/cli.ts'; then
  echo "purity check: the lines above use a clock, a timer or Math.random inside a pure package" >&2
  exit 1
fi
