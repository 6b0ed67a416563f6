import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { setTimeout as sleep } from 'node:timers/promises'
import { isKafkaIpcError, KafkaIpcError } from '../../../../src/core/kafka-ipc-error.ts'
import { HookRegistry } from '../../../../src/core/pipeline/hooks.ts'

interface Phases {
  first: { log: string[] }
  second: { log: string[] }
}

describe('HookRegistry', () => {
  it('runs a phase’s hooks one after another in registration order, awaiting each', async () => {
    const hooks = new HookRegistry<Phases>('svc')
    hooks.add('first', async ({ log }) => {
      await sleep(20)
      log.push('a')
    })
    hooks.add('first', ({ log }) => {
      log.push('b')
    })
    hooks.add('second', ({ log }) => {
      log.push('other phase')
    })
    const log: string[] = []
    await hooks.run('first', { log })
    assert.deepEqual(log, ['a', 'b'])
    assert.equal(hooks.has('first'), true)
  })

  it('says when a phase has no hooks, and running it does nothing', async () => {
    const hooks = new HookRegistry<Phases>('svc')
    assert.equal(hooks.has('second'), false)
    await hooks.run('second', { log: [] })
  })

  it('passes a KafkaIpcError on as the rejection it is, and stops the phase there', async () => {
    const hooks = new HookRegistry<Phases>('svc')
    const rejection = new KafkaIpcError('FORBIDDEN', 'no', { status: 403 })
    const log: string[] = []
    hooks.add('first', () => {
      throw rejection
    })
    hooks.add('first', () => {
      log.push('never')
    })
    await assert.rejects(hooks.run('first', { log }), (error: unknown) => error === rejection)
    assert.deepEqual(log, [])
  })

  it('turns any other failure into KIPC_HOOK_FAILED naming the owner, the phase and the hook', async () => {
    const hooks = new HookRegistry<Phases>('pricing')
    const cause = new TypeError('store down')
    const checkQuota = (): void => {
      throw cause
    }
    hooks.add('first', checkQuota)
    await assert.rejects(hooks.run('first', { log: [] }), (error: unknown) => {
      assert.ok(isKafkaIpcError(error, 'KIPC_HOOK_FAILED'))
      assert.equal(error.message, 'pricing: the first hook checkQuota failed: store down')
      assert.equal(error.status, 500)
      assert.equal(error.details['phase'], 'first')
      assert.equal(error.cause, cause)
      return true
    })
  })

  it('refuses a hook that is not a function', () => {
    const hooks = new HookRegistry<Phases>('svc')
    assert.throws(() => {
      hooks.add('first', 42 as unknown as () => void)
    }, (error: unknown) => isKafkaIpcError(error, 'KIPC_INVALID_ARGUMENT'))
  })
})
