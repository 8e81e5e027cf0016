/** @navarch/client public entry. */
export {};
