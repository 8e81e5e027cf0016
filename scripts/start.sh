#!/usr/bin/env bash
# `npm start`: install what is missing, build, then run `navarch server` in the foreground.
set -euo pipefail
cd "$(dirname "$0")/.."
if [[ ! -d node_modules ]] || [[ package-lock.json -nt node_modules/.package-lock.json ]]; then
  npm ci
fi
bash scripts/prereqs.sh
npx tsc -b
npm run bundle -w @navarch/cli --if-present >/dev/null
exec node packages/navarch/dist/main.js server "$@"
