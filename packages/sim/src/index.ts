/** @navarch/sim public entry. */
export {};
