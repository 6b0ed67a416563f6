import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { performance } from 'node:perf_hooks'
import { setTimeout as sleep } from 'node:timers/promises'
import { DeadlineLists, type Expiring, type ExpiringList } from '../../../src/core/deadline-lists.ts'

/** An entry that notes when it expired, and may do something then. */
class Waiting implements Expiring {
  expiresAt = 0
  previousLinked: Expiring | undefined = undefined
  nextLinked: Expiring | undefined = undefined
  expiringList: ExpiringList | undefined = undefined
  expiredAt: number | undefined
  readonly #name: string
  readonly #log: string[]
  readonly #then: (() => void) | undefined

  constructor(name: string, log: string[], then?: () => void) {
    this.#name = name
    this.#log = log
    this.#then = then
  }

  expire(): void {
    this.expiredAt = performance.now()
    this.#log.push(this.#name)
    this.#then?.()
  }
}

/** The timers this process has armed now. */
const timers = (): number => process.getActiveResourcesInfo().filter((name) => name === 'Timeout').length

describe('DeadlineLists', () => {
  it('expires each entry once its timeout has passed, never sooner, in the order they started; a removed entry never', async () => {
    const deadlines = new DeadlineLists()
    const log: string[] = []
    const started = performance.now()
    const [a, b, c] = [new Waiting('a', log), new Waiting('b', log), new Waiting('c', log)]
    deadlines.add(a, 40)
    await sleep(15)
    deadlines.add(b, 40)
    deadlines.add(c, 40)
    assert.equal(deadlines.size, 3)
    deadlines.remove(c)
    deadlines.remove(c)
    assert.equal(deadlines.size, 2)
    await sleep(120)
    assert.deepEqual(log, ['a', 'b'])
    assert.ok((a.expiredAt ?? 0) - started >= 39, `a expired ${String((a.expiredAt ?? 0) - started)} ms after it started`)
    assert.ok((b.expiredAt ?? 0) - started >= 39 + 15, `b expired ${String((b.expiredAt ?? 0) - started)} ms after a started`)
    assert.equal(deadlines.size, 0)
  })

  it('keeps one list per timeout, each expiring on its own, and holds no timer once nothing waits', async () => {
    const before = timers()
    const deadlines = new DeadlineLists()
    const log: string[] = []
    deadlines.add(new Waiting('slow', log), 80)
    deadlines.add(new Waiting('fast', log), 20)
    for (let n = 0; n < 100; n++) deadlines.add(new Waiting(`fast ${String(n)}`, log), 20)
    assert.equal(timers() - before, 2, 'one timer per timeout, not one per entry')
    await sleep(50)
    assert.equal(log.length, 101)
    assert.equal(log[0], 'fast')
    const gone = new Waiting('answered', log)
    deadlines.add(gone, 80)
    deadlines.remove(gone)
    await sleep(60)
    assert.deepEqual(log.slice(101), ['slow'])
    assert.equal(timers(), before, 'an empty list clears its timer: a process with no call waiting may exit')
  })

  it('arms no timer per call when one call at a time empties its list, and the kept timer holds no process', async () => {
    const deadlines = new DeadlineLists()
    const log: string[] = []
    const before = timers()
    const real = globalThis.setTimeout
    let armed = 0
    globalThis.setTimeout = ((...args: Parameters<typeof setTimeout>) => {
      armed++
      return real(...args)
    }) as typeof setTimeout
    try {
      for (let call = 0; call < 1_000; call++) {
        const waiting = new Waiting(`call ${String(call)}`, log)
        deadlines.add(waiting, 60)
        deadlines.remove(waiting)
      }
    } finally {
      globalThis.setTimeout = real
    }
    assert.equal(armed, 1, 'one timer for the list, kept while it empties and fills again')
    assert.equal(timers(), before, 'an empty list keeps its timer unreferenced: a process with no call waiting may exit')
    // Still on time after the list emptied and filled again: the kept timer, armed for an older entry, fires first.
    const last = new Waiting('last', log)
    const started = performance.now()
    deadlines.add(last, 60)
    await sleep(200)
    assert.deepEqual(log, ['last'])
    assert.ok((last.expiredAt ?? 0) - started >= 59, `last expired ${String((last.expiredAt ?? 0) - started)} ms after it started`)
  })

  it('expires an older entry on time when an entry expiring adds another of the same timeout', async () => {
    // The timeout is long beside a loaded machine's timer lag: what must not happen is `later`
    // waiting for the timer `added` armed, a whole timeout (less 20 ms) after its own deadline.
    const timeoutMs = 300
    const deadlines = new DeadlineLists()
    const log: string[] = []
    const started = performance.now()
    const later = new Waiting('later', log)
    const added = new Waiting('added', log)
    const first = new Waiting('first', log, () => {
      deadlines.add(added, timeoutMs)
    })
    deadlines.add(first, timeoutMs)
    await sleep(20)
    deadlines.add(later, timeoutMs)
    while (deadlines.size > 0 && performance.now() - started < 5_000) await sleep(20)
    assert.deepEqual(log, ['first', 'later', 'added'])
    const lateBy = (later.expiredAt ?? 0) - (started + 20 + timeoutMs)
    const ahead = (added.expiredAt ?? 0) - (later.expiredAt ?? 0)
    assert.ok(ahead > 100, `later expired ${String(lateBy)} ms after its deadline, only ${String(ahead)} ms before added: it waited for added's timer`)
  })
})
