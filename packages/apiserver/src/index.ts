/** @navarch/apiserver public entry. */
export {};
