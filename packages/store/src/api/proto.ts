/**
 * Loads Navarch's etcd v3 .proto files (proto/etcd) for @grpc/grpc-js.
 *
 * Representation at the edge: int64/uint64 fields are decoded as decimal strings (`longs: String`)
 * because lease ids (and ids clients send) may use all 64 bits; the services convert revisions to
 * `number` (etcd revisions stay far below 2^53) and keep lease ids as canonical decimal strings.
 * Encoding accepts numbers or decimal strings. Enums are their names; bytes are Buffers; defaults
 * are filled in; `oneofs` adds the name of the set member of each oneof.
 */
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';

/** Loader options used for the etcd protocol (see the file comment). */
export const ETCD_PROTO_LOADER_OPTIONS: protoLoader.Options = {
  keepCase: true,
  longs: String,
  enums: String,
  defaults: true,
  oneofs: true,
};

/** Directory holding rpc.proto, kv.proto and auth.proto (from src/api or dist/api alike). */
export function etcdProtoDirectory(): string {
  let directory = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 6; i++) {
    const candidate = join(directory, 'proto', 'etcd');
    if (existsSync(join(candidate, 'rpc.proto'))) return candidate;
    directory = dirname(directory);
  }
  throw new Error('cannot find proto/etcd/rpc.proto above the @navarch/store package');
}

/** The service definitions of the etcdserverpb package. */
export interface EtcdServiceDefinitions {
  KV: grpc.ServiceDefinition;
  Watch: grpc.ServiceDefinition;
  Lease: grpc.ServiceDefinition;
  Cluster: grpc.ServiceDefinition;
  Maintenance: grpc.ServiceDefinition;
  /** Client constructors, for tests and benchmarks. */
  clients: Record<'KV' | 'Watch' | 'Lease' | 'Cluster' | 'Maintenance', grpc.ServiceClientConstructor>;
}

let cached: EtcdServiceDefinitions | null = null;

/** Loads (once) and returns the etcd service definitions. */
export function loadEtcdServices(): EtcdServiceDefinitions {
  if (cached !== null) return cached;
  const directory = etcdProtoDirectory();
  const definition = protoLoader.loadSync(['rpc.proto'], {
    ...ETCD_PROTO_LOADER_OPTIONS,
    includeDirs: [directory],
  });
  const loaded = grpc.loadPackageDefinition(definition) as unknown as {
    etcdserverpb: Record<'KV' | 'Watch' | 'Lease' | 'Cluster' | 'Maintenance', grpc.ServiceClientConstructor>;
  };
  const pkg = loaded.etcdserverpb;
  cached = {
    KV: pkg.KV.service,
    Watch: pkg.Watch.service,
    Lease: pkg.Lease.service,
    Cluster: pkg.Cluster.service,
    Maintenance: pkg.Maintenance.service,
    clients: pkg,
  };
  return cached;
}
