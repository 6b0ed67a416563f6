#!/usr/bin/env node
// The `kafka-ipc` executable: main() holds the logic so tests can run it in-process.
import { main } from './main.ts'

const code = await main(process.argv.slice(2), {
  out: (line) => process.stdout.write(`${line}\n`),
  err: (line) => process.stderr.write(`${line}\n`),
})
process.exit(code)
