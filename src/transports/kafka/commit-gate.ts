/** After a refused commit, how long the next waits when no completed join opens the gate sooner (ms). */
const holdAfterFailureMs = 1_000

/**
 * Whether a consumer group member may commit offsets now without setting off another rebalance.
 *
 * The client library answers a commit the coordinator refuses during a rebalance by joining the
 * group again on its own. When that join reaches the coordinator after the rebalance is over and
 * the member leads the group, the coordinator starts a new rebalance — in which the next refused
 * commit does the same. Under load, with commits going out every 100 ms, that loop does not end:
 * the group rebalances at every heartbeat, and each rebalance restarts the consume stream's offset
 * refresh, so no fetch goes out and the group's partitions stall (seen in the fault suite's
 * rebalance scenario). So commits wait while this member rebalances — from the heartbeat's news of
 * a rebalance, or from a new generation taken in a join, until the join completes — and for a
 * moment after a refused commit, unless a completed join opens the gate first.
 *
 * @example
 * ```ts
 * const gate = new CommitGate(() => consumer.generationId)
 * consumer.on('consumer:group:rebalance', () => gate.rebalancing())
 * consumer.on('consumer:group:join', ({ generationId }) => gate.joined(generationId))
 * if (gate.open) await consumer.commit({ offsets })
 * ```
 */
export class CommitGate {
  /** Reads the generation the member holds now; `undefined` where the protocol has none (KIP-848). */
  readonly #generation: () => number | undefined
  /** The generation of the last completed join. */
  #joined: number | undefined
  /** True until the member's next completed join — and so before its first: a member that has not joined commits nothing. */
  #rebalancing = true
  #heldUntil = 0

  constructor(generation: () => number | undefined) {
    this.#generation = generation
  }

  /** The coordinator said a rebalance is under way: commits wait for the member's next completed join. */
  rebalancing(): void {
    this.#rebalancing = true
  }

  /** The member completed a join in `generation` (`undefined` for KIP-848's group protocol). */
  joined(generation: number | undefined): void {
    this.#joined = generation
    this.#rebalancing = false
    this.#heldUntil = 0
  }

  /** A commit was refused: the next waits a moment, or for a completed join. */
  failed(now = Date.now()): void {
    this.#heldUntil = now + holdAfterFailureMs
  }

  /** True when a commit now would not land in the middle of this member's rebalance. */
  get open(): boolean {
    if (this.#rebalancing || Date.now() < this.#heldUntil) return false
    // A join under way has already taken the new generation: its commit would be refused.
    return this.#generation() === this.#joined
  }
}
