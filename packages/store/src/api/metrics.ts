/**
 * Metrics of the etcd API side, registered in the member's registry next to the Raft side's
 * (etcd-shaped names under navarch_store_): MVCC state, watchers and their bounded buffers, leases.
 */
import { Counter, Gauge, type Registry } from 'prom-client';
import type { MvccStore } from '../mvcc/store.js';
import type { WatchHub } from '../watch/hub.js';

/** The API side's metrics; gauges read the live state when scraped. */
export class EtcdApiMetrics {
  /** Watchers cancelled because their client read too slowly (etcd: slow watchers). */
  readonly slowWatchersCancelled: Counter;
  /** Events waiting in watch stream send buffers, summed over streams. */
  readonly watchQueuedEvents: Gauge;
  /** Watch streams open. */
  readonly watchStreams: Gauge;

  constructor(registry: Registry, store: MvccStore, hub: WatchHub) {
    const registers = [registry];
    this.slowWatchersCancelled = new Counter({
      name: 'navarch_store_slow_watchers_cancelled_total',
      help: 'Watchers cancelled because their watch stream buffer overflowed.',
      registers,
    });
    this.watchQueuedEvents = new Gauge({
      name: 'navarch_store_watch_stream_queued_events',
      help: 'Live events queued in watch stream send buffers.',
      registers,
    });
    this.watchStreams = new Gauge({
      name: 'navarch_store_watch_streams',
      help: 'Open watch streams.',
      registers,
    });
    new Gauge({
      name: 'navarch_store_watchers',
      help: 'Active watchers.',
      registers,
      collect() {
        this.set(hub.size);
      },
    });
    new Gauge({
      name: 'navarch_store_mvcc_current_revision',
      help: 'Current MVCC revision.',
      registers,
      collect() {
        this.set(store.currentRevision());
      },
    });
    new Gauge({
      name: 'navarch_store_mvcc_compact_revision',
      help: 'Revision the MVCC history is compacted to.',
      registers,
      collect() {
        this.set(store.compactRevision());
      },
    });
    new Gauge({
      name: 'navarch_store_mvcc_db_total_size_in_use_in_bytes',
      help: 'Bytes of MVCC state in use (the quota measure).',
      registers,
      collect() {
        this.set(store.sizeBytes());
      },
    });
    new Gauge({
      name: 'navarch_store_leases',
      help: 'Leases granted and not revoked.',
      registers,
      collect() {
        this.set(store.leaseIds().length);
      },
    });
  }
}
