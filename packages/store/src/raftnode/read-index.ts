/**
 * Linearizable reads for the Raft driver: batches callers into ReadIndex rounds and releases them
 * once the state machine has applied up to the round's read index.
 *
 * One round serves every read queued before it started (etcd batches the same way); reads arriving
 * during a round wait for the next one, since they need a commit index at least as new as their
 * own call. A round whose answer never comes (its leader went away) is sent again after
 * `retryMs`, or at once on a leader change; each caller keeps its own deadline.
 */

/** What the batcher needs from its driver. */
export interface ReadIndexHost {
  /** Asks Raft for a read index tagged with `context`; may throw while there is no leader. */
  requestReadIndex(context: Uint8Array): void;
  /** The index the state machine has applied. */
  appliedIndex(): number;
  /** The error a caller gets when its deadline passes. */
  timeoutError(): Error;
}

interface ReadWaiter {
  resolve(): void;
  reject(err: Error): void;
  timer: NodeJS.Timeout;
}

/** Batches linearizable reads into ReadIndex rounds (see the module comment). */
export class ReadIndexBatcher {
  /** Reads waiting for the next round (they arrived after the current round started). */
  private queue: ReadWaiter[] = [];
  /** The round in flight: its context and its waiters. */
  private round: { context: string; waiters: ReadWaiter[]; retry: NodeJS.Timeout } | undefined;
  /** Reads whose read index is known, waiting for apply to reach it. */
  private awaitingApply: { index: number; waiters: ReadWaiter[] }[] = [];
  private counter = 0;
  private stopped = false;

  constructor(
    private readonly host: ReadIndexHost,
    /** Distinguishes this member's round contexts from other members'. */
    private readonly contextPrefix: string,
    private readonly timeoutMs: number,
    private readonly retryMs = 500,
  ) {}

  /** Resolves once every write committed before the call is applied here. */
  wait(signal?: AbortSignal): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      const waiter: ReadWaiter = {
        resolve,
        reject,
        timer: setTimeout(() => {
          this.drop(waiter);
          reject(this.host.timeoutError());
        }, this.timeoutMs),
      };
      signal?.addEventListener('abort', () => {
        this.drop(waiter);
        clearTimeout(waiter.timer);
        reject(signal.reason ?? new Error('aborted'));
      });
      this.queue.push(waiter);
      this.start();
    });
  }

  /** Raft answered a round: its reads wait for apply to reach `index`. */
  onReadState(index: number, contextBytes: Uint8Array): void {
    const round = this.round;
    if (!round || Buffer.from(contextBytes).toString('utf8') !== round.context) return;
    clearTimeout(round.retry);
    this.round = undefined;
    this.awaitingApply.push({ index, waiters: round.waiters });
    this.start();
  }

  /** Releases the reads whose read index the state machine has reached. */
  release(): void {
    if (this.awaitingApply.length === 0) return;
    const applied = this.host.appliedIndex();
    const still: { index: number; waiters: ReadWaiter[] }[] = [];
    for (const r of this.awaitingApply) {
      if (r.index <= applied) {
        for (const w of r.waiters) {
          clearTimeout(w.timer);
          w.resolve();
        }
      } else still.push(r);
    }
    this.awaitingApply = still;
  }

  /** A new leader: a round sent to the old one will never be answered, so send it again. */
  onLeaderChange(): void {
    if (this.round) this.retry();
  }

  /** Fails every read and takes no more rounds. */
  stop(err: Error): void {
    this.stopped = true;
    const waiters = [
      ...this.queue,
      ...(this.round?.waiters ?? []),
      ...this.awaitingApply.flatMap((r) => r.waiters),
    ];
    if (this.round) clearTimeout(this.round.retry);
    this.queue = [];
    this.round = undefined;
    this.awaitingApply = [];
    for (const w of waiters) {
      clearTimeout(w.timer);
      w.reject(err);
    }
  }

  private drop(waiter: ReadWaiter): void {
    this.queue = this.queue.filter((w) => w !== waiter);
    if (this.round) this.round.waiters = this.round.waiters.filter((w) => w !== waiter);
    for (const r of this.awaitingApply) r.waiters = r.waiters.filter((w) => w !== waiter);
  }

  private start(): void {
    if (this.round || this.queue.length === 0 || this.stopped) return;
    const waiters = this.queue;
    this.queue = [];
    this.counter += 1;
    const context = `${this.contextPrefix}:${this.counter}`;
    this.round = { context, waiters, retry: setTimeout(() => this.retry(), this.retryMs) };
    // Without a leader the request throws; the round stays pending and the retry timer (or the
    // next leader change) sends it again.
    this.host.requestReadIndex(Buffer.from(context, 'utf8'));
  }

  private retry(): void {
    const round = this.round;
    if (!round || this.stopped) return;
    clearTimeout(round.retry);
    this.round = undefined;
    this.queue = [...round.waiters, ...this.queue];
    this.start();
  }
}
