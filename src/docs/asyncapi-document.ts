import type { AnyContract, RouteContract, StreamContract } from '../core/contracts.ts'
import { definePolicy, type Policy } from '../core/policy.ts'
import { topicNames } from '../core/protocol/topic-names.ts'
import type { Schema } from '../core/schema.ts'
import { contractCatalog } from './contract-catalog.ts'
import { documentSchemaOf } from './json-schema-of.ts'

/**
 * What a document of contracts is titled and which fleet policy names its topics.
 *
 * @example
 * ```ts
 * const options: ContractDocumentOptions = { title: 'Airline', version: '1.4.0', policy: definePolicy({ prefix: 'airline' }) }
 * ```
 */
export interface ContractDocumentOptions {
  /** The document's title. Default `kafka-ipc contracts`. */
  readonly title?: string
  /** The version of the contracts described. Default `0.0.0`. */
  readonly version?: string
  /** The fleet's policy: its prefix names the topics. Default `definePolicy()`. */
  readonly policy?: Policy
}

/**
 * An AsyncAPI 3.0 document, as plain JSON-ready objects.
 *
 * @example
 * ```ts
 * const document: AsyncApiDocument = asyncApiDocument([quote, bookingCreated])
 * document.asyncapi // '3.0.0'
 * ```
 */
export type AsyncApiDocument = Record<string, unknown> & { readonly asyncapi: '3.0.0' }

const ref = (path: string): { $ref: string } => ({ $ref: path })
/** Channel, operation and component keys: letters, digits, `.`, `-` and `_` (AsyncAPI 3.0). */
const key = (text: string): string => text.replace(/[^A-Za-z0-9._-]+/g, '_').replace(/^_+|_+$/g, '')

/** `base` as a key not yet in `taken`: two names that read the same once made keys (`/a.b` and `/a/b`) get `_2`, `_3`, …. */
function unique(taken: Readonly<Record<string, unknown>>, base: string): string {
  const first = key(base)
  let candidate = first
  for (let count = 2; Object.hasOwn(taken, candidate); count++) candidate = `${first}_${String(count)}`
  return candidate
}

/** An error answer's body (docs/protocol.md §8); its status is in the envelope. */
const errorBody = {
  type: 'object',
  properties: {
    code: { type: 'string', description: 'A KIPC_* code of the error catalogue, or the application\'s own.' },
    message: { type: 'string' },
    retryable: { type: 'boolean', description: 'Whether the same request may succeed if sent again.' },
    stack: { type: 'string', description: 'The responder\'s stack, only where the policy exposes it.' },
  },
  required: ['code', 'message', 'retryable'],
}

const envelopeHeaders = {
  type: 'object',
  properties: {
    kipc: { type: 'string', description: 'The kafka-ipc envelope, packed: `v=1;kind=…;id=…` and the fields of its kind (docs/protocol.md §2).' },
    'content-type': { type: 'string', description: 'The body\'s media type when it is not the fleet codec\'s (application/json).' },
    traceparent: { type: 'string', description: 'W3C trace context, when the sender traces.' },
  },
  required: ['kipc'],
}

/**
 * An [AsyncAPI 3.0](https://www.asyncapi.com/docs/reference/specification/v3.0.0) document of a
 * fleet's contracts: a channel per service's request topic, event topic and gather topic (named by
 * the policy), the callers' inboxes as one channel with a runtime address, a message per route,
 * stream, event and gather with its body as JSON Schema (draft-07, from each schema's Standard
 * JSON Schema interface — zod 4 has it), the error answer any request may get, and an operation
 * per endpoint as its service sees it: a request received and its reply (or stream items, or an
 * error) sent to the caller's inbox; an event received.
 * A body whose schema offers no JSON Schema is marked as not described. Feed it to any AsyncAPI
 * tool: the studio, the HTML template, code generators.
 *
 * @example
 * ```ts
 * import { asyncApiDocument } from 'kafka-ipc'
 * import * as contracts from './contracts.ts'
 *
 * const document = asyncApiDocument(Object.values(contracts), { title: 'Airline', version: '1.4.0' })
 * await writeFile('asyncapi.json', JSON.stringify(document, null, 2))
 * ```
 */
