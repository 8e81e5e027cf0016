/**
 * @navarch/cli public entry: the pieces of navctl other packages and tests reuse (printers,
 * manifest loading, merge arithmetic). The binary itself is `src/main.ts` (bundled to dist/navctl.mjs).
 */
export { CliError, ExitSignal, formatError, formatStatusError } from './errors.js';
export { type Io, io } from './io.js';
export { type Manifest, parseManifests, readManifests } from './manifests.js';
export {
  applyMergePatch,
  containedIn,
  deepEqual,
  LAST_APPLIED,
  lastApplied,
  stableStringify,
  threeWayMergePatch,
  withLastApplied,
} from './merge.js';
export { ageOf, humanDuration } from './printers/age.js';
export { localTable } from './printers/columns.js';
export { formatValue, JsonPathTemplate, normaliseTemplate } from './printers/jsonpath.js';
export {
  asList,
  customColumnRows,
  type OutputFormat,
  parseCustomColumns,
  parseOutputFormat,
  renderObjects,
  toJson,
  toYaml,
} from './printers/output.js';
export { cellText, labelsText, sortByJsonPath, type TableOptions, tableRows } from './printers/table.js';
export { formatTable, TAB_MIN_WIDTH, TAB_PADDING, TabWriter } from './printers/tabwriter.js';
export { buildProgram, COMMAND_NAMES, runCli } from './program.js';
export { NAVCTL_VERSION } from './version.js';
