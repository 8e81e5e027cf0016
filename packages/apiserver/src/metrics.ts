/**
 * The API server's Prometheus metrics, named as Kubernetes names them. A private registry, so
 * several servers can live in one process (tests) and the embedded store can merge its own.
 */
import { Counter, Gauge, Histogram, Registry } from 'prom-client';

/** All metrics of one API server. */
export class ApiServerMetrics {
  readonly registry = new Registry();
  readonly requests = new Counter({
    name: 'apiserver_request_total',
    help: 'Requests by verb, group, version, resource, subresource and HTTP code.',
    labelNames: ['verb', 'group', 'version', 'resource', 'subresource', 'code'],
    registers: [this.registry],
  });
  readonly duration = new Histogram({
    name: 'apiserver_request_duration_seconds',
    help: 'Request latency in seconds by verb, group, version, resource and subresource (watches excluded).',
    labelNames: ['verb', 'group', 'version', 'resource', 'subresource'],
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.2, 0.4, 0.6, 0.8, 1, 2, 5, 10, 30, 60],
    registers: [this.registry],
  });
  readonly inflight = new Gauge({
    name: 'apiserver_current_inflight_requests',
    help: 'Requests being served now, by kind (readOnly or mutating).',
    labelNames: ['request_kind'],
    registers: [this.registry],
  });
  readonly storageObjects = new Gauge({
    name: 'apiserver_storage_objects',
    help: 'Objects stored per resource (from the watch cache).',
    labelNames: ['resource'],
    registers: [this.registry],
  });
  readonly watchers = new Gauge({
    name: 'apiserver_registered_watchers',
    help: 'Open HTTP watches per group, version and kind.',
    labelNames: ['group', 'version', 'kind'],
    registers: [this.registry],
  });
  readonly watchCacheEvents = new Gauge({
    name: 'apiserver_watch_cache_events',
    help: 'Events retained in the watch cache history per resource (bounded by --watch-cache-size).',
    labelNames: ['resource'],
    registers: [this.registry],
  });
  readonly watchBufferedBytes = new Gauge({
    name: 'apiserver_watch_buffered_bytes',
    help: 'Bytes written to HTTP watches that clients have not taken yet, summed over watchers (each bounded by --watcher-buffer-max-bytes).',
    registers: [this.registry],
  });
  readonly slowWatchersClosed = new Counter({
    name: 'apiserver_watch_slow_watchers_closed_total',
    help: 'Watches closed because the client did not keep up and its buffer filled.',
    registers: [this.registry],
  });
  readonly watchEventsSent = new Counter({
    name: 'apiserver_watch_events_total',
    help: 'Watch events written to HTTP watchers, by kind.',
    labelNames: ['kind'],
    registers: [this.registry],
  });
}
