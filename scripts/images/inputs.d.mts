/** Types of inputs.mjs for the TypeScript tests (test/e2e/images-inputs.test.ts). */

/** Parses deb822 `.sources` text into one-line `deb URI SUITE COMPONENTS` entries. */
export function parseDeb822Sources(text: string): string[];
/** The host's apt sources as one-line `deb URI SUITE COMPONENTS` entries. */
export function readAptSources(): string[];
/** The Debian bookworm archives among apt source entries (no third-party repositories). */
export function debianSources(sources?: readonly string[]): string[];
/** The Debian mirror for debootstrap: the URI of the first `bookworm` main-archive entry. */
export function debianMirror(sources?: readonly string[]): string;
