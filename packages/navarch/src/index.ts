/** @navarch/navarch: the navarch binary; see main.ts. */
export {};