export function asyncApiDocument(contracts: readonly AnyContract[], options: ContractDocumentOptions = {}): AsyncApiDocument {
  const policy = options.policy ?? definePolicy()
  const { services, events, gathers } = contractCatalog(contracts, policy)
  const channels: Record<string, unknown> = {}
  const operations: Record<string, unknown> = {}
  const messages: Record<string, unknown> = {}
  const inboxMessages: Record<string, unknown> = {}
  const inbox = 'inbox'

  /** Adds a component message with `payload` (none when undefined) under a key of its own and returns the key. */
  const component = (base: string, title: string, summary: string, payload: Record<string, unknown> | undefined, kafkaKey?: string): string => {
    const id = unique(messages, base)
    messages[id] = {
      name: id,
      title,
      summary,
      contentType: 'application/json',
      headers: envelopeHeaders,
      ...(payload === undefined ? {} : { payload }),
      ...(kafkaKey === undefined ? {} : { bindings: { kafka: { key: { type: 'string', description: kafkaKey }, bindingVersion: '0.5.0' } } }),
    }
    return id
  }
  /** A component message whose payload is a contract's schema, or a note that it offers no JSON Schema. */
  const message = (base: string, title: string, summary: string, schema: Schema | undefined, io: 'input' | 'output', kafkaKey?: string): string =>
    component(base, title, summary, schema === undefined ? undefined : (documentSchemaOf(schema, io) ?? { description: 'Not described: the contract\'s schema offers no JSON Schema.' }), kafkaKey)
  /** Files `messageRef` under a key of its own in a channel's `messages` and returns the reference to it there. */
  const inChannel = (channel: string, channelMessages: Record<string, unknown>, base: string, messageId: string): { $ref: string } => {
    const id = unique(channelMessages, base)
    channelMessages[id] = ref(`#/components/messages/${messageId}`)
    return ref(`#/channels/${channel}/messages/${id}`)
  }

  /** The error answer, in the inbox channel: any request, stream or gather may get one instead. */
  const errorMessage = (): { $ref: string } => inChannel(inbox, inboxMessages, 'error', component('error', 'error', 'An error answer to any request, stream or gather: its status (400 or more) in the envelope, this body.', errorBody))
  const errorAnswer = services.length + gathers.length === 0 ? undefined : errorMessage()
  const answers = (answer: { $ref: string }): { $ref: string }[] => (errorAnswer === undefined ? [answer] : [answer, errorAnswer])

  for (const { service, topic, group, endpoints } of services) {
    const channel = unique(channels, `${service}.requests`)
    const requests: Record<string, unknown> = {}
    channels[channel] = { address: topic, title: `${service} requests`, description: `Requests to the ${service} service: its consumer group ${group} reads them.`, messages: requests }
    for (const endpoint of endpoints) {
      const id = unique(operations, `${service}.${endpoint.method}${endpoint.path.replaceAll('/', '.')}`)
      const what = endpoint.kind === 'stream' ? 'stream' : 'request'
      const request = inChannel(channel, requests, id, message(`${id}.request`, `${endpoint.method} ${endpoint.path}`, `A ${what} to ${service}: ${endpoint.method} ${endpoint.path}.`, endpoint.body, 'input', 'The call\'s key, when it gives one: requests of one key are handled in order.'))
      const answer = answerOf(endpoint)
      const answered = inChannel(inbox, inboxMessages, `${id}.${answer.suffix}`, message(`${id}.${answer.suffix}`, answer.title, answer.summary, answer.schema, 'output'))
      operations[id] = {
        action: 'receive',
        channel: ref(`#/channels/${channel}`),
        title: `${service}: ${endpoint.method} ${endpoint.path}`,
        summary: endpoint.kind === 'stream' ? 'Answers with a stream of items to the caller\'s inbox.' : 'Answers with one reply to the caller\'s inbox.',
        messages: [request],
        reply: { channel: ref(`#/channels/${inbox}`), messages: answers(answered) },
      }
    }
  }

  for (const { contract, topic } of events) {
    const channel = unique(channels, `event.${contract.name}`)
    const eventMessages: Record<string, unknown> = {}
    channels[channel] = { address: topic, title: `event ${contract.name}`, description: 'Every subscribing service receives each event, in its own consumer group.', messages: eventMessages }
    const received = inChannel(channel, eventMessages, `event.${contract.name}`, message(`event.${contract.name}`, contract.name, `The event ${contract.name}.`, contract.body, 'input', 'The emit\'s key, when it gives one: events of one key are handled in order.'))
    operations[unique(operations, `on.${contract.name}`)] = { action: 'receive', channel: ref(`#/channels/${channel}`), title: `on ${contract.name}`, messages: [received] }
  }

  for (const { contract, topic } of gathers) {
    const channel = unique(channels, `gather.${contract.name}`)
    const gatherMessages: Record<string, unknown> = {}
    channels[channel] = { address: topic, title: `gather ${contract.name}`, description: 'Every service that answers the gather receives the request, and each answers once.', messages: gatherMessages }
    const id = unique(operations, `gather.${contract.name}`)
    const request = inChannel(channel, gatherMessages, id, message(`${id}.request`, contract.name, `The gather ${contract.name}: one request, an answer from each service.`, contract.body, 'input'))
    const answered = inChannel(inbox, inboxMessages, `${id}.answer`, message(`${id}.answer`, `${contract.name} answer`, `One service's answer to the gather ${contract.name}.`, contract.reply, 'output'))
    operations[id] = { action: 'receive', channel: ref(`#/channels/${channel}`), title: `gather ${contract.name}`, messages: [request], reply: { channel: ref(`#/channels/${inbox}`), messages: answers(answered) } }
  }

  if (Object.keys(inboxMessages).length > 0) {
    channels[inbox] = {
      address: null,
      title: 'callers\' inboxes',
      description: `Each caller instance reads its own single-partition inbox, ${topicNames.inbox(policy, '<client>', '<instance>')}, named in its requests' envelope (reply-to); answers carry the request's id as their correlation.`,
      messages: inboxMessages,
    }
  }

  return {
    asyncapi: '3.0.0',
    info: { title: options.title ?? 'kafka-ipc contracts', version: options.version ?? '0.0.0', description: `Generated by kafka-ipc from the contracts; topics named by the policy prefix \`${policy.prefix}\`. The envelope and the wire protocol: docs/protocol.md.` },
    defaultContentType: 'application/json',
    channels,
    operations,
    components: { messages },
  }
}

/** What a route's or stream's answer is: one reply, or items. */
function answerOf(endpoint: RouteContract | StreamContract): { suffix: string; title: string; summary: string; schema: Schema | undefined } {
  if (endpoint.kind === 'stream') return { suffix: 'item', title: `${endpoint.method} ${endpoint.path} item`, summary: `One item of the stream ${endpoint.service} answers ${endpoint.method} ${endpoint.path} with.`, schema: endpoint.item }
  return { suffix: 'reply', title: `${endpoint.method} ${endpoint.path} reply`, summary: `${endpoint.service}'s reply to ${endpoint.method} ${endpoint.path}.`, schema: endpoint.reply }
}


