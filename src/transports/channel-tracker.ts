import type { ChannelHealth, ChannelState } from '../core/channel-health.ts'
import type { KafkaIpcError } from '../core/kafka-ipc-error.ts'

/**
 * Keeps one channel's {@link ChannelHealth} and reports each change of state exactly once, so a
 * failover that takes forty retries is two lines in a log ("recovering", "consuming again"), not
 * forty. Failures while already recovering only update `lastError`.
 */
export class ChannelTracker {
  readonly #name: string
  readonly #onState: (health: ChannelHealth) => void
  #state: ChannelState = 'starting'
  #since = Date.now()
  #lastError: KafkaIpcError | undefined
  #recoveries = 0
  #lastRecoveryMs: number | undefined

  constructor(name: string, onState: ((health: ChannelHealth) => void) | undefined) {
    this.#name = name
    this.#onState = onState ?? (() => undefined)
  }

  get state(): ChannelState {
    return this.#state
  }

  health(): ChannelHealth {
    return { name: this.#name, state: this.#state, since: this.#since, lastError: this.#lastError, recoveries: this.#recoveries, lastRecoveryMs: this.#lastRecoveryMs }
  }

  /** The channel consumes (again). Returns how long the recovery took, if it was one. */
  consuming(): number | undefined {
    if (this.#state === 'consuming' || this.#state === 'closed') return undefined
    const recovered = this.#state === 'recovering' ? Date.now() - this.#since : undefined
    if (recovered !== undefined) {
      this.#recoveries++
      this.#lastRecoveryMs = recovered
    }
    this.#set('consuming')
    return recovered
  }

  /** The channel stopped by itself; true on the first failure of an episode (the caller starts recovery). */
  failed(error: KafkaIpcError): boolean {
    if (this.#state === 'closed') return false
    this.#lastError = error
    if (this.#state === 'recovering') return false
    this.#set('recovering')
    return true
  }

  closed(): void {
    if (this.#state !== 'closed') this.#set('closed')
  }

  #set(state: ChannelState): void {
    this.#state = state
    this.#since = Date.now()
    this.#onState(this.health())
  }
}
