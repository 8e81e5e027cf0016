/** navctl's own version, printed by `navctl version` (kept in step with package.json). */
export const NAVCTL_VERSION = 'v0.1.0';
