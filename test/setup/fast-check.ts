import fc from 'fast-check';

// Property tests explore new random inputs on every local run, and fast-check prints the seed of
// any failure. CI runs with one fixed seed so that a submission's result is reproducible;
// FC_SEED=N reproduces a reported failure anywhere.
const seed = process.env.FC_SEED ?? (process.env.CI === 'true' ? '20261121' : undefined);
if (seed !== undefined) fc.configureGlobal({ seed: Number(seed) });
