// Every transport must pass all of this.
import { describe } from 'node:test'
import { answeredAtOnceSuite } from './answered-at-once.ts'
import { copiesSuite } from './copies.ts'
import { deadLettersSuite } from './dead-letters.ts'
import { deduplicationSuite } from './deduplication.ts'
import { diagnosticsSuite } from './diagnostics.ts'
import { dropRulesSuite } from './drop-rules.ts'
import { eventsSuite } from './events.ts'
import { failuresSuite } from './failures.ts'
import { gatherSuite } from './gather.ts'
import type { Harness } from './harness.ts'
import { healthSuite } from './health.ts'
import { hooksSuite } from './hooks.ts'
import { httpShapeSuite } from './http-shape.ts'
import { hostileInputSuite } from './hostile-input.ts'
import { lifecycleSuite } from './lifecycle.ts'
import { metricsSignalsSuite } from './metrics-signals.ts'
import { orderingSuite } from './ordering.ts'
import { policySuite } from './policy.ts'
import { protocolEdgesSuite } from './protocol-edges.ts'
import { requestReplySuite } from './request-reply.ts'
import { streamCancelSuite } from './stream-cancel.ts'
import { streamFlowSuite } from './stream-flow.ts'
import { streamsSuite } from './streams.ts'

export function runConformance(harness: () => Harness): void {
  describe(`conformance: ${harness().name} transport`, () => {
    requestReplySuite(harness)
    answeredAtOnceSuite(harness)
    eventsSuite(harness)
    deadLettersSuite(harness)
    streamsSuite(harness)
    streamCancelSuite(harness)
    streamFlowSuite(harness)
    gatherSuite(harness)
    policySuite(harness)
    healthSuite(harness)
    copiesSuite(harness)
    deduplicationSuite(harness)
    failuresSuite(harness)
    hostileInputSuite(harness)
    orderingSuite(harness)
    protocolEdgesSuite(harness)
    dropRulesSuite(harness)
    lifecycleSuite(harness)
    hooksSuite(harness)
    diagnosticsSuite(harness)
    httpShapeSuite(harness)
    metricsSignalsSuite(harness)
  })
}
