import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';

/** A batch of encoded Raft messages from one member to another (proto navarch.peer.v1.MessageBatch). */
export interface MessageBatch {
  cluster_id: number;
  from: number;
  to: number;
  messages: Uint8Array[];
}

/** One chunk of a streamed snapshot (proto navarch.peer.v1.SnapshotChunk). */
export interface SnapshotChunk {
  cluster_id: number;
  from: number;
  to: number;
  header: Uint8Array;
  data: Uint8Array;
  last: boolean;
}

/** Answer to a Send or SendSnapshot stream. */
export interface SendResponse {
  received_batches: number;
}

/** A member as listed by ClusterInfo. */
export interface PeerMember {
  id: number;
  name: string;
  peer_urls: string[];
  client_urls: string[];
  is_learner: boolean;
}

/** Answer to ClusterInfo: which cluster a peer belongs to and its membership. */
export interface ClusterInfoResponse {
  cluster_id: number;
  member_id: number;
  members: PeerMember[];
}

/** Finds proto/ at the repository root whether running from src (tsx, vitest) or dist (node). */
function protoRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 8; i++) {
    if (existsSync(join(dir, 'proto', 'peer', 'raft.proto'))) return join(dir, 'proto');
    dir = dirname(dir);
  }
  throw new Error('cannot find proto/peer/raft.proto above the store package');
}

let cached: grpc.ServiceClientConstructor | undefined;

/** The generated RaftPeer service (client constructor; `.service` is the server definition). */
export function raftPeerService(): grpc.ServiceClientConstructor {
  if (cached) return cached;
  const definition = protoLoader.loadSync(join(protoRoot(), 'peer', 'raft.proto'), {
    keepCase: true,
    longs: Number,
    defaults: true,
    arrays: true,
  });
  const loaded = grpc.loadPackageDefinition(definition) as unknown as {
    navarch: { peer: { v1: { RaftPeer: grpc.ServiceClientConstructor } } };
  };
  cached = loaded.navarch.peer.v1.RaftPeer;
  return cached;
}

/** Turns `http://host:port` into the `host:port` target gRPC dials or binds. Throws on anything else. */
export function urlToTarget(url: string): string {
  const parsed = new URL(url);
  if (parsed.protocol !== 'http:')
    throw new Error(`unsupported scheme in ${url} (only http:// is supported)`);
  if (parsed.port === '') throw new Error(`URL ${url} has no port`);
  if (parsed.pathname !== '/' && parsed.pathname !== '') throw new Error(`URL ${url} must not have a path`);
  return parsed.host;
}
