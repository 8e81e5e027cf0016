/**
 * Service ClusterIP and NodePort allocation. Each allocated IP or port is one key in the store
 * (`/registry/allocations/...`) whose value names the owning service; a service write puts its
 * allocation keys in the same transaction, with a compare that each key is absent, so two
 * concurrent creates can never share an address and a restart keeps every allocation.
 */
import { randomInt } from 'node:crypto';
import { ApiError, invalid } from './errors.js';
import type { KubeObject } from './objects.js';
import { type Compare, type KvStore, prefixEnd, type WriteOp } from './storage.js';

/** An IPv4 CIDR with the first and last usable addresses. */
export interface Ipv4Range {
  readonly base: number;
  readonly size: number;
  readonly text: string;
}

function ipToNumber(ip: string): number {
  const parts = ip.split('.').map(Number);
  if (parts.length !== 4 || parts.some((p) => !Number.isInteger(p) || p < 0 || p > 255)) {
    throw new ApiError(400, 'BadRequest', `invalid IPv4 address "${ip}"`, 'NAVARCH_ERR_BAD_IP');
  }
  return ((parts[0]! << 24) >>> 0) + (parts[1]! << 16) + (parts[2]! << 8) + parts[3]!;
}

/** Dotted-quad form of a 32-bit address. */
export function numberToIp(n: number): string {
  return [(n >>> 24) & 255, (n >>> 16) & 255, (n >>> 8) & 255, n & 255].join('.');
}

/** Parses `10.96.0.0/12`. */
export function parseCidr(text: string): Ipv4Range {
  const m = /^(\d+\.\d+\.\d+\.\d+)\/(\d+)$/.exec(text.trim());
  if (!m) throw new Error(`invalid CIDR "${text}"`);
  const bits = Number(m[2]);
  if (bits < 8 || bits > 30) throw new Error(`CIDR "${text}" must have a prefix length between 8 and 30`);
  const size = 2 ** (32 - bits);
  const base = Math.floor(ipToNumber(m[1]!) / size) * size;
  return { base, size, text };
}

/** Parses `30000-32767`. */
export function parsePortRange(text: string): { min: number; max: number } {
  const m = /^(\d+)-(\d+)$/.exec(text.trim());
  if (!m) throw new Error(`invalid port range "${text}"`);
  const min = Number(m[1]);
  const max = Number(m[2]);
  if (min < 1 || max > 65535 || min > max) throw new Error(`invalid port range "${text}"`);
  return { min, max };
}

const ipPrefix = '/registry/allocations/serviceips/';
const portPrefix = '/registry/allocations/servicenodeports/';

/** Allocation key of a ClusterIP. */
export function ipKey(ip: string): string {
  return `${ipPrefix}${ip}`;
}

/** Allocation key of a NodePort (per protocol, like Kubernetes). */
export function nodePortKey(port: number, protocol: string): string {
  return `${portPrefix}${protocol}/${port}`;
}

/** Picks free ClusterIPs and NodePorts; the caller commits them in the service's transaction. */
export class ServiceAllocator {
  constructor(
    private readonly kv: KvStore,
    readonly serviceRange: Ipv4Range,
    readonly nodePorts: { min: number; max: number },
  ) {}

  /** The first usable address (`.1`), reserved for the `kubernetes` service. */
  get apiServiceIp(): string {
    return numberToIp(this.serviceRange.base + 1);
  }

  /** Checks that `ip` lies inside the service range (network and broadcast excluded). */
  ipInRange(ip: string): boolean {
    const n = ipToNumber(ip);
    return n > this.serviceRange.base && n < this.serviceRange.base + this.serviceRange.size - 1;
  }

  private async taken(prefix: string): Promise<Set<string>> {
    const set = new Set<string>();
    let start = prefix;
    const end = prefixEnd(prefix);
    for (;;) {
      const page = await this.kv.range(start, end, 5000, 0);
      for (const kv of page.kvs) set.add(kv.key);
      if (!page.more || page.kvs.length === 0) return set;
      start = `${page.kvs[page.kvs.length - 1]!.key}\0`;
    }
  }

