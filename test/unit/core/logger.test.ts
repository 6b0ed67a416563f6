import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { stderrLogger } from '../../../src/core/logger.ts'

function captureStderr(run: () => void): string {
  const chunks: string[] = []
  const original = process.stderr.write.bind(process.stderr)
  process.stderr.write = ((chunk: string | Uint8Array) => {
    chunks.push(String(chunk))
    return true
  })
  try {
    run()
  } finally {
    process.stderr.write = original
  }
  return chunks.join('')
}

describe('stderrLogger', () => {
  it('writes one line per entry with its details as JSON (bigints as text, errors as their message)', () => {
    const text = captureStderr(() => {
      stderrLogger('info').error({ offset: 41n, error: new Error('ledger down') }, 'ledger: handler-failed')
    })
    assert.equal(text, 'kafka-ipc error: ledger: handler-failed {"offset":"41","error":"ledger down"}\n')
  })

  it('drops entries below its level, and writes nothing at silent', () => {
    const text = captureStderr(() => {
      stderrLogger('warn').info({}, 'quiet')
      stderrLogger('warn').warn({}, 'loud')
      stderrLogger('silent').error({}, 'never')
    })
    assert.equal(text, 'kafka-ipc warn: loud\n')
  })
})
