// Prints the suite's closing line, "tests: N passed, N failed, N skipped", from vitest's JSON report.
// A test file that fails before running any test (an import error, a failing hook) counts as one failure.
import { readFileSync } from 'node:fs';

const report = JSON.parse(readFileSync(process.argv[2], 'utf8'));
const passed = report.numPassedTests ?? 0;
const skipped = (report.numPendingTests ?? 0) + (report.numTodoTests ?? 0);
const brokenFiles = (report.testResults ?? []).filter(
  (file) => file.status === 'failed' && !(file.assertionResults ?? []).some((t) => t.status === 'failed'),
).length;
const failed = (report.numFailedTests ?? 0) + brokenFiles;
console.log(`\ntests: ${passed} passed, ${failed} failed, ${skipped} skipped`);
