import { type HandlingWatcher, isToldHandling, LeaveUncommitted } from '../core/transport.ts'
import { IdTable } from '../core/id-table.ts'

/** What the dispatcher needs to know of a record: where it sits and its ordering key. */
export interface Positioned {
  readonly topic: string
  readonly partition: number
  readonly offset: bigint
  readonly key: string | undefined
}

/** Called with the last record of a partition's finished prefix: commit past it. */
export type CommitCallback<T> = (record: T) => void

/** How much a dispatcher runs at once. */
export interface DispatchLimits<T> {
  /** Records started and not finished (running, or waiting behind an earlier record of their key). */
  readonly maxInFlight: number
  /** Bytes of those records, as `sizeOf` counts them. A record larger than this still runs, alone. */
  readonly maxInFlightBytes?: number
  /** What a record counts for against `maxInFlightBytes` and in {@link OrderedDispatcher.buffered}. */
  readonly sizeOf?: (record: T) => number
  /** Asked when a queued record gets its turn: false drops it unrun and uncommitted (its partition went to another member). */
  readonly stillWanted?: (record: T) => boolean
}

/** Records a dispatcher holds — queued or started, not finished — and their bytes. */
export interface Held {
  readonly records: number
  readonly bytes: number
}

/**
 * A record taken, with what it counts for, and whether its handler has finished with it. A class,
 * not a literal: it lives as long as its record is handled, and V8 would allocate a literal's later
 * objects in the old generation, each keeping its young record alive until the next full
 * collection (core/protocol/outgoing-record.ts). It is also the watcher a handling that tells is
 * told its end by (ToldHandling): the entry the dispatcher keeps anyway, so that a request whose
 * reply is on its way costs the dispatcher no promise, closure or reaction.
 */
class Taken<T> implements HandlingWatcher {
  readonly record: T
  readonly bytes: number
  done = false
  /** Its partition's progress, which its end moves on. */
  readonly progress: PartitionProgress<T>
  readonly #finishing: Finishing<T>

  constructor(record: T, bytes: number, progress: PartitionProgress<T>, finishing: Finishing<T>) {
    this.record = record
    this.bytes = bytes
    this.progress = progress
    this.#finishing = finishing
  }

  handled(): void {
    this.#finishing.finish(this, true)
  }

  /**
   * The handler reports its own failures; the record is still consumed, so one bad record cannot
   * stall its partition forever — unless the handler says it is not done with it.
   */
  failed(error: unknown): void {
    this.#finishing.finish(this, !(error instanceof LeaveUncommitted))
  }
}

/** How a taken record is finished: its dispatcher's, made once. */
interface Finishing<T> {
  finish(taken: Taken<T>, consumed: boolean): void
}

interface PartitionProgress<T> {
  /**
   * Records started and not yet committed, in arrival (offset) order, each marked done when its
   * handler finishes — a flag on the entry, not a set of finished offsets whose table would grow
   * and shrink with every record.
   */
  readonly pending: Taken<T>[]
}

/**
 * Runs a subscription's handler with Kafka's ordering promise kept and nothing more serialised:
 * records with the same key in the same partition run one after another, everything else runs
 * concurrently, at most `maxInFlight` records (and `maxInFlightBytes`) at once. Offsets are
 * committed only up to the first record not yet finished, so a crash never skips a record
 * (at-least-once).
 *
 * A record taken while there is no room waits in a queue, in arrival order, and is counted in
 * {@link buffered} with the rest: the caller stops fetching while the dispatcher is
 * {@link saturated}, so the queue holds at most what one fetch brought.
 *
 * Keyless records carry no ordering promise and run as soon as there is room.
 */
