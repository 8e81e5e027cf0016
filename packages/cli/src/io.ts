/**
 * Where navctl writes. Commands write through `io` rather than to process streams directly so
 * that tests can run the whole CLI in-process and capture its output.
 */

/** The output sinks of one run. */
export interface Io {
  out: (text: string) => void;
  err: (text: string) => void;
  /** Whether stdout is a terminal (colours in cluster-info). */
  isTty: () => boolean;
}

/** The sinks in effect; `runCli` swaps them for the duration of a captured run. */
export const io: Io = {
  out: (text) => {
    process.stdout.write(text);
  },
  err: (text) => {
    process.stderr.write(text);
  },
  isTty: () => process.stdout.isTTY === true,
};
