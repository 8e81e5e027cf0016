/** @navarch/cli public entry. */
export {};
