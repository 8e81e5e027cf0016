/** @navarch/sim public entry: deterministic simulator of the Raft core, and its checkers. */
export { Cluster, type ClusterOptions, type FaultCounts, type ResultListener } from './cluster.js';
export { Disk, type DiskStats } from './disk.js';
export {
  chainHash,
  type EntryLike,
  entryHash,
  InvariantChecker,
  SIM_VIOLATION_CODE,
  SimViolation,
  type ViolationKind,
} from './invariants.js';
export { decodeCommand, encodeCommand, type KvCommand, KvStateMachine } from './kv.js';
export { type KvOp, type KvOperation, type KvResult, type KvState, kvModel } from './kv-model.js';
export {
  type CheckOptions,
  checkLinearizable,
  type LinearizabilityOutcome,
  type LinearizabilityResult,
  type Model,
  type Operation,
} from './linearizability.js';
export { type Envelope, type LinkFaults, Network, type NetworkStats, perfectLink } from './network.js';
export { type NodeHooks, type NodeSettings, SimNode } from './node.js';
export { MAX_SEED, Prng } from './prng.js';
export {
  chooseProfile,
  type FaultProfile,
  type RunOptions,
  type RunResult,
  type RunViolation,
  runSeed,
} from './run.js';
export { Workload, type WorkloadOptions, type WorkloadStats } from './workload.js';
