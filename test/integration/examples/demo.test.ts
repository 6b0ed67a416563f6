// The README's first quick-start command must keep working: run the airline demo as a user would
// (a child process, on the test broker) and check the story its transcript tells.
import assert from 'node:assert/strict'
import { execFile } from 'node:child_process'
import { describe, it } from 'node:test'
import { fileURLToPath } from 'node:url'
import { useKafka } from '../../support/kafka.ts'

const brokers = useKafka()
const demo = fileURLToPath(new URL('../../../examples/demo.ts', import.meta.url))

/** Transcript lines said by `who`, without the timestamp and name columns. */
function linesOf(stdout: string, who: string): string[] {
  const column = who.padEnd(13).replace(/[-.]/g, '\\$&')
  const pattern = new RegExp(`^\\s*\\d+\\.\\d{3}s  ${column} (.*)$`)
  return stdout.split('\n').flatMap((line) => {
    const text = pattern.exec(line)?.[1]
    return text === undefined ? [] : [text]
  })
}

describe('npm run demo', () => {
  it('runs the airline (quote, fare stream, booking with gather and event) and exits 0', async () => {
    const { code, stdout, stderr } = await new Promise<{ code: number | string | null; stdout: string; stderr: string }>((resolve) => {
      execFile(process.execPath, [demo], { env: { ...process.env, KAFKA_BROKERS: brokers().join(',') }, timeout: 120_000 }, (error, out, err) => {
        resolve({ code: error === null ? 0 : (error.code ?? null), stdout: out, stderr: err })
      })
    })
    const transcript = `\n--- stdout ---\n${stdout}\n--- stderr ---\n${stderr}`
    assert.equal(code, 0, `the demo exited with ${String(code)}${transcript}`)
    assert.doesNotMatch(stderr, /^\s*\d+\.\d{3}s .* ! /m, `no service or demo reported a problem${transcript}`)

    const web = linesOf(stdout, 'web')
    assert.ok(web.some((line) => line.startsWith('quote: 1298 EUR for 2 passengers WAW→JFK')), `the quote${transcript}`)

    const fares = web.flatMap((line) => {
      const match = /^fare (\d+): (\S+) +\S+ +\S+ +(\w+) +(\d+) EUR$/.exec(line)
      return match === null ? [] : [{ n: Number(match[1]), flight: match[2], cabin: match[3], price: Number(match[4]) }]
    })
    assert.ok(fares.length >= 5, `at least 5 fares${transcript}`)
    assert.deepEqual(fares.map((fare) => fare.n), fares.map((_, index) => index + 1), `fares arrive numbered in order${transcript}`)
    assert.deepEqual(fares.map((fare) => `${fare.flight} ${fare.cabin}`).slice(0, 5), ['LO26 economy', 'KL1362/KL641 economy', 'LH1347/LH400 economy', 'LO26 premium', 'LO26 business'], transcript)
    assert.ok(web.some((line) => line.startsWith(`${fares.length} fares, then the end of the stream`)), transcript)

    const bookings = linesOf(stdout, 'bookings')
    const answers = bookings.flatMap((line) => {
      const match = /^ {2}(carrier-\w+): (held|declined)/.exec(line)
      return match === null ? [] : [`${match[1] ?? ''} ${match[2] ?? ''}`]
    })
    assert.deepEqual(answers, ['carrier-lot held', 'carrier-klm declined', 'carrier-dlh held'], `three carrier answers, KLM declining${transcript}`)
    assert.ok(linesOf(stdout, 'carrier-klm').includes('LO26 is not a KLM flight: declined'), transcript)
    for (const service of ['pricing', 'offers', 'bookings', 'carrier-lot', 'carrier-klm', 'carrier-dlh', 'notifications', 'loyalty']) {
      assert.ok(linesOf(stdout, service).some((line) => line.startsWith('listening (')), `${service} listened${transcript}`)
    }

    const confirmed = web.map((line) => /^booking (BK-[0-9A-F]{6}) confirmed: LO26 with carrier-lot, hold LOT-[0-9A-F]{6}, 1298 EUR/.exec(line)?.[1]).find((id) => id !== undefined)
    assert.ok(confirmed !== undefined, `the booking is confirmed${transcript}`)
    assert.ok(bookings.some((line) => line.startsWith(`confirmed ${confirmed} with carrier-lot; emitted booking.created`)), transcript)
    assert.ok(linesOf(stdout, 'notifications').some((line) => line.startsWith(`email sent to ada@example.com: ${confirmed}`)), `notifications got the event${transcript}`)
    assert.ok(linesOf(stdout, 'loyalty').some((line) => line.startsWith(`+1298 points for ada@example.com (${confirmed})`)), `loyalty got the event${transcript}`)
    const demoLines = linesOf(stdout, 'demo')
    assert.ok(demoLines.some((line) => line.startsWith(`notifications and loyalty both received booking.created for ${confirmed}`)), transcript)
    assert.ok(demoLines.some((line) => line.startsWith('closed the web client and every service')), transcript)
  })
})
