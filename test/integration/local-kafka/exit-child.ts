// For exit-cleanup.test.ts: starts a local broker (not detached), prints its pid, and waits to be
// signalled. The broker must not outlive this process.
import { LocalKafka } from '../../../src/local-kafka/index.ts'

const kafka = await LocalKafka.start({ dataDir: process.env['DATA_DIR'] ?? '' })
const [node] = await kafka.status()
process.stdout.write(`broker pid ${String(node?.pid)}\n`)
setInterval(() => undefined, 60_000)
