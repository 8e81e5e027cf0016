/** @navarch/raft public entry. */
export {};
