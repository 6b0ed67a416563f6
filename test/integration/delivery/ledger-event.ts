// The event of the crash test, shared by the test and its child process.
import { z } from 'zod'
import { event } from '../../../src/core/contracts.ts'

export const ledgerEvent = event('ledger.entry', { body: z.object({ seq: z.number().int() }) })