  /** A ClusterIP not currently allocated (the transaction's compare guards the race). */
  async pickIp(exclude: ReadonlySet<string>): Promise<string> {
    const taken = await this.taken(ipPrefix);
    const usable = this.serviceRange.size - 2;
    if (taken.size >= usable - 1) throw rangeFull('ClusterIP', this.serviceRange.text);
    for (let attempt = 0; attempt < 1000; attempt++) {
      // Skip .1: it belongs to the kubernetes service.
      const ip = numberToIp(this.serviceRange.base + 2 + randomInt(usable - 1));
      if (!taken.has(ipKey(ip)) && !exclude.has(ip)) return ip;
    }
    for (let n = this.serviceRange.base + 2; n < this.serviceRange.base + this.serviceRange.size - 1; n++) {
      const ip = numberToIp(n);
      if (!taken.has(ipKey(ip)) && !exclude.has(ip)) return ip;
    }
    throw rangeFull('ClusterIP', this.serviceRange.text);
  }

  /** A NodePort not currently allocated for `protocol`. */
  async pickNodePort(protocol: string, exclude: ReadonlySet<number>): Promise<number> {
    const taken = await this.taken(portPrefix);
    const count = this.nodePorts.max - this.nodePorts.min + 1;
    for (let attempt = 0; attempt < 200; attempt++) {
      const port = this.nodePorts.min + randomInt(count);
      if (!taken.has(nodePortKey(port, protocol)) && !exclude.has(port)) return port;
    }
    for (let port = this.nodePorts.min; port <= this.nodePorts.max; port++) {
      if (!taken.has(nodePortKey(port, protocol)) && !exclude.has(port)) return port;
    }
    throw rangeFull('NodePort', `${this.nodePorts.min}-${this.nodePorts.max}`);
  }

