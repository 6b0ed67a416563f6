#!/usr/bin/env node
// The `kafka-ipc` executable: main() holds the logic so tests can run it in-process. The Node.js
// version is checked before main and its imports load, so an old Node gets one line and exit 1.
import { unsupportedNode } from '../supported-node.ts'

const problem = unsupportedNode()
if (problem !== undefined) {
  process.stderr.write(`${problem}\n`)
  process.exit(1)
}
const { main } = await import('./main.ts')
const code = await main(process.argv.slice(2), {
  out: (line) => process.stdout.write(`${line}\n`),
  err: (line) => process.stderr.write(`${line}\n`),
})
process.exit(code)
