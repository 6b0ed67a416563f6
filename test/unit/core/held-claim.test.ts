import assert from 'node:assert/strict'
import { describe, it, mock } from 'node:test'
import { setImmediate as turn } from 'node:timers/promises'
import { setFlagsFromString } from 'node:v8'
import { runInNewContext } from 'node:vm'
import type { DeduplicationStore, StoredAnswer } from '../../../src/core/deduplication-store.ts'
import { KafkaIpcError } from '../../../src/core/kafka-ipc-error.ts'
import { ClaimRenewals } from '../../../src/core/pipeline/claim-renewals.ts'
import { claimLeaseMs, HeldClaim } from '../../../src/core/pipeline/held-claim.ts'
import type { ServicePipelineDeps } from '../../../src/core/pipeline/service-pipeline.ts'
import type { IncomingMessage } from '../../../src/core/transport.ts'

/** A store that records what it was told; `failing` makes every call reject. */
function recordingStore(failing = false): { store: DeduplicationStore; calls: string[] } {
  const calls: string[] = []
  const answer = (call: string): Promise<void> => {
    calls.push(call)
    return failing ? Promise.reject(new KafkaIpcError('KIPC_UNAVAILABLE', 'down')) : Promise.resolve()
  }
  return {
    calls,
    store: {
      claim: () => Promise.resolve({ state: 'claimed' }),
      renew: (key, leaseMs) => answer(`renew ${key} ${String(leaseMs)}`),
      finish: (key, stored: StoredAnswer | undefined) => answer(`finish ${key} ${stored === undefined ? 'no answer' : 'answer'}`),
      release: (key) => answer(`release ${key}`),
    },
  }
}

const message = { topic: 't', partition: 0, offset: 0n, key: undefined, headers: new Map(), value: new Uint8Array() } as unknown as IncomingMessage
const envelope = { id: 'id-1', service: 'caller' }

/** A service's pipeline dependencies as a held claim uses them: its failures reported into `errors`, its claims renewed by `claimRenewals`. */
function depsReporting(errors: unknown[], claimRenewals = new ClaimRenewals()): ServicePipelineDeps {
  return {
    service: 'billing',
    claimRenewals,
    onError: (error: unknown) => {
      errors.push(error)
    },
  } as unknown as ServicePipelineDeps
}

describe('HeldClaim', () => {
  it('renews its lease while the run goes on, and stops once settled', async () => {
    mock.timers.enable({ apis: ['setInterval'] })
    try {
      const { store, calls } = recordingStore()
      const held = new HeldClaim(depsReporting([]), store, 'k', message, envelope)
      mock.timers.tick(claimLeaseMs)
      assert.deepEqual(calls, [`renew k ${String(claimLeaseMs)}`, `renew k ${String(claimLeaseMs)}`, `renew k ${String(claimLeaseMs)}`])
      await held.settle(true, { headers: new Map(), value: new Uint8Array() })
      mock.timers.tick(claimLeaseMs)
      assert.equal(calls.length, 4)
      assert.equal(calls[3], 'finish k answer')
    } finally {
      mock.timers.reset()
    }
  })

  it('releases a run that did not finish, and reports a store that fails without throwing', async () => {
    const { store, calls } = recordingStore()
    await new HeldClaim(depsReporting([]), store, 'k', message, envelope).settle(false, undefined)
    assert.deepEqual(calls, ['release k'])
    const errors: unknown[] = []
    const failing = recordingStore(true)
    await new HeldClaim(depsReporting(errors), failing.store, 'k', message, envelope).settle(true, undefined)
    assert.equal(errors.length, 1)
    assert.ok(errors[0] instanceof KafkaIpcError && errors[0].code === 'KIPC_UNAVAILABLE')
  })

  it("renews every claim a service holds with one timer, and only those still held", async () => {
    mock.timers.enable({ apis: ['setInterval'] })
    try {
      const { store, calls } = recordingStore()
      const deps = depsReporting([])
      const first = new HeldClaim(deps, store, 'a', message, envelope)
      const second = new HeldClaim(deps, store, 'b', message, envelope)
      mock.timers.tick(claimLeaseMs / 3)
      assert.deepEqual(calls.splice(0), [`renew a ${String(claimLeaseMs)}`, `renew b ${String(claimLeaseMs)}`])
      await first.settle(false, undefined)
      mock.timers.tick(claimLeaseMs / 3)
      assert.deepEqual(calls.splice(0), ['release a', `renew b ${String(claimLeaseMs)}`])
      await second.settle(false, undefined)
      mock.timers.tick(claimLeaseMs)
      assert.deepEqual(calls.splice(0), ['release b'])
    } finally {
      mock.timers.reset()
    }
  })
  it('keeps renewing the rest, in the order they were taken, whichever claim settles first', async () => {
    mock.timers.enable({ apis: ['setInterval'] })
    try {
      const { store, calls } = recordingStore()
      const renewed = (): string[] => calls.splice(0).filter((call) => call.startsWith('renew')).map((call) => call.split(' ')[1] ?? '')
      const deps = depsReporting([])
      const [a, b, c] = ['a', 'b', 'c'].map((key) => new HeldClaim(deps, store, key, message, envelope))
      mock.timers.tick(claimLeaseMs / 3)
      assert.deepEqual(renewed(), ['a', 'b', 'c'])
      await b?.settle(true, undefined)
      mock.timers.tick(claimLeaseMs / 3)
      assert.deepEqual(renewed(), ['a', 'c'])
      await c?.settle(true, undefined)
      const d = new HeldClaim(deps, store, 'd', message, envelope)
      mock.timers.tick(claimLeaseMs / 3)
      assert.deepEqual(renewed(), ['a', 'd'])
      await a?.settle(true, undefined)
      mock.timers.tick(claimLeaseMs / 3)
      assert.deepEqual(renewed(), ['d'])
      await d.settle(true, undefined)
      mock.timers.tick(claimLeaseMs)
      assert.deepEqual(renewed(), [])
    } finally {
      mock.timers.reset()
    }
  })

  it('does not keep a store alive once its claims are settled', async () => {
    setFlagsFromString('--expose-gc')
    const collect = runInNewContext('gc') as () => void
    const asked = await (async () => {
      const { store } = recordingStore()
      await new HeldClaim(depsReporting([]), store, 'k', message, envelope).settle(true, undefined)
      return new WeakRef(store)
    })()
    // A WeakRef made or read in this turn keeps its target until the turn ends.
    await turn()
    collect()
    assert.equal(asked.deref(), undefined, 'the store was collected')
  })
})
