/** @navarch/api public entry. */
export {};
