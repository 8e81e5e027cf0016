import { Counter, Gauge, Histogram, Registry } from 'prom-client';

/**
 * The store member's Prometheus metrics, etcd-shaped names under `navarch_store_`
 * (etcd_server_has_leader becomes navarch_store_has_leader, and so on).
 *
 * One instance per member, registered in that member's own Registry (never the global one)
 * so that several members in one process (tests, `navarch server`) do not collide.
 */
export class StoreMetrics {
  /** The registry these metrics live in; `/metrics` serves it. */
  readonly registry: Registry;
  /** 1 when this member knows a leader, else 0. */
  readonly hasLeader: Gauge;
  /** 1 when this member is the leader, else 0. */
  readonly isLeader: Gauge;
  /** Leader changes seen by this member since it started. */
  readonly leaderChangesSeen: Counter;
  /** Index of the last committed entry (etcd keeps the name ending in _total for a gauge). */
  readonly proposalsCommitted: Gauge;
  /** Index of the last applied entry. */
  readonly proposalsApplied: Gauge;
  /** Proposals made on this member and not yet applied. */
  readonly proposalsPending: Gauge;
  /** Proposals that failed (dropped, timed out, leader lost). */
  readonly proposalsFailed: Counter;
  /** Latency of the one synced LevelDB batch written per Ready (the WAL fsync in etcd). */
  readonly walFsyncDurationSeconds: Histogram;
  /** Latency of state-machine commits to the backend. */
  readonly backendCommitDurationSeconds: Histogram;
  /** Approximate size of the LevelDB database on disk. */
  readonly dbTotalSizeInBytes: Gauge;
  /** Bytes sent to each peer, label To (peer member id in hex like etcd). */
  readonly peerSentBytes: Counter<'To'>;
  /** Bytes received from each peer, label From. */
  readonly peerReceivedBytes: Counter<'From'>;
  /** Raft messages dropped because a peer's bounded send queue was full or the peer unreachable. */
  readonly peerDroppedMessages: Counter<'To'>;
  /** Snapshots sent to peers, by outcome. */
  readonly snapshotsSent: Counter<'To' | 'outcome'>;
  /** Local snapshots taken (log compactions). */
  readonly snapshotsTaken: Counter;
  /** Client gRPC requests handled, by method and status code (grpc-go naming). */
  readonly grpcServerHandled: Counter<'grpc_type' | 'grpc_service' | 'grpc_method' | 'grpc_code'>;

  constructor(registry: Registry = new Registry()) {
    this.registry = registry;
    const registers = [registry];
    const latencyBuckets = [
      0.0005, 0.001, 0.002, 0.004, 0.008, 0.016, 0.032, 0.064, 0.128, 0.256, 0.512, 1.024,
    ];
    this.hasLeader = new Gauge({
      name: 'navarch_store_has_leader',
      help: 'Whether a leader exists (1) or not (0).',
      registers,
    });
    this.isLeader = new Gauge({
      name: 'navarch_store_is_leader',
      help: 'Whether this member is the leader.',
      registers,
    });
    this.leaderChangesSeen = new Counter({
      name: 'navarch_store_leader_changes_seen_total',
      help: 'Number of leader changes seen.',
      registers,
    });
    this.proposalsCommitted = new Gauge({
      name: 'navarch_store_proposals_committed_total',
      help: 'Raft index of the last committed entry.',
      registers,
    });
    this.proposalsApplied = new Gauge({
      name: 'navarch_store_proposals_applied_total',
      help: 'Raft index of the last applied entry.',
      registers,
    });
    this.proposalsPending = new Gauge({
      name: 'navarch_store_proposals_pending',
      help: 'Proposals made here and not yet applied.',
      registers,
    });
    this.proposalsFailed = new Counter({
      name: 'navarch_store_proposals_failed_total',
      help: 'Proposals that failed.',
      registers,
    });
    this.walFsyncDurationSeconds = new Histogram({
      name: 'navarch_store_wal_fsync_duration_seconds',
      help: 'Latency of the synced Raft log batch written per Ready.',
      buckets: latencyBuckets,
      registers,
    });
    this.backendCommitDurationSeconds = new Histogram({
      name: 'navarch_store_backend_commit_duration_seconds',
      help: 'Latency of applying committed entries to the backend.',
      buckets: latencyBuckets,
      registers,
    });
    this.dbTotalSizeInBytes = new Gauge({
      name: 'navarch_store_db_total_size_in_bytes',
      help: 'Approximate size of the LevelDB database on disk.',
      registers,
    });
    this.peerSentBytes = new Counter({
      name: 'navarch_store_network_peer_sent_bytes_total',
      help: 'Bytes sent to peers.',
      labelNames: ['To'],
      registers,
    });
    this.peerReceivedBytes = new Counter({
      name: 'navarch_store_network_peer_received_bytes_total',
      help: 'Bytes received from peers.',
      labelNames: ['From'],
      registers,
    });
    this.peerDroppedMessages = new Counter({
      name: 'navarch_store_network_peer_dropped_messages_total',
      help: 'Raft messages dropped on the way to a peer (queue full or peer unreachable).',
      labelNames: ['To'],
      registers,
    });
    this.snapshotsSent = new Counter({
      name: 'navarch_store_network_snapshot_send_total',
      help: 'Snapshots streamed to peers, by outcome.',
      labelNames: ['To', 'outcome'],
      registers,
    });
    this.snapshotsTaken = new Counter({
      name: 'navarch_store_snapshots_taken_total',
      help: 'Local snapshots taken (each compacts the Raft log).',
      registers,
    });
    this.grpcServerHandled = new Counter({
      name: 'navarch_store_grpc_server_handled_total',
      help: 'Client gRPC requests completed, by method and code.',
      labelNames: ['grpc_type', 'grpc_service', 'grpc_method', 'grpc_code'],
      registers,
    });
  }
}

/** Formats a member id like etcd does in labels and logs: lowercase hex. */
export function memberIdHex(id: number): string {
  return id.toString(16);
}
