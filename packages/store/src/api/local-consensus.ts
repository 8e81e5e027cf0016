/**
 * A single-process {@link Consensus} test double: it applies every proposal at once to its state
 * machine, as a one-member cluster whose log is never persisted (the state machine persists its own
 * state). It exists to test the API side without Raft; it is not a product path.
 */
import {
  type Consensus,
  ConsensusError,
  ConsensusErrorCode,
  type ConsensusStatus,
  type MemberInfo,
  type StateMachine,
} from '../consensus.js';

/** Options of {@link LocalConsensus}. */
export interface LocalConsensusOptions {
  memberId?: number;
  clusterId?: number;
  name?: string;
  clientUrls?: string[];
  peerUrls?: string[];
}

/** See the file comment: a one-member consensus that applies proposals immediately. */
export class LocalConsensus implements Consensus {
  private readonly memberList: MemberInfo[];
  private readonly memberId: number;
  private readonly clusterId: number;
  private nextMemberId: number;
  private readonly listeners = new Set<(leaderId: number, isLocalLeader: boolean) => void>();
  private stopped = false;

  constructor(
    private readonly stateMachine: StateMachine,
    options: LocalConsensusOptions = {},
  ) {
    this.memberId = options.memberId ?? 0x1234;
    this.clusterId = options.clusterId ?? 0x5678;
    this.nextMemberId = this.memberId + 1;
    this.memberList = [
      {
        id: this.memberId,
        name: options.name ?? 'local',
        peerUrls: options.peerUrls ?? ['http://127.0.0.1:2380'],
        clientUrls: options.clientUrls ?? [],
        isLearner: false,
      },
    ];
  }

  /** Sets the local member's client URLs (known only once the server listens). */
  setClientUrls(urls: string[]): void {
    const self = this.memberList[0];
    if (self !== undefined) self.clientUrls = urls;
  }

  /** Makes every later call fail with Stopped. */
  stop(): void {
    this.stopped = true;
  }

  private check(): void {
    if (this.stopped) throw new ConsensusError(ConsensusErrorCode.Stopped, 'consensus stopped');
  }

  async propose(request: Uint8Array): Promise<Uint8Array> {
    this.check();
    return this.stateMachine.apply(this.stateMachine.appliedIndex() + 1, request, true);
  }

  async readIndex(): Promise<void> {
    this.check();
  }

  status(): ConsensusStatus {
    const index = this.stateMachine.appliedIndex();
    return {
      memberId: this.memberId,
      clusterId: this.clusterId,
      leaderId: this.stopped ? 0 : this.memberId,
      raftTerm: 1,
      raftIndex: index,
      raftAppliedIndex: index,
      isLearner: false,
    };
  }

  members(): MemberInfo[] {
    return this.memberList.map((member) => ({
      ...member,
      peerUrls: [...member.peerUrls],
      clientUrls: [...member.clientUrls],
    }));
  }

  private find(id: number): MemberInfo {
    const member = this.memberList.find((candidate) => candidate.id === id);
    if (member === undefined) throw new ConsensusError(ConsensusErrorCode.MemberNotFound, 'member not found');
    return member;
  }

  async addMember(peerUrls: string[], isLearner: boolean): Promise<MemberInfo> {
    this.check();
    if (this.memberList.some((member) => member.peerUrls.some((url) => peerUrls.includes(url)))) {
      throw new ConsensusError(ConsensusErrorCode.PeerUrlExists, 'peer URLs already exist');
    }
    const member: MemberInfo = {
      id: this.nextMemberId++,
      name: '',
      peerUrls: [...peerUrls],
      clientUrls: [],
      isLearner,
    };
    this.memberList.push(member);
    return { ...member };
  }

  async removeMember(id: number): Promise<void> {
    this.check();
    this.find(id);
    if (id === this.memberId)
      throw new ConsensusError(ConsensusErrorCode.Unhealthy, 'cannot remove the only member');
    this.memberList.splice(
      this.memberList.findIndex((member) => member.id === id),
      1,
    );
  }

  async promoteMember(id: number): Promise<void> {
    this.check();
    const member = this.find(id);
    if (!member.isLearner) throw new ConsensusError(ConsensusErrorCode.MemberNotLearner, 'not a learner');
    throw new ConsensusError(ConsensusErrorCode.LearnerNotReady, 'a local learner never catches up');
  }

  async updateMember(id: number, peerUrls: string[]): Promise<void> {
    this.check();
    this.find(id).peerUrls = [...peerUrls];
  }

  async moveLeader(targetId: number): Promise<void> {
    this.check();
    if (targetId !== this.memberId) {
      throw new ConsensusError(ConsensusErrorCode.BadLeaderTransferee, 'bad leader transferee');
    }
  }

  onLeaderChange(listener: (leaderId: number, isLocalLeader: boolean) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }
}
