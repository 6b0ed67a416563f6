// The parent's side of bench/scale-out.ts's child processes: fork one, ask it something and await
// the answer of the expected type, stop it. Each child is a separate OS process with its own event
// loop, Kafka connections and inbox — as the instances of a fleet are.
import { type ChildProcess, fork } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import type { FromChild, ToChild } from './scale-messages.ts'

/** A message of type `T` from a child. */
type Reply<T extends FromChild['type']> = Extract<FromChild, { type: T }>

/** One forked child program, spoken to over IPC. */
export class ScaleChild {
  readonly #process: ChildProcess
  readonly #waiting: { readonly type: FromChild['type']; readonly resolve: (message: FromChild) => void }[] = []
  readonly #exited: Promise<void>
  #exitReason: Error | undefined
  readonly ready: Promise<Reply<'ready'>>
  readonly label: string

  /** Forks `program` (a file in bench/lib/) with `args`, reaching the brokers through KAFKA_BROKERS. */
  constructor(label: string, program: string, args: readonly string[], brokers: readonly string[]) {
    this.label = label
    this.#process = fork(fileURLToPath(new URL(program, import.meta.url)), [...args], {
      env: { ...process.env, KAFKA_BROKERS: brokers.join(',') },
      // The child's own log lines (kafka-ipc's lifecycle, failures) go to our stderr, not the table.
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
      serialization: 'advanced',
    })
    this.#process.on('message', (message: FromChild) => {
      const index = this.#waiting.findIndex((waiter) => waiter.type === message.type)
      if (index < 0) return
      const [waiter] = this.#waiting.splice(index, 1)
      waiter?.resolve(message)
    })
    this.#exited = new Promise((resolve) => {
      this.#process.on('exit', (code, signal) => {
        this.#exitReason = new Error(`${label} exited (code ${String(code)}, signal ${String(signal)}).`)
        resolve()
      })
    })
    this.ready = this.#next('ready')
  }

  /** The child's pid (for /proc readings). */
  get pid(): number {
    return this.#process.pid ?? -1
  }

  /** Sends `message` and resolves with the child's next message of type `reply`. */
  ask<T extends FromChild['type']>(message: ToChild, reply: T): Promise<Reply<T>> {
    const answer = this.#next(reply)
    this.#process.send(message)
    return answer
  }

  /** Asks the child to close gracefully; SIGKILL if it has not exited within `graceMs`. */
  async stop(graceMs = 15_000): Promise<void> {
    if (this.#exitReason !== undefined) return
    this.#process.send({ type: 'stop' } satisfies ToChild)
    const timer = setTimeout(() => this.#process.kill('SIGKILL'), graceMs)
    await this.#exited
    clearTimeout(timer)
  }

  /** Kills the child at once (cleanup after a failure). */
  kill(): void {
    if (this.#exitReason === undefined) this.#process.kill('SIGKILL')
  }

  #next<T extends FromChild['type']>(type: T): Promise<Reply<T>> {
    // A child that died can answer nothing: fail instead of waiting forever.
    const died = this.#exited.then(() => Promise.reject(this.#exitReason ?? new Error(`${this.label} exited.`)))
    const answered = new Promise<Reply<T>>((resolve) => {
      this.#waiting.push({ type, resolve: resolve as (message: FromChild) => void })
    })
    return Promise.race([answered, died])
  }
}
