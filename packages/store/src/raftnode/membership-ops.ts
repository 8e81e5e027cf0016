/**
 * Membership operations of the Raft driver, as etcd's Cluster API defines them: add, remove,
 * promote and update a member, publish this member's attributes, move the leadership; plus the
 * cluster description peers ask for, and keeping the peer transport in step with the membership.
 *
 * Invariants:
 * - Every check etcd makes before proposing a change is made here, with etcd's error messages,
 *   before anything reaches Raft; the change itself happens when its entry is applied (apply.ts),
 *   on every member alike, and a call resolves once it is applied on this member.
 * - The transport knows exactly the other members that have peer URLs (see {@link syncPeers}).
 */
import { type ConfChange, encodeConfChange, NONE, type RawNode } from '@navarch/raft';
import { ConsensusError, ConsensusErrorCode, type MemberInfo } from '../consensus.js';
import { computeMemberId, type MemberContext, type Membership } from '../member/membership.js';
import type { RaftLogStorage } from '../storage/raft-log.js';
import type { ClusterInfoResponse } from '../transport/peer-proto.js';
import type { PeerTransport } from '../transport/peer-transport.js';
import { EnvelopeKind, encodeJsonEnvelope, proposalKey } from './envelope.js';
import type { LeaderWatch } from './leader.js';
import { mapProposeError, type ProposalTracker } from './proposals.js';

/** Points the transport at every other member's peer URLs and drops peers no longer members. */
export function syncPeers(memberId: number, membership: Membership, transport: PeerTransport): void {
  const members = membership.list();
  const known = new Set<number>();
  for (const m of members) {
    if (m.id === memberId) continue;
    known.add(m.id);
    if (m.peerUrls.length > 0) transport.setPeer(m.id, m.peerUrls);
  }
  for (const id of transport.peers()) if (!known.has(id)) transport.removePeer(id);
}

/** The answer to a peer's ClusterInfo request: ids and membership as this member knows them. */
export function clusterInfo(
  clusterId: number,
  memberId: number,
  membership: Membership,
): ClusterInfoResponse {
  return {
    cluster_id: clusterId,
    member_id: memberId,
    members: membership.list().map((m) => ({
      id: m.id,
      name: m.name,
      peer_urls: m.peerUrls,
      client_urls: m.clientUrls,
      is_learner: m.isLearner,
    })),
  };
}

/** What the membership operations need from their driver; objects are shared, not copied. */
export interface MembershipOpsDependencies {
  memberId: number;
  /** Cluster token used to derive ids of members added later. */
  clusterToken: string;
  /** How long moveLeader waits for the new leader. */
  requestTimeoutMs: number;
  membership: Membership;
  transport: PeerTransport;
  storage: RaftLogStorage;
  rawNode: RawNode;
  proposals: ProposalTracker;
  leader: LeaderWatch;
  /** Proposes through `propose` once a leader is known and resolves when the entry is applied here. */
  proposeAndWait(key: string, propose: () => void, signal: AbortSignal | undefined): Promise<Uint8Array>;
  /** Throws "server stopped" once the driver stopped or this member was removed. */
  checkUsable(): void;
  /** Gets the Ready loop running. */
  schedule(): void;
}

/** The membership operations of the Consensus interface (see the module comment). */
export class MembershipOperations {
  private readonly deps: MembershipOpsDependencies;

  constructor(deps: MembershipOpsDependencies) {
    this.deps = deps;
  }

  private validateUrls(peerUrls: string[]): void {
    const ok =
      peerUrls.length > 0 &&
      peerUrls.every((url) => {
        try {
          const u = new URL(url);
          return (u.protocol === 'http:' || u.protocol === 'https:') && u.port !== '';
        } catch {
          return false;
        }
      });
    if (!ok)
      throw new ConsensusError(ConsensusErrorCode.MemberBadUrls, 'etcdserver: given member URLs are invalid');
  }

  private async proposeConfChange(
    change: Omit<ConfChange, 'context'>,
    context: Omit<MemberContext, 'proposer' | 'requestId'>,
  ): Promise<void> {
    const { memberId, proposals, rawNode } = this.deps;
    const requestId = proposals.newRequestId();
    const full: MemberContext = { ...context, proposer: memberId, requestId };
    const cc: ConfChange = { ...change, context: Buffer.from(JSON.stringify(full), 'utf8') };
    encodeConfChange(cc); // validates the change before it is proposed
    await this.deps.proposeAndWait(
      proposalKey(memberId, requestId),
      () => rawNode.proposeConfChange(cc),
      undefined,
    );
  }

  /** Consensus.addMember: a new voter or learner at `peerUrls`, with an id derived from them. */
  async addMember(peerUrls: string[], isLearner: boolean): Promise<MemberInfo> {
    this.validateUrls(peerUrls);
    const { membership } = this.deps;
    const members = membership.list();
    const taken = new Set(members.flatMap((m) => m.peerUrls));
    if (peerUrls.some((url) => taken.has(url)))
      throw new ConsensusError(ConsensusErrorCode.PeerUrlExists, 'etcdserver: Peer URLs already exists');
    if (isLearner && members.filter((m) => m.isLearner).length >= 1)
      throw new ConsensusError(
        ConsensusErrorCode.TooManyLearners,
        'etcdserver: too many learner members in cluster',
      );
    const id = computeMemberId(peerUrls, this.deps.clusterToken, String(Date.now()));
    await this.proposeConfChange(
      { type: isLearner ? 'addLearnerNode' : 'addNode', nodeId: id },
      { name: '', peerUrls, clientUrls: [] },
    );
    const added = membership.get(id);
    return added ? { ...added } : { id, name: '', peerUrls, clientUrls: [], isLearner };
  }

