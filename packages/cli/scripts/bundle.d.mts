/** Types of bundle.mjs, for the tests that bundle navctl from source. */
export function bundleNavctl(options?: { outdir?: string; alias?: Record<string, string> }): Promise<string>;
