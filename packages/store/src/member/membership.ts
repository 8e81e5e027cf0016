import { createHash } from 'node:crypto';
import type { ConfChange, ConfState } from '@navarch/raft';
import type { MemberInfo } from '../consensus.js';
import { StoreError, StoreErrorCode } from '../raftnode/errors.js';
import { decodeJsonRecord, encodeJsonRecord } from '../storage/codec.js';
import type { StoreDatabase } from '../storage/raft-log.js';

/** What a configuration-change entry carries about the member it adds (JSON in ConfChange.context). */
export interface MemberContext {
  name: string;
  peerUrls: string[];
  clientUrls: string[];
  /** Local proposal id of the proposer, so that it can answer its caller; 0 when none. */
  proposer: number;
  requestId: number;
}

/** The replicated membership image carried in snapshots and persisted locally. */
export interface MembershipImage {
  members: MemberInfo[];
  removed: number[];
}

type MembersSublevel = ReturnType<StoreDatabase['sublevel']> & {
  put(key: string, value: Uint8Array, options?: { sync?: boolean }): Promise<void>;
};

const MEMBERS_KEY = 'members';
const IDENTITY_KEY = 'identity';

/** Largest id we hand out: ids are uint64 on etcd's wire but must stay exact as JS numbers. */
const MAX_ID = 2 ** 53 - 1;

/** A stable id below 2^53 from the hash of some strings (etcd hashes peer URLs and the cluster token). */
export function hashId(...parts: string[]): number {
  const digest = createHash('sha256').update(parts.join('\u0000')).digest();
  const id = (digest.readUInt32BE(0) & 0x1f_ffff) * 0x1_0000_0000 + digest.readUInt32BE(4);
  return id === 0 ? 1 : Math.min(id, MAX_ID);
}

/** etcd's rule: a member id comes from its sorted peer URLs, the cluster token, and (when added later) a time. */
export function computeMemberId(peerUrls: string[], clusterToken: string, salt = ''): number {
  return hashId([...peerUrls].sort().join(','), clusterToken, salt);
}

/** The cluster id of a new cluster: a hash of every member id (like etcd), so every member computes the same. */
export function computeClusterId(memberIds: number[]): number {
  return hashId(...[...memberIds].sort((a, b) => a - b).map(String));
}

/** Who a data directory belongs to; written once when the directory is created. */
export interface DataDirIdentity {
  clusterId: number;
  memberId: number;
  name: string;
}

/**
 * The cluster membership as applied from the Raft log (conf changes and member updates), kept in
 * memory and in the `members` sublevel. Removed ids are remembered so that a removed member's
 * messages are refused.
 */
export class Membership {
  private readonly byId = new Map<number, MemberInfo>();
  private readonly removedIds = new Set<number>();

  private constructor(private readonly sublevel: MembersSublevel) {}

  /** Loads the membership persisted in `db` (empty for a new data dir). */
  static async open(db: StoreDatabase): Promise<Membership> {
    const sublevel = db.sublevel<string, Uint8Array>('members', {
      valueEncoding: 'view',
    }) as unknown as MembersSublevel;
    const membership = new Membership(sublevel);
    const record = await sublevel.get(MEMBERS_KEY);
    if (record !== undefined) membership.restore(decodeJsonRecord(record as Uint8Array) as MembershipImage);
    return membership;
  }

  /** Reads the identity of the data dir, if any. */
  static async readIdentity(db: StoreDatabase): Promise<DataDirIdentity | undefined> {
    const sublevel = db.sublevel<string, Uint8Array>('members', { valueEncoding: 'view' });
    const record = await sublevel.get(IDENTITY_KEY);
    if (record === undefined) return undefined;
    const value = decodeJsonRecord(record as Uint8Array) as Partial<DataDirIdentity>;
    if (
      typeof value.clusterId !== 'number' ||
      typeof value.memberId !== 'number' ||
      typeof value.name !== 'string'
    )
      throw new StoreError(StoreErrorCode.Corrupt, 'data dir identity record has a bad shape');
    return { clusterId: value.clusterId, memberId: value.memberId, name: value.name };
  }

  /** Records the identity of a new data dir, synced. */
  static async writeIdentity(db: StoreDatabase, identity: DataDirIdentity): Promise<void> {
    const sublevel = db.sublevel<string, Uint8Array>('members', {
      valueEncoding: 'view',
    }) as unknown as MembersSublevel;
    await sublevel.put(IDENTITY_KEY, encodeJsonRecord(identity), { sync: true });
  }

  /** Members sorted by id. */
  list(): MemberInfo[] {
    return [...this.byId.values()]
      .sort((a, b) => a.id - b.id)
      .map((m) => ({ ...m, peerUrls: [...m.peerUrls], clientUrls: [...m.clientUrls] }));
  }

  get(id: number): MemberInfo | undefined {
    return this.byId.get(id);
  }

  isRemoved(id: number): boolean {
    return this.removedIds.has(id);
  }

  /** The replicated image (for snapshots). */
  image(): MembershipImage {
    return { members: this.list(), removed: [...this.removedIds].sort((a, b) => a - b) };
  }

  /** Replaces everything with `image` (a received snapshot or the persisted copy). */
  restore(image: MembershipImage): void {
    this.byId.clear();
    this.removedIds.clear();
    for (const m of image.members ?? []) {
      this.byId.set(m.id, {
        id: m.id,
        name: m.name,
        peerUrls: [...m.peerUrls],
        clientUrls: [...m.clientUrls],
        isLearner: m.isLearner,
      });
    }
    for (const id of image.removed ?? []) this.removedIds.add(id);
  }

  /** Seeds the initial cluster (bootstrap of a new cluster): every member a voter. */
  seed(members: MemberInfo[]): void {
    for (const m of members) this.byId.set(m.id, { ...m });
  }

  /** Applies a committed conf change; idempotent when replayed in order. */
  applyConfChange(change: ConfChange, context: MemberContext | undefined, confState: ConfState): void {
    switch (change.type) {
      case 'addNode':
      case 'addLearnerNode': {
        const existing = this.byId.get(change.nodeId);
        this.removedIds.delete(change.nodeId);
        this.byId.set(change.nodeId, {
          id: change.nodeId,
          name: existing?.name ?? context?.name ?? '',
          peerUrls: context?.peerUrls ?? existing?.peerUrls ?? [],
          clientUrls: existing?.clientUrls ?? context?.clientUrls ?? [],
          isLearner: confState.learners.includes(change.nodeId),
        });
        break;
      }
      case 'removeNode':
        this.byId.delete(change.nodeId);
        this.removedIds.add(change.nodeId);
        break;
    }
  }

  /** Applies a published name and client URLs (etcd's member attributes). */
  setAttributes(id: number, name: string, clientUrls: string[]): void {
    const member = this.byId.get(id);
    if (!member) return;
    member.name = name;
    member.clientUrls = [...clientUrls];
  }

  /** Replaces a member's peer URLs (MemberUpdate). */
  setPeerUrls(id: number, peerUrls: string[]): void {
    const member = this.byId.get(id);
    if (member) member.peerUrls = [...peerUrls];
  }

  /**
   * Writes the membership (not synced: LevelDB keeps write order, and the state machine's synced
   * flush or the next synced Raft batch makes it durable; replaying the log rebuilds it anyway).
   */
  async persist(): Promise<void> {
    await this.sublevel.put(MEMBERS_KEY, encodeJsonRecord(this.image()), { sync: false });
  }
}
