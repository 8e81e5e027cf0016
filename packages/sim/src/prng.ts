/**
 * Seeded pseudo-random number generator: xoshiro128** seeded through splitmix32. One seed
 * determines every random choice of a simulation run (fault swarm, latencies, workload, and the
 * randomness Raft itself uses), which is what makes a failing seed a one-line reproduction.
 * 32-bit arithmetic only (Math.imul), so results are identical on every JavaScript engine.
 */

/** Largest seed accepted; seeds are non-negative safe integers so they print and parse exactly. */
export const MAX_SEED = Number.MAX_SAFE_INTEGER;

/** splitmix32 step: a well-mixed 32-bit output for each 32-bit input (used only for seeding). */
function splitmix32(state: number): { state: number; value: number } {
  const next = (state + 0x9e3779b9) | 0;
  let z = next;
  z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
  z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
  z ^= z >>> 16;
  return { state: next, value: z >>> 0 };
}

function rotl(x: number, k: number): number {
  return (x << k) | (x >>> (32 - k));
}

/**
 * A deterministic random stream. Invariant: the four state words are never all zero (xoshiro's one
 * fixed point), which seeding through splitmix32 guarantees in practice and the constructor checks.
 */
export class Prng {
  private s0: number;
  private s1: number;
  private s2: number;
  private s3: number;

  /** Seeds the generator; `seed` must be a non-negative safe integer. */
  constructor(seed: number) {
    if (!Number.isSafeInteger(seed) || seed < 0) {
      throw new RangeError(`seed must be a non-negative safe integer, got ${seed}`);
    }
    // Fold both halves of the 53-bit seed into the splitmix state so that seeds differing only in
    // their high bits still give different streams.
    const low = seed >>> 0;
    const high = Math.floor(seed / 0x1_0000_0000) >>> 0;
    let sm = low ^ Math.imul(high, 0x27d4eb2d);
    const words: number[] = [];
    for (let i = 0; i < 4; i++) {
      const r = splitmix32(sm);
      sm = r.state;
      words.push(r.value | 0);
    }
    this.s0 = words[0] ?? 1;
    this.s1 = words[1] ?? 0;
    this.s2 = words[2] ?? 0;
    this.s3 = words[3] ?? 0;
    if ((this.s0 | this.s1 | this.s2 | this.s3) === 0) this.s0 = 1;
  }

  /** Next 32-bit unsigned integer. */
  nextUint32(): number {
    const result = Math.imul(rotl(Math.imul(this.s1, 5), 7), 9);
    const t = this.s1 << 9;
    this.s2 ^= this.s0;
    this.s3 ^= this.s1;
    this.s1 ^= this.s2;
    this.s0 ^= this.s3;
    this.s2 ^= t;
    this.s3 = rotl(this.s3, 11);
    return result >>> 0;
  }

  /** Uniform float in [0, 1) with 32 bits of precision; the shape Raft's `Config.random` wants. */
  nextFloat(): number {
    return this.nextUint32() / 0x1_0000_0000;
  }

  /** Uniform integer in [0, bound); `bound` must be a positive integer below 2^32. */
  int(bound: number): number {
    if (!Number.isInteger(bound) || bound <= 0 || bound > 0x1_0000_0000) {
      throw new RangeError(`bound must be an integer in [1, 2^32], got ${bound}`);
    }
    // Rejection sampling removes modulo bias, so small ranges stay exactly uniform.
    const limit = 0x1_0000_0000 - (0x1_0000_0000 % bound);
    for (;;) {
      const x = this.nextUint32();
      if (x < limit) return x % bound;
    }
  }

  /** Uniform integer in [low, high] (both inclusive). */
  range(low: number, high: number): number {
    if (high < low) throw new RangeError(`empty range [${low}, ${high}]`);
    return low + this.int(high - low + 1);
  }

  /** True with probability `p` (p <= 0 never, p >= 1 always; neither consumes randomness). */
  chance(p: number): boolean {
    if (p <= 0) return false;
    if (p >= 1) return true;
    return this.nextFloat() < p;
  }

  /** A uniformly chosen element; throws on an empty array. */
  pick<T>(items: readonly T[]): T {
    if (items.length === 0) throw new RangeError('pick from an empty array');
    return items[this.int(items.length)] as T;
  }

  /** A new array with the items in uniformly random order (Fisher–Yates). */
  shuffle<T>(items: readonly T[]): T[] {
    const out = items.slice();
    for (let i = out.length - 1; i > 0; i--) {
      const j = this.int(i + 1);
      const tmp = out[i] as T;
      out[i] = out[j] as T;
      out[j] = tmp;
    }
    return out;
  }

  /**
   * An independent child stream derived from this one. Giving each subsystem (each Raft node, the
   * network, the workload) its own fork keeps their random choices from shifting one another when
   * one subsystem's consumption changes.
   */
  fork(): Prng {
    const child = new Prng(0);
    child.s0 = this.nextUint32() | 0;
    child.s1 = this.nextUint32() | 0;
    child.s2 = this.nextUint32() | 0;
    child.s3 = this.nextUint32() | 0;
    if ((child.s0 | child.s1 | child.s2 | child.s3) === 0) child.s0 = 1;
    return child;
  }

  /** A `() => number` in [0, 1) bound to this stream, for Raft's `Config.random`. */
  asRandom(): () => number {
    return () => this.nextFloat();
  }
}