  /** Consensus.removeMember; on the leader, refuses to remove a voter if that would lose quorum. */
  async removeMember(id: number): Promise<void> {
    const { memberId, membership, transport } = this.deps;
    const member = membership.get(id);
    if (!member) throw new ConsensusError(ConsensusErrorCode.MemberNotFound, 'etcdserver: member not found');
    if (!member.isLearner && this.deps.leader.id === memberId) {
      // Strict reconfiguration check (etcd's default): removing a voter must leave a quorum of
      // the remaining voters connected to the leader.
      const voters = membership.list().filter((m) => !m.isLearner && m.id !== id);
      const active = voters.filter((m) => m.id === memberId || transport.isConnected(m.id)).length;
      if (active < Math.floor(voters.length / 2) + 1)
        throw new ConsensusError(ConsensusErrorCode.Unhealthy, 'etcdserver: unhealthy cluster');
    }
    await this.proposeConfChange(
      { type: 'removeNode', nodeId: id },
      { name: member.name, peerUrls: member.peerUrls, clientUrls: member.clientUrls },
    );
  }

  /** Consensus.promoteMember; on the leader, refuses a learner that lags behind. */
  async promoteMember(id: number): Promise<void> {
    const { memberId, membership, leader } = this.deps;
    const member = membership.get(id);
    if (!member) throw new ConsensusError(ConsensusErrorCode.MemberNotFound, 'etcdserver: member not found');
    if (!member.isLearner)
      throw new ConsensusError(
        ConsensusErrorCode.MemberNotLearner,
        'etcdserver: can only promote a learner member',
      );
    if (leader.id === memberId) {
      // etcd's rule: the learner's match index must be within 90% of the leader's.
      const progress = this.deps.rawNode.status().progress.find((p) => p.id === id);
      const leaderMatch = this.deps.storage.lastIndex();
      if (!progress || progress.match < leaderMatch * 0.9)
        throw new ConsensusError(
          ConsensusErrorCode.LearnerNotReady,
          'etcdserver: can only promote a learner member which is in sync with leader',
        );
    } else if (leader.id === NONE) {
      throw new ConsensusError(ConsensusErrorCode.NoLeader, 'etcdserver: no leader');
    }
    await this.proposeConfChange(
      { type: 'addNode', nodeId: id },
      { name: member.name, peerUrls: member.peerUrls, clientUrls: member.clientUrls },
    );
  }

  /** Consensus.updateMember: new peer URLs for member `id` (a normal entry, not a conf change). */
  async updateMember(id: number, peerUrls: string[]): Promise<void> {
    this.validateUrls(peerUrls);
    const { memberId, membership, proposals, rawNode } = this.deps;
    if (!membership.get(id))
      throw new ConsensusError(ConsensusErrorCode.MemberNotFound, 'etcdserver: member not found');
    const taken = new Set(
      membership
        .list()
        .filter((m) => m.id !== id)
        .flatMap((m) => m.peerUrls),
    );
    if (peerUrls.some((url) => taken.has(url)))
      throw new ConsensusError(ConsensusErrorCode.PeerUrlExists, 'etcdserver: Peer URLs already exists');
    const requestId = proposals.newRequestId();
    const data = encodeJsonEnvelope(EnvelopeKind.MemberUpdate, {
      id,
      peerUrls,
      proposer: memberId,
      requestId,
    });
    await this.deps.proposeAndWait(proposalKey(memberId, requestId), () => rawNode.propose(data), undefined);
  }

  /** Publishes this member's name and client URLs to the cluster (etcd does this right after start). */
  async publishAttributes(name: string, clientUrls: string[]): Promise<void> {
    const data = encodeJsonEnvelope(EnvelopeKind.MemberAttributes, {
      id: this.deps.memberId,
      name,
      clientUrls,
    });
    this.deps.checkUsable();
    await this.deps.leader.wait(undefined);
    this.deps.rawNode.propose(data);
    this.deps.schedule();
  }

  /** Consensus.moveLeader: asks Raft to transfer the leadership and waits until `targetId` leads. */
  async moveLeader(targetId: number): Promise<void> {
    const { memberId, leader } = this.deps;
    if (leader.id !== memberId)
      throw new ConsensusError(ConsensusErrorCode.NotLeader, 'etcdserver: not leader');
    const target = this.deps.membership.get(targetId);
    if (!target || target.isLearner)
      throw new ConsensusError(ConsensusErrorCode.BadLeaderTransferee, 'etcdserver: bad leader transferee');
    if (targetId === memberId) return;
    try {
      this.deps.rawNode.transferLeader(targetId);
    } catch (err) {
      throw mapProposeError(err);
    }
    this.deps.schedule();
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => {
        unsubscribe();
        reject(
          new ConsensusError(
            ConsensusErrorCode.Timeout,
            'etcdserver: request timed out, leader transfer took too long',
          ),
        );
      }, this.deps.requestTimeoutMs);
      const unsubscribe = leader.subscribe((leaderId) => {
        if (leaderId !== targetId) return;
        clearTimeout(timer);
        unsubscribe();
        resolve();
      });
    });
  }
}
