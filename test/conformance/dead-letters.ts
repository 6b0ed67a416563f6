// Retries and dead letters for events: a failed run is tried again with backoff while the
// partition's other keys run on; an event that fails every run, or cannot be decoded or validated,
// goes to the service's dead-letter topic with its key, value and headers and why — and only then
// is its offset committed; a service stopping during a retry leaves the record for the next owner.
import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { KafkaIpcError } from '../../src/core/kafka-ipc-error.ts'
import { buildMessage } from '../../src/core/protocol/envelope.ts'
import { topicNames } from '../../src/core/protocol/topic-names.ts'
import type { IncomingMessage, Subscription, Transport } from '../../src/core/transport.ts'
import { booked } from './contracts.ts'
import { type Harness, useKit } from './harness.ts'
import { waitUntil } from './request-reply.ts'
import { envelopeField, unpackedHeaders } from '../../src/core/protocol/packed-envelope.ts'

/** Reads every record of `topic` from the start, as an operator's tool would. */
export async function readAll(transport: Transport, topic: string, into: IncomingMessage[]): Promise<Subscription> {
  return transport.subscribe({
    group: `${topic}.reader`,
    topics: [topic],
    startFrom: 'earliest',
    maxInFlight: 16,
    onMessage: (message) => {
      into.push(message)
      return Promise.resolve()
    },
    onError: () => undefined,
  })
}

const fast = { eventRetries: { maxAttempts: 3, initialDelayMs: 100, maxDelayMs: 200 } }

