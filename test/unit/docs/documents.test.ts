// The contract documents: an AsyncAPI 3.0 document that the AsyncAPI parser accepts without an
// error or a warning, topics named by the policy, bodies as JSON Schema from zod; a Markdown
// reference of the same; the contracts of a module found; and `kafka-ipc docs` printing both.
import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { fileURLToPath } from 'node:url'
import { Parser } from '@asyncapi/parser'
import { main } from '../../../src/cli/main.ts'
import { route } from '../../../src/core/contracts.ts'
import { definePolicy } from '../../../src/core/policy.ts'
import { asyncApiDocument } from '../../../src/docs/asyncapi-document.ts'
import { contractsIn } from '../../../src/docs/contracts-in-module.ts'
import { markdownReference } from '../../../src/docs/markdown-reference.ts'
import * as fixture from './fixture-contracts.ts'

const fixturePath = fileURLToPath(new URL('fixture-contracts.ts', import.meta.url))
const contracts = contractsIn(fixture)
type Json = Record<string, Record<string, Record<string, unknown>>>

describe('contract documents', () => {
  it('finds the contracts a module exports, directly and in an exported object, each once', () => {
    assert.deepEqual(contracts.map((contract) => (contract.kind === 'event' || contract.kind === 'gather' ? contract.name : `${contract.method} ${contract.path}`)), ['GET /fares/:id', 'seats.hold', 'POST /entries', 'booking.created', 'POST /quotes', 'POST /search'], 'in the order of the export names, as a module namespace lists them')
    assert.deepEqual(contractsIn({ again: [fixture.quote, fixture.quote], nothing: null }), [fixture.quote])
  })

  it('describes them as an AsyncAPI 3.0 document the AsyncAPI parser accepts without errors or warnings', async () => {
    const document = asyncApiDocument(contracts, { title: 'Airline', version: '1.2.0', policy: definePolicy({ prefix: 'airline' }) })
    const { document: parsed, diagnostics } = await new Parser().parse(JSON.stringify(document))
    // Severity 0 is an error, 1 a warning; 2 and 3 are information and hints (such as "3.1.0 is out").
    const problems = diagnostics.filter((diagnostic) => (diagnostic.severity as number) <= 1).map((diagnostic) => `${diagnostic.code}: ${diagnostic.message} at ${diagnostic.path.join('.')}`)
    assert.deepEqual(problems, [])
    assert.ok(parsed !== undefined)
    assert.equal(parsed.info().title(), 'Airline')
    assert.deepEqual(parsed.channels().all().map((channel) => channel.address()).sort(), ['airline.event.booking.created', 'airline.gather.seats.hold', 'airline.ledger.requests', 'airline.offers.requests', 'airline.pricing.requests', null].sort())
    assert.equal(parsed.operations().all().length, 6)
    assert.ok(parsed.operations().all().every((operation) => operation.isReceive()))
  })

  it('gives each body its JSON Schema, each answer its reply or item schema, and says when a schema offers none', () => {
    const { components, operations } = asyncApiDocument(contracts) as unknown as Json & { components: { messages: Record<string, Record<string, unknown>> } }
    const { messages } = components
    assert.deepEqual(messages['pricing.POST.quotes.request']?.['payload'], {
      type: 'object',
      properties: { from: { type: 'string', pattern: '^[A-Z]{3}$' }, to: { type: 'string', pattern: '^[A-Z]{3}$' }, passengers: { type: 'integer', minimum: 1, maximum: 9007199254740991 } },
      required: ['from', 'to', 'passengers'],
    })
    assert.equal(messages['pricing.GET.fares._id.request']?.['payload'], undefined, 'a GET without a body schema has no payload')
    assert.deepEqual((messages['offers.POST.search.item']?.['payload'] as { properties?: unknown }).properties, { flight: { type: 'string' } })
    assert.deepEqual(messages['ledger.POST.entries.request']?.['payload'], { description: "Not described: the contract's schema offers no JSON Schema." })
    assert.deepEqual(operations?.['offers.POST.search']?.['reply'], { channel: { $ref: '#/channels/inbox' }, messages: [{ $ref: '#/channels/inbox/messages/offers.POST.search.item' }, { $ref: '#/channels/inbox/messages/error' }] })
    assert.deepEqual((messages['error']?.['payload'] as { required?: unknown }).required, ['code', 'message', 'retryable'])
    assert.throws(() => asyncApiDocument([fixture.quote, route('pricing', 'POST /quotes')]), /Two different contracts for pricing POST \/quotes/)
  })

  it('keeps endpoints apart whose names read the same as keys, and the parser still accepts the document', async () => {
    const document = asyncApiDocument([route('files', 'GET /a.b'), route('files', 'GET /a/b')]) as unknown as { operations: Record<string, { title: string }> }
    assert.deepEqual(Object.entries(document.operations).map(([id, operation]) => `${id} ${operation.title}`), ['files.GET.a.b files: GET /a.b', 'files.GET.a.b_2 files: GET /a/b'])
    const { diagnostics } = await new Parser().parse(JSON.stringify(document))
    assert.deepEqual(diagnostics.filter((diagnostic) => (diagnostic.severity as number) <= 1).map((diagnostic) => diagnostic.message), [])
  })

  it('writes a Markdown reference of the same', () => {
    const text = markdownReference(contracts, { title: 'Airline', policy: definePolicy({ prefix: 'airline' }) })
    assert.match(text, /^# Airline\n/)
    assert.match(text, /answered with an error instead: a status of 400 or more in the envelope and the body `\{ code, message, retryable \}`/)
    assert.match(text, /### pricing\n\nRequests on `airline\.pricing\.requests`, read by the consumer group `airline\.pricing`/)
    assert.match(text, /#### `GET \/fares\/:id` — request-reply\n\nBody: none\.\n\nReply:\n\n```json\n\{\n {2}"type": "object"/)
    assert.match(text, /#### `POST \/search` — stream[\s\S]*Each item:/)
    assert.match(text, /#### `POST \/entries` — request-reply\n\nBody: not described/)
    assert.match(text, /## Events\n\n### `booking\.created`\n\nOn `airline\.event\.booking\.created`/)
    assert.match(text, /## Gathers\n\n### `seats\.hold`[\s\S]*Each answer:/)
  })

  it('prints them from the command line, and refuses a module without contracts', async () => {
    const lines: string[] = []
    const errors: string[] = []
    const io = { out: (line: string) => lines.push(line), err: (line: string) => errors.push(line) }
    assert.equal(await main(['docs', fixturePath, '--prefix', 'airline', '--title', 'Airline'], io), 0, errors.join('\n'))
    const printed = JSON.parse(lines.join('\n')) as { asyncapi: string; info: { title: string }; channels: Record<string, { address: string | null }> }
    assert.equal(printed.asyncapi, '3.0.0')
    assert.equal(printed.info.title, 'Airline')
    assert.equal(printed.channels['pricing.requests']?.address, 'airline.pricing.requests')
    lines.length = 0
    assert.equal(await main(['docs', fixturePath, '--format', 'markdown'], io), 0)
    assert.match(lines.join('\n'), /Requests on `kipc\.pricing\.requests`/)
    assert.equal(await main(['docs', fileURLToPath(new URL('../../../src/core/backoff.ts', import.meta.url))], io), 2)
    assert.match(errors.join('\n'), /exports no contract/)
    assert.equal(await main(['docs', 'no/such/module.ts'], io), 2)
    assert.match(errors.join('\n'), /Cannot load no\/such\/module\.ts/)
    assert.equal(await main(['docs', fixturePath, '--format', 'yaml'], io), 2)
    assert.match(errors.join('\n'), /--format must be asyncapi or markdown/)
  })
})
