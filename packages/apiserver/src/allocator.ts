/**
 * Service ClusterIP and NodePort allocation. Each allocated IP or port is one key in the store
 * (`/registry/allocations/...`) whose value names the owning service; a service write puts its
 * allocation keys in the same transaction, with a compare that each key is absent, so two
 * concurrent creates can never share an address and a restart keeps every allocation.
 */
import { randomInt } from 'node:crypto';
import { ApiError } from './errors.js';
import type { KvStore } from './storage.js';
import { prefixEnd } from './storage.js';

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
}

function rangeFull(what: string, range: string): ApiError {
  return new ApiError(500, 'InternalError', `no ${what} is free in ${range}`, 'NAVARCH_ERR_RANGE_FULL');
}
