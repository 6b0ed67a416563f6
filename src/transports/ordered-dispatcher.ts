import { LeaveUncommitted } from '../core/transport.ts'

/** What the dispatcher needs to know of a record: where it sits and its ordering key. */
export interface Positioned {
  readonly topic: string
  readonly partition: number
  readonly offset: bigint
  readonly key: string | undefined
}

/** Called with the last record of a partition's finished prefix: commit past it. */
export type CommitCallback<T> = (record: T) => void

interface PartitionProgress<T> {
  /** Records handed out and not yet committed, in arrival (offset) order. */
  readonly pending: T[]
  readonly finished: Set<bigint>
}

/**
 * Runs a subscription's handler with Kafka's ordering promise kept and nothing more serialised:
 * records with the same key in the same partition run one after another, everything else runs
 * concurrently, at most `maxInFlight` at once. Offsets are committed only up to the first record
 * not yet finished, so a crash never skips a record (at-least-once).
 *
 * Keyless records carry no ordering promise and run as soon as there is room.
 */
export class OrderedDispatcher<T extends Positioned> {
  readonly #maxInFlight: number
  readonly #handler: (record: T) => Promise<void>
  readonly #onCommit: CommitCallback<T>
  readonly #keyChains = new Map<string, Promise<void>>()
  readonly #progress = new Map<string, PartitionProgress<T>>()
  readonly #idle: (() => void)[] = []
  readonly #room: (() => void)[] = []
  #inFlight = 0

  constructor(maxInFlight: number, handler: (record: T) => Promise<void>, onCommit: CommitCallback<T>) {
    this.#maxInFlight = maxInFlight
    this.#handler = handler
    this.#onCommit = onCommit
  }

  /** Records accepted and not yet finished. */
  get inFlight(): number {
    return this.#inFlight
  }

  /** Accepts a record; resolves when there is room for the next one (backpressure). */
  async push(message: T): Promise<void> {
    const partitionId = `${message.topic}\0${message.partition}`
    let progress = this.#progress.get(partitionId)
    if (progress === undefined) {
      progress = { pending: [], finished: new Set() }
      this.#progress.set(partitionId, progress)
    }
    progress.pending.push(message)
    this.#inFlight++
    const run = async (): Promise<void> => {
      let consumed = true
      try {
        await this.#handler(message)
      } catch (error) {
        // The handler reports its own failures; the record is still consumed, so one bad record
        // cannot stall its partition forever — unless the handler says it is not done with it.
        if (error instanceof LeaveUncommitted) consumed = false
      } finally {
        this.#finish(message, partitionId, consumed)
      }
    }
    if (message.key === undefined) {
      void run()
    } else {
      const chainKey = `${partitionId}\0${message.key}`
      const previous = this.#keyChains.get(chainKey) ?? Promise.resolve()
      const next = previous.then(run)
      this.#keyChains.set(chainKey, next)
      void next.then(() => {
        if (this.#keyChains.get(chainKey) === next) this.#keyChains.delete(chainKey)
      })
    }
    if (this.#inFlight >= this.#maxInFlight) {
      await new Promise<void>((resolve) => this.#room.push(resolve))
    }
  }

  /** Resolves once every accepted record has finished. */
  async drain(): Promise<void> {
    if (this.#inFlight === 0) return
    await new Promise<void>((resolve) => this.#idle.push(resolve))
  }

  #finish(message: T, partitionId: string, consumed: boolean): void {
    this.#inFlight--
    const progress = this.#progress.get(partitionId)
    // A record left uncommitted stays at the head of its partition's pending list: nothing past it
    // is committed, and the partition's next owner reads it again.
    if (progress !== undefined && consumed) {
      progress.finished.add(message.offset)
      let committable: T | undefined
      for (let head = progress.pending[0]; head !== undefined && progress.finished.has(head.offset); head = progress.pending[0]) {
        progress.pending.shift()
        progress.finished.delete(head.offset)
        committable = head
      }
      if (committable !== undefined) this.#onCommit(committable)
    }
    if (this.#inFlight < this.#maxInFlight) this.#room.shift()?.()
    if (this.#inFlight === 0) for (const resolve of this.#idle.splice(0)) resolve()
  }
}
