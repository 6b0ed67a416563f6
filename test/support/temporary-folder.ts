import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { TestContext } from 'node:test'

/**
 * A fresh folder under the system's temporary directory, removed when the test `t` ends — so a
 * test run leaves nothing behind in /tmp, however often it is run.
 *
 * @example
 * it('reads a config file', async (t) => {
 *   const dir = await temporaryFolder(t, 'kipc-policy-')
 * })
 */
export async function temporaryFolder(t: TestContext, prefix: string): Promise<string> {
  const folder = await mkdtemp(join(tmpdir(), prefix))
  t.after(() => rm(folder, { recursive: true, force: true }))
  return folder
}