  /**
   * Adds compares and writes for the service's ClusterIP and NodePorts: new ones are claimed
   * (compare absent), ones the update drops are released; specified ones are checked.
   */
  async claim(
    obj: KubeObject,
    old: KubeObject | undefined,
    compares: Compare[],
    writes: WriteOp[],
  ): Promise<void> {
    obj.spec ??= {};
    const spec = obj.spec;
    const oldSpec = old?.spec ?? {};
    const owner = Buffer.from(`${obj.metadata.namespace}/${obj.metadata.name}`);
    const type = String(spec.type ?? 'ClusterIP');
    if (type === 'ExternalName') {
      delete spec.clusterIP;
    } else if (old !== undefined) {
      if (spec.clusterIP === undefined || spec.clusterIP === '') spec.clusterIP = oldSpec.clusterIP;
      if (spec.clusterIP !== oldSpec.clusterIP) {
        throw invalid('Service', '', obj.metadata.name ?? '', [
          {
            reason: 'FieldValueInvalid',
            message: 'Invalid value: field is immutable',
            field: 'spec.clusterIP',
          },
        ]);
      }
    } else if (spec.clusterIP === 'None') {
      // headless: no address
    } else if (typeof spec.clusterIP === 'string' && spec.clusterIP !== '') {
      if (!this.ipInRange(spec.clusterIP)) {
        throw invalid('Service', '', obj.metadata.name ?? '', [
          {
            reason: 'FieldValueInvalid',
            message: `Invalid value: "${spec.clusterIP}": provided IP is not in the valid range. The range of valid IPs is ${this.serviceRange.text}`,
            field: 'spec.clusterIPs',
          },
        ]);
      }
      if (await this.kv.get(ipKey(spec.clusterIP))) {
        throw invalid('Service', '', obj.metadata.name ?? '', [
          {
            reason: 'FieldValueInvalid',
            message: `Invalid value: "${spec.clusterIP}": provided IP is already allocated`,
            field: 'spec.clusterIPs',
          },
        ]);
      }
      compares.push({ key: ipKey(spec.clusterIP), target: 'mod', equals: 0 });
      writes.push({ put: ipKey(spec.clusterIP), value: owner });
    } else {
      const ip = await this.pickIp(new Set());
      spec.clusterIP = ip;
      compares.push({ key: ipKey(ip), target: 'mod', equals: 0 });
      writes.push({ put: ipKey(ip), value: owner });
    }
    if (typeof spec.clusterIP === 'string') spec.clusterIPs = [spec.clusterIP];
    if (type !== 'ExternalName') {
      spec.ipFamilies ??= ['IPv4'];
      spec.ipFamilyPolicy ??= 'SingleStack';
      spec.internalTrafficPolicy ??= 'Cluster';
    }
    const wantsNodePorts = type === 'NodePort' || type === 'LoadBalancer';
    if (wantsNodePorts) spec.externalTrafficPolicy ??= 'Cluster';
    const oldPorts = (Array.isArray(oldSpec.ports) ? oldSpec.ports : []) as Record<string, unknown>[];
    const oldKeys = new Set<string>();
    for (const p of oldPorts) {
      if (typeof p.nodePort === 'number') oldKeys.add(nodePortKey(p.nodePort, String(p.protocol ?? 'TCP')));
    }
    const newKeys = new Set<string>();
    const ports = (Array.isArray(spec.ports) ? spec.ports : []) as Record<string, unknown>[];
    const used = new Set<number>();
    const requested = new Set<string>();
    for (const p of ports) {
      const protocol = String(p.protocol ?? 'TCP');
      if (!wantsNodePorts) {
        delete p.nodePort;
        continue;
      }
      if (p.nodePort === undefined) {
        const before = oldPorts.find((o) => o.port === p.port && String(o.protocol ?? 'TCP') === protocol);
        if (typeof before?.nodePort === 'number') p.nodePort = before.nodePort;
      }
      if (p.nodePort === undefined) p.nodePort = await this.pickNodePort(protocol, used);
      else if (typeof p.nodePort === 'number') requested.add(nodePortKey(p.nodePort, protocol));
      const port = Number(p.nodePort);
      if (!Number.isInteger(port) || port < this.nodePorts.min || port > this.nodePorts.max) {
        throw invalid('Service', '', obj.metadata.name ?? '', [
          {
            reason: 'FieldValueInvalid',
            message: `Invalid value: ${port}: provided port is not in the valid range. The range of valid ports is ${this.nodePorts.min}-${this.nodePorts.max}`,
            field: 'spec.ports[].nodePort',
          },
        ]);
      }
      used.add(port);
      newKeys.add(nodePortKey(port, protocol));
    }
    for (const k of newKeys) {
      if (oldKeys.has(k)) continue;
      if (requested.has(k) && (await this.kv.get(k))) {
        throw invalid('Service', '', obj.metadata.name ?? '', [
          {
            reason: 'FieldValueInvalid',
            message: `Invalid value: ${k.slice(k.lastIndexOf('/') + 1)}: provided port is already allocated`,
            field: 'spec.ports[].nodePort',
          },
        ]);
      }
      compares.push({ key: k, target: 'mod', equals: 0 });
      writes.push({ put: k, value: owner });
    }
    for (const k of oldKeys) if (!newKeys.has(k)) writes.push({ delete: k });
  }

  /** Keys a service's deletion releases. */
  releases(obj: KubeObject): WriteOp[] {
    const spec = obj.spec ?? {};
    const out: WriteOp[] = [];
    if (typeof spec.clusterIP === 'string' && spec.clusterIP !== 'None' && spec.clusterIP !== '')
      out.push({ delete: ipKey(spec.clusterIP) });
    for (const p of (Array.isArray(spec.ports) ? spec.ports : []) as Record<string, unknown>[]) {
      if (typeof p.nodePort === 'number')
        out.push({ delete: nodePortKey(p.nodePort, String(p.protocol ?? 'TCP')) });
    }
    return out;
  }
}

function rangeFull(what: string, range: string): ApiError {
  return new ApiError(500, 'InternalError', `no ${what} is free in ${range}`, 'NAVARCH_ERR_RANGE_FULL');
}
