/** @navarch/store public entry. */
export {};
