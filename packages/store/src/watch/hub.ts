/**
 * The watch hub: delivers the MVCC store's changes to watchers. A watcher created with a start
 * revision at or below the current one first gets the history since then (catch-up) and then the live
 * changes, with no gap and no duplicate: both happen synchronously between two applies. A start
 * revision below the compact revision is refused like etcd does (the caller answers with
 * compact_revision).
 */
import type { MvccStore } from '../mvcc/store.js';
import type { MvccEvent } from '../mvcc/types.js';

/** What a watcher watches. `rangeEnd` follows the range rules (empty: one key; [0]: all keys >= key). */
export interface WatchSpec {
  key: Buffer;
  rangeEnd: Buffer;
  /** First revision to deliver; <= 0 means "after the current revision". */
  startRevision: number;
  prevKv: boolean;
  /** Drop PUT events (etcd's NOPUT filter). */
  noPut: boolean;
  /** Drop DELETE events (etcd's NODELETE filter). */
  noDelete: boolean;
}

/** A batch of events for one watcher; `revision` is the store revision the batch is current to. */
export interface WatchBatch {
  revision: number;
  events: MvccEvent[];
  /** True for history delivered at creation (or after a restore), false for live changes. */
  catchUp: boolean;
}

/** A registered watcher; `cancel` stops delivery. */
export interface Watcher {
  readonly spec: WatchSpec;
  cancel(): void;
}

/** Default events per catch-up batch; a revision is never split across batches. */
const DEFAULT_CATCH_UP_BATCH_EVENTS = 1000;

interface Registration {
  spec: WatchSpec;
  /** Next revision to deliver. */
  nextRevision: number;
  deliver: (batch: WatchBatch) => void;
  /** Called instead of `deliver` when history this watcher still needs was compacted (after a restore). */
  compacted: (compactRevision: number) => void;
}

function matches(spec: WatchSpec, key: Buffer): boolean {
  if (spec.rangeEnd.length === 0) return key.equals(spec.key);
  if (Buffer.compare(key, spec.key) < 0) return false;
  if (spec.rangeEnd.length === 1 && spec.rangeEnd[0] === 0) return true;
  return Buffer.compare(key, spec.rangeEnd) < 0;
}

function shape(spec: WatchSpec, event: MvccEvent): MvccEvent | null {
  if (spec.noPut && event.type === 'PUT') return null;
  if (spec.noDelete && event.type === 'DELETE') return null;
  return spec.prevKv ? event : { type: event.type, kv: event.kv, prevKv: null };
}

/** Delivers MVCC changes to watchers. One hub per store. */
export class WatchHub {
  private readonly registrations = new Set<Registration>();

  /** `catchUpBatchEvents`: events per history batch (a revision is never split). Default 1000. */
  constructor(
    private readonly store: MvccStore,
    private readonly catchUpBatchEvents = DEFAULT_CATCH_UP_BATCH_EVENTS,
  ) {
    store.onChange((revision, events) => this.dispatch(revision, events));
    store.onRestore(() => this.resync());
  }

  /** Number of active watchers (a gauge for /metrics). */
  get size(): number {
    return this.registrations.size;
  }

  /**
   * Registers a watcher. Returns 'compacted' (and registers nothing) when `spec.startRevision` is
   * below the compact revision. Catch-up batches are delivered synchronously before this returns.
   */
  watch(
    spec: WatchSpec,
    deliver: (batch: WatchBatch) => void,
    compacted: (compactRevision: number) => void,
  ): Watcher | 'compacted' {
    const current = this.store.currentRevision();
    const start = spec.startRevision > 0 ? spec.startRevision : current + 1;
    if (start < this.store.compactRevision()) return 'compacted';
    const registration: Registration = { spec, nextRevision: start, deliver, compacted };
    if (start <= current) this.catchUp(registration);
    this.registrations.add(registration);
    return {
      spec,
      cancel: () => {
        this.registrations.delete(registration);
      },
    };
  }

  private catchUp(registration: Registration): void {
    const { spec } = registration;
    const current = this.store.currentRevision();
    const history = this.store.eventsSince(spec.key, spec.rangeEnd, registration.nextRevision);
    let batch: MvccEvent[] = [];
    let lastRevision = 0;
    for (const { revision, event } of history) {
      if (batch.length >= this.catchUpBatchEvents && revision !== lastRevision) {
        registration.deliver({ revision: current, events: batch, catchUp: true });
        batch = [];
      }
      lastRevision = revision;
      const shaped = shape(spec, event);
      if (shaped !== null) batch.push(shaped);
    }
    if (batch.length > 0) registration.deliver({ revision: current, events: batch, catchUp: true });
    registration.nextRevision = current + 1;
  }

  private dispatch(revision: number, events: MvccEvent[]): void {
    for (const registration of this.registrations) {
      if (revision < registration.nextRevision) continue;
      registration.nextRevision = revision + 1;
      let selected: MvccEvent[] | null = null;
      for (const event of events) {
        if (!matches(registration.spec, event.kv.key)) continue;
        const shaped = shape(registration.spec, event);
        if (shaped === null) continue;
        if (selected === null) selected = [];
        selected.push(shaped);
      }
      if (selected !== null) registration.deliver({ revision, events: selected, catchUp: false });
    }
  }

  /** After a snapshot restore, every watcher catches up from where it was, or learns it was compacted. */
  private resync(): void {
    const compactRevision = this.store.compactRevision();
    for (const registration of [...this.registrations]) {
      if (registration.nextRevision < compactRevision) {
        this.registrations.delete(registration);
        registration.compacted(compactRevision);
      } else if (registration.nextRevision <= this.store.currentRevision()) {
        this.catchUp(registration);
      }
    }
  }
}