export class OrderedDispatcher<T extends Positioned> {
  readonly #maxInFlight: number
  readonly #maxInFlightBytes: number
  readonly #sizeOf: (record: T) => number
  readonly #stillWanted: ((record: T) => boolean) | undefined
  readonly #handler: (record: T) => PromiseLike<void> | undefined
  readonly #finishing: Finishing<T> = {
    finish: (taken, consumed) => {
      this.#finish(taken, consumed)
    },
  }
  readonly #onCommit: CommitCallback<T>
  /**
   * The last handling of each ordering key still running. An IdTable, not a Map: every keyed
   * record adds and deletes its key's chain, and a Map's rehashes would keep finished records and
   * their handlings alive into the old generation (core/id-table.ts).
   */
  readonly #keyChains = new IdTable<Promise<void>>()
  /** Per topic, each partition's progress, indexed by partition number: no key string built per record. */
  readonly #progress = new Map<string, PartitionProgress<T>[]>()
  /** Records taken while there was no room, in arrival order. */
  #queue: Taken<T>[] = []
  readonly #idle: (() => void)[] = []
  readonly #room: (() => void)[] = []
  #started = 0
  #startedBytes = 0
  #queuedBytes = 0
  /** True while #startQueued walks the queue. */
  #startingQueued = false

  /** @param limits `maxInFlight` alone, or the full {@link DispatchLimits}. */
  constructor(limits: number | DispatchLimits<T>, handler: (record: T) => PromiseLike<void> | undefined, onCommit: CommitCallback<T>) {
    const { maxInFlight, maxInFlightBytes = Number.POSITIVE_INFINITY, sizeOf = () => 0, stillWanted } = typeof limits === 'number' ? { maxInFlight: limits } : limits
    this.#maxInFlight = maxInFlight
    this.#maxInFlightBytes = maxInFlightBytes
    this.#sizeOf = sizeOf
    this.#stillWanted = stillWanted
    this.#handler = handler
    this.#onCommit = onCommit
  }

  /** Records taken and not yet finished: started or queued. */
  get inFlight(): number {
    return this.#started + this.#queue.length
  }

  /** Records and bytes held: started or queued, not finished. */
  get buffered(): Held {
    return { records: this.inFlight, bytes: this.#startedBytes + this.#queuedBytes }
  }

  /** True while a record taken now would have to wait: fetching more only fills the queue. */
  get saturated(): boolean {
    return this.#queue.length > 0 || this.#started >= this.#maxInFlight || this.#startedBytes >= this.#maxInFlightBytes
  }

  /** Accepts a record: starts it when there is room, else queues it. Never waits. */
  take(record: T): void {
    const taken = new Taken(record, this.#sizeOf(record), this.#progressOf(record), this.#finishing)
    if (this.#queue.length === 0 && this.#fits(taken.bytes)) {
      this.#start(taken)
      return
    }
    this.#queue.push(taken)
    this.#queuedBytes += taken.bytes
  }

  /** Accepts a record; resolves when there is room for the next one (backpressure). */
  async push(record: T): Promise<void> {
    this.take(record)
    await this.room()
  }

  /** Resolves once the dispatcher is not {@link saturated}. */
  async room(): Promise<void> {
    if (!this.saturated) return
    await new Promise<void>((resolve) => this.#room.push(resolve))
  }

  /**
   * Forgets the queued records, which never started: nothing past them is committed, so the
   * partition's next owner reads them again. A closing subscription finishes what runs, not
   * what it fetched ahead.
   */
  discardQueued(): void {
    this.#queue = []
    this.#queuedBytes = 0
    this.#settled()
  }

  /** Resolves once every accepted record has finished. */
  async drain(): Promise<void> {
    if (this.inFlight === 0) return
    await new Promise<void>((resolve) => this.#idle.push(resolve))
  }

  #fits(bytes: number): boolean {
    // An empty dispatcher takes any record, however large: otherwise it would never run.
    return this.#started === 0 || (this.#started < this.#maxInFlight && this.#startedBytes + bytes <= this.#maxInFlightBytes)
  }

  #start(taken: Taken<T>): void {
    const message = taken.record
    taken.progress.pending.push(taken)
    this.#started++
    this.#startedBytes += taken.bytes
    if (message.key === undefined) {
      void this.#run(taken, false)
    } else {
      const chainKey = `${message.topic}\0${String(message.partition)}\0${message.key}`
      const previous = this.#keyChains.get(chainKey) ?? Promise.resolve()
      const next = previous.then(() => this.#run(taken, true))
      this.#keyChains.set(chainKey, next)
      void next.then(() => {
        if (this.#keyChains.get(chainKey) === next) this.#keyChains.delete(chainKey)
      })
    }
  }

  #progressOf(record: T): PartitionProgress<T> {
    let partitions = this.#progress.get(record.topic)
    if (partitions === undefined) {
      partitions = []
      this.#progress.set(record.topic, partitions)
    }
    return (partitions[record.partition] ??= { pending: [] })
  }

  /**
   * Runs the handler on one record and finishes it — at once when the handler finished it
   * synchronously (returned undefined or threw), when it is told by a handling that tells
   * (ToldHandling), else when its promise settles. A record handled at once costs no promise, no
   * async frame and no microtask here; one whose handling tells, no promise or closure.
   */
  #run(taken: Taken<T>, chained: boolean): PromiseLike<void> | undefined {
    let running: PromiseLike<void> | undefined
    try {
      running = this.#handler(taken.record)
    } catch (error) {
      taken.failed(error)
      return undefined
    }
    if (running === undefined) {
      taken.handled()
      return undefined
    }
    if (isToldHandling(running)) {
      running.watch(taken)
      // A keyed record's successor waits for it, whether it was handled or failed; nothing waits for a keyless one.
      return chained ? running.then(noop, noop) : undefined
    }
    return running.then(
      () => {
        taken.handled()
      },
      (error: unknown) => {
        taken.failed(error)
      },
    )
  }

  #finish(taken: Taken<T>, consumed: boolean): void {
    const { progress } = taken
    this.#started--
    this.#startedBytes -= taken.bytes
    // A record left uncommitted stays at the head of its partition's pending list: nothing past it
    // is committed, and the partition's next owner reads it again.
    if (consumed) {
      taken.done = true
      let committable: T | undefined
      for (let head = progress.pending[0]; head?.done === true; head = progress.pending[0]) {
        progress.pending.shift()
        committable = head.record
      }
      if (committable !== undefined) this.#onCommit(committable)
    }
    this.#startQueued()
    this.#settled()
  }

  /**
   * Starts queued records, in arrival order, while they fit. A record handled synchronously
   * finishes inside its start and asks for this again: that inner call returns at once and this
   * loop goes on, so a long queue of such records is walked, not recursed through.
   */
  #startQueued(): void {
    if (this.#startingQueued) return
    this.#startingQueued = true
    try {
      for (let entry = this.#queue[0]; entry !== undefined && this.#fits(entry.bytes); entry = this.#queue[0]) {
        this.#queue.shift()
        this.#queuedBytes -= entry.bytes
        if (this.#stillWanted?.(entry.record) === false) this.#dropQueued(entry.record)
        else this.#start(entry)
      }
    } finally {
      this.#startingQueued = false
    }
  }

  /**
   * Drops every queued record of `record`'s partition at once: starting a later one, should the
   * partition come back before its turn, would commit past the dropped ones.
   */
  #dropQueued(record: T): void {
    const kept = this.#queue.filter((entry) => entry.record.topic !== record.topic || entry.record.partition !== record.partition)
    this.#queue = kept
    this.#queuedBytes = kept.reduce((sum, entry) => sum + entry.bytes, 0)
  }

  /** Wakes whoever waits for room or for the dispatcher to go idle. */
  #settled(): void {
    // Looked at before splice(0), which makes an array even when nobody waits: this runs per record.
    if (this.#room.length > 0 && !this.saturated) for (const resolve of this.#room.splice(0)) resolve()
    if (this.#idle.length > 0 && this.inFlight === 0) for (const resolve of this.#idle.splice(0)) resolve()
  }
}

/** Nothing, as a reaction: a keyed record's successor waits for its end, not its outcome. */
function noop(): void {}
