// Every transport must pass all of this.
import { describe } from 'node:test'
import type { Harness } from './harness.ts'
import { requestReplySuite } from './request-reply.ts'

export function runConformance(harness: () => Harness): void {
  describe(`conformance: ${harness().name} transport`, () => {
    requestReplySuite(harness)
  })
}
