import type { GatherAnswer, GatherArgs, GatherResult } from '../call-types.ts'
import type { GatherContract } from '../contracts.ts'
import type { CallTrace } from '../trace-contexts.ts'
import { isKafkaIpcError } from '../kafka-ipc-error.ts'
import type { Answer, CallCounters } from '../pending-calls.ts'
import type { Policy } from '../policy.ts'
import { remoteError } from '../protocol/error-body.ts'
import { errorFromHttp } from '../http/error-status.ts'
import { type InferOut, validate } from '../schema.ts'
import { type Exchange, type ExchangeDeps, startExchange } from './exchange.ts'

/** What a gather needs from its client. */
export interface GatherDeps {
  readonly exchange: ExchangeDeps
  readonly policy: Policy
  /** A second answer from one service counts as late. */
  readonly counters: CallCounters
}

/**
 * Sends a gather request and collects one answer per service until `expect` is met — a number of
 * answers, or every named service — or the deadline: then the answers so far are the result,
 * marked `partial` when `expect` was not met, with the named services that did not answer.
 *
 * @example
 * ```ts
 * const { answers, partial } = await collectGather(deps, seatHold, { body: { flight: 'LO1' }, expect: 2 }, topic, undefined)
 * ```
 */
export async function collectGather<C extends GatherContract>(deps: GatherDeps, contract: C, args: GatherArgs<GatherContract>, topic: string, trace: CallTrace | undefined): Promise<GatherResult<InferOut<C['reply']>>> {
  const expect = args.expect
  const answers: GatherAnswer<InferOut<C['reply']>>[] = []
  const answered = new Set<string>()
  const settled: Promise<unknown>[] = []
  const complete = (): boolean =>
    typeof expect === 'number' ? answers.length >= expect : expect === undefined ? false : expect.every((name) => answers.some((answer) => answer.service === name))
  const { promise, resolve, reject } = Promise.withResolvers<GatherResult<InferOut<C['reply']>>>()
  let finished = false
  const finish = (exchange: Exchange | undefined, partial: boolean): void => {
    if (finished) return
    finished = true
    exchange?.release()
    void Promise.all(settled).then(() => {
      const missing = Array.isArray(expect) ? expect.filter((name: string) => !answers.some((answer) => answer.service === name)) : []
      resolve({ answers: [...answers], partial, missing })
    })
  }
  await startExchange(deps.exchange, {
    kind: 'gather',
    topic,
    trace,
    method: 'POST',
    path: `/${contract.name}`,
    route: `/${contract.name}`,
    service: undefined,
    gather: contract.name,
    args,
    receive: (answer, exchange) => {
      const service = answer.service ?? 'unknown'
      // One answer per service: a second is a copy the broker stored twice (or a gather request
      // run again by another instance after a crash), not a new answer.
      if (answered.has(service)) {
        deps.counters.lateAnswers++
        return
      }
      answered.add(service)
      const taking = gatherAnswer(deps.policy, contract, service, answer).then((result) => {
        answers.push(result)
        if (complete()) finish(exchange, false)
      })
      settled.push(taking)
    },
    fail: (error) => {
      if (isKafkaIpcError(error, 'KIPC_TIMEOUT')) finish(undefined, !complete() && expect !== undefined)
      else reject(error)
    },
  })
  return promise
}

/** One service's answer: its reply checked against the contract, or its error. */
async function gatherAnswer<C extends GatherContract>(policy: Policy, contract: C, service: string, answer: Answer): Promise<GatherAnswer<InferOut<C['reply']>>> {
  if (answer.kind === 'error') return { service, ok: false, error: remoteError(service, answer.status, answer.body) }
  if ((answer.status ?? 200) >= 400) return { service, ok: false, error: errorFromHttp(service, answer.status ?? 500, answer.body) }
  try {
    const reply = (await validate(policy.validateReplies ? contract.reply : undefined, answer.body, 'KIPC_INVALID_REPLY', `gather answer from ${service}`)) as InferOut<C['reply']>
    return { service, ok: true, reply }
  } catch (error) {
    return { service, ok: false, error: remoteError(service, 502, { code: 'KIPC_INVALID_REPLY', message: (error as Error).message }) }
  }
}