export function deadLettersSuite(harness: () => Harness): void {
  const kit = useKit(harness)

  describe('retries and dead letters', () => {
    it('tries a failing event again, with the run number, and handles it once it succeeds: no dead letter', async () => {
      const { service, client, policy } = kit(fast)
      const runs: number[] = []
      const ledger = service('ledger')
      ledger.on(booked, (_event, context) => {
        runs.push(context.attempt)
        if (context.attempt < 3) throw new Error('the ledger database is restarting')
      })
      await ledger.listen()
      await client('booking').emit(booked, { id: 'B1', seq: 1 }, { key: 'B1' })
      await waitUntil(() => ledger.stats().eventsHandled === 1, 'the third run handled it', 15_000)
      assert.deepEqual(runs, [1, 2, 3])
      assert.equal(ledger.stats().eventsRetried, 2)
      assert.equal(ledger.stats().deadLettered, 0)
      assert.equal(policy.eventRetries.maxAttempts, 3)
    })

    it('dead-letters an event that fails every run, with its key, value, headers and why; other keys are not held up, its own later ones wait their turn', async () => {
      const { service, client, transport, policy } = kit(fast)
      const order: string[] = []
      const ledger = service('ledger')
      ledger.on(booked, (event) => {
        if (event.body.seq === 1) throw new Error('poison')
        order.push(`${event.body.id}:${String(event.body.seq)}`)
        lettersWhenRun.set(event.body.id, ledger.stats().deadLettered)
      })
      const lettersWhenRun = new Map<string, number>()
      await ledger.listen()
      const emitter = client('booking')
      await emitter.emit(booked, { id: 'B1', seq: 1 }, { key: 'B1', headers: { 'x-tenant': 'acme' } })
      await emitter.emit(booked, { id: 'B1', seq: 2 }, { key: 'B1' })
      await emitter.emit(booked, { id: 'B2', seq: 3 }, { key: 'B2' })
      await waitUntil(() => ledger.stats().deadLettered === 1 && order.length === 2, 'the poison event dead-lettered, the others handled', 15_000)
      assert.equal(lettersWhenRun.get('B2'), 0, 'B2 ran while B1’s poison event was still being retried')
      assert.equal(lettersWhenRun.get('B1'), 1, 'B1’s next event ran only after the poison one was dead-lettered')
      const letters: IncomingMessage[] = []
      const reader = await readAll(transport(), topicNames.deadLetters(policy, 'ledger'), letters)
      try {
        await waitUntil(() => letters.length === 1, 'the dead letter is in the topic', 15_000)
        const [letter] = letters
        assert.ok(letter !== undefined)
        assert.equal(letter.key, 'B1')
        assert.deepEqual(JSON.parse(Buffer.from(letter.value).toString()), { id: 'B1', seq: 1 })
        const headers = Object.fromEntries(unpackedHeaders(letter.headers))
        assert.equal(headers['kipc-kind'], 'event', 'the original envelope is kept')
        assert.equal(headers['x-tenant'], 'acme', 'and the application’s headers')
        assert.equal(headers['kipc-dlt-reason'], 'failed')
        assert.equal(headers['kipc-dlt-code'], 'Error')
        assert.equal(headers['kipc-dlt-message'], 'poison')
        assert.equal(headers['kipc-dlt-attempts'], '3')
        assert.equal(headers['kipc-dlt-service'], 'ledger')
        assert.equal(headers['kipc-dlt-topic'], topicNames.event(policy, booked.name))
        assert.ok(Number(headers['kipc-dlt-last-failure']) >= Number(headers['kipc-dlt-first-failure']))
        assert.match(headers['kipc-dlt-offset'] ?? '', /^\d+$/)
      } finally {
        await reader.close()
      }
      assert.equal(ledger.stats().eventsRetried, 2)
    })

    it('dead-letters at once what another run cannot mend: an invalid body, a KafkaIpcError that is not retryable', async () => {
      const { service, transport, policy } = kit(fast)
      let runs = 0
      const ledger = service('ledger')
      ledger.on(booked, (event) => {
        runs++
        if (event.body.id === 'refused') throw new KafkaIpcError('BOOKING_CLOSED', 'The booking is closed.', { status: 409 })
      })
      await ledger.listen()
      const raw = transport()
      const topic = topicNames.event(policy, booked.name)
      await raw.send([buildMessage({ topic, key: 'K' }, 'event', { service: 'raw' }, { id: 'B1' }, policy.codec, policy.maxMessageBytes)])
      await raw.send([buildMessage({ topic, key: 'K' }, 'event', { service: 'raw' }, { id: 'refused', seq: 1 }, policy.codec, policy.maxMessageBytes)])
      await waitUntil(() => ledger.stats().deadLettered === 2, 'both dead-lettered', 15_000)
      assert.equal(runs, 1, 'the invalid body never reached the handler; the refused event ran once')
      assert.equal(ledger.stats().eventsRetried, 0)
      const letters: IncomingMessage[] = []
      const reader = await readAll(transport(), topicNames.deadLetters(policy, 'ledger'), letters)
      try {
        await waitUntil(() => letters.length === 2, 'both letters read', 15_000)
        const why = (reason: string): [string | undefined, string | undefined] => {
          const letter = letters.find((each) => envelopeField(each.headers, 'kipc-dlt-reason') === reason)
          return [envelopeField(letter?.headers ?? new Map<string, string>(), 'kipc-dlt-code'), envelopeField(letter?.headers ?? new Map<string, string>(), 'kipc-dlt-attempts')]
        }
        assert.deepEqual(why('invalid'), ['KIPC_BAD_REQUEST', '0'])
        assert.deepEqual(why('failed'), ['BOOKING_CLOSED', '1'])
      } finally {
        await reader.close()
      }
    })

    it('leaves an event waiting for a retry uncommitted when the service stops: the next instance runs it', async () => {
      const { service, client } = kit({ eventRetries: { maxAttempts: 5, initialDelayMs: 60_000, maxDelayMs: 60_000 } })
      const first = service('ledger', { instanceId: 'first' })
      let firstRuns = 0
      first.on(booked, () => {
        firstRuns++
        throw new Error('down')
      })
      await first.listen()
      await client('booking').emit(booked, { id: 'B1', seq: 1 }, { key: 'B1' })
      await waitUntil(() => firstRuns === 1, 'the first run failed', 15_000)
      const stopping = Date.now()
      await first.close()
      assert.ok(Date.now() - stopping < 5_000, 'close() does not wait out the retry delay')
      assert.equal(first.stats().deadLettered, 0)
      const handled: number[] = []
      const second = service('ledger', { instanceId: 'second' })
      second.on(booked, (event) => {
        handled.push(event.body.seq)
      })
      await second.listen()
      await waitUntil(() => handled.length === 1, 'the next instance ran the event', 30_000)
      assert.deepEqual(handled, [1])
    })
  })
}
