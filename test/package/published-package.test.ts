// The package as a new user meets it: packed with `npm pack`, installed from the tarball into a
// fresh project, type-checked with a strict tsconfig and run against the test broker — first a
// program that touches every entry point, with nothing installed besides kafka-ipc, zod and
// TypeScript (so a published .d.ts that needs Node's types fails here); then the README's files,
// exactly as written, as separate processes, and the installed command documenting their contracts.
import assert from 'node:assert/strict'
import { execFile, spawn } from 'node:child_process'
import { randomUUID } from 'node:crypto'
import { existsSync, readFileSync } from 'node:fs'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join, posix } from 'node:path'
import { after, before, describe, it } from 'node:test'
import { promisify } from 'node:util'
import { useKafka } from '../support/kafka.ts'
import { readmeFiles } from './readme-files.ts'

const run = promisify(execFile)
const repo = join(import.meta.dirname, '..', '..')
const manifest = JSON.parse(readFileSync(join(repo, 'package.json'), 'utf8')) as { version: string; devDependencies: Record<string, string> }
const brokers = useKafka()

/** What a user would put in tsconfig.json on Node 24: strict, nodenext, `.ts` imports, and no skipLibCheck. */
function tsconfig(types: readonly string[]): string {
  return JSON.stringify({
    compilerOptions: { strict: true, module: 'nodenext', moduleResolution: 'nodenext', target: 'es2024', types, noEmit: true, allowImportingTsExtensions: true, skipLibCheck: false },
  })
}

describe('the published package, installed from its tarball', { timeout: 5 * 60_000 }, () => {
  let project: string
  let shipped: Set<string>

  before(async () => {
    if (!existsSync(join(repo, 'dist', 'index.js'))) throw new Error('dist/ is missing: run `npm run build` first (npm test does)')
    project = await mkdtemp(join(tmpdir(), 'kipc-consumer-'))
    const packed = await run('npm', ['pack', '--ignore-scripts', '--json', '--pack-destination', project], { cwd: repo })
    const [{ filename, files }] = JSON.parse(packed.stdout) as [{ filename: string; files: { path: string }[] }]
    shipped = new Set(files.map((file) => file.path))
    await writeFile(join(project, 'package.json'), JSON.stringify({ name: 'consumer', private: true, type: 'module' }))
    await npmInstall(project, `./${filename}`, `zod@${manifest.devDependencies['zod'] ?? '4'}`, `typescript@${manifest.devDependencies['typescript'] ?? '6'}`)
  })
  after(async () => {
    await rm(project, { recursive: true, force: true })
  })

  it('ships a LICENSE, source maps with their sources, no install scripts, and docs whose links resolve inside the package', () => {
    assert.ok(shipped.has('LICENSE'))
    assert.match(readFileSync(join(repo, 'LICENSE'), 'utf8'), /Apache License\s+Version 2\.0/)
    const installed = JSON.parse(readFileSync(join(project, 'node_modules', 'kafka-ipc', 'package.json'), 'utf8')) as { scripts?: Record<string, string> }
    for (const hook of ['preinstall', 'install', 'postinstall', 'prepare']) assert.equal(installed.scripts?.[hook], undefined, `no ${hook} script runs in a consumer's install`)
    const maps = [...shipped].filter((path) => path.endsWith('.map'))
    assert.ok(maps.length > 0)
    for (const map of maps) {
      const parsed = JSON.parse(readFileSync(join(project, 'node_modules', 'kafka-ipc', map), 'utf8')) as { sources: string[]; sourcesContent?: string[] }
      assert.equal(parsed.sourcesContent?.length, parsed.sources.length, `${map} carries its sources`)
    }
    const broken: string[] = []
    for (const doc of [...shipped].filter((path) => path.endsWith('.md'))) {
      const text = readFileSync(join(project, 'node_modules', 'kafka-ipc', doc), 'utf8')
      for (const [, target = ''] of text.matchAll(/\]\(([^)\s]+)\)/g)) {
        if (/^[a-z]+:/.test(target) || target.startsWith('#')) continue
        const path = posix.normalize(posix.join(posix.dirname(doc), target.split('#')[0] ?? '')).replace(/\/$/, '')
        if (!shipped.has(path) && ![...shipped].some((file) => file.startsWith(`${path}/`))) broken.push(`${doc} → ${target}`)
      }
    }
    assert.deepEqual(broken, [], 'every relative link in the shipped docs resolves inside the package')
  })

  it('type-checks a program using every entry point without Node types, and runs it against the broker', async () => {
    await writeFile(join(project, 'tsconfig.json'), tsconfig([]))
    await writeFile(join(project, 'entry-points.ts'), entryPointsProgram)
    await typecheck(project, 'tsconfig.json')
    const { stdout } = await run(process.execPath, ['entry-points.ts'], { cwd: project, env: { ...process.env, KAFKA_BROKERS: brokers().join(',') }, timeout: 60_000 })
    assert.match(stdout, /memory: 3\nkafka: 42\nfetch: 200 10\ngateway: 200 2\nhooks: onReceive=3 preHandler=3 onSend=3 onResponse=3\ntraced: call call call\n/)
  })

  it('mounts a node:http listener through kafka-ipc/adapters, type-checked with Node types, and fetches from it', async () => {
    await npmInstall(project, `@types/node@${manifest.devDependencies['@types/node'] ?? '24'}`)
    await writeFile(join(project, 'adapters.ts'), adaptersProgram)
    await writeFile(join(project, 'tsconfig.adapters.json'), JSON.stringify({ ...JSON.parse(tsconfig(['node'])), include: ['adapters.ts'] }))
    await typecheck(project, 'tsconfig.adapters.json')
    const { stdout } = await run(process.execPath, ['adapters.ts'], { cwd: project, timeout: 60_000 })
    assert.equal(stdout, 'adapters: 201 text/plain hello /greet?to=you\n')
  })

  it("runs the README's files as written: a service, a caller that exits, a unit test, and a shutdown on SIGTERM", async () => {
    await npmInstall(project, `@types/node@${manifest.devDependencies['@types/node'] ?? '24'}`)
    const files = readmeFiles(readFileSync(join(repo, 'README.md'), 'utf8'))
    assert.deepEqual([...files.keys()].sort(), ['caller.ts', 'contracts.ts', 'pricing.test.ts', 'pricing.ts'])
    for (const [name, text] of files) await writeFile(join(project, name), text)
    await writeFile(join(project, 'tsconfig.readme.json'), JSON.stringify({ ...JSON.parse(tsconfig(['node'])), include: [...files.keys()] }))
    await typecheck(project, 'tsconfig.readme.json')

    const env = { ...process.env, KAFKA_BROKERS: brokers().join(','), KIPC_PREFIX: `readme-${randomUUID().slice(0, 8)}` }
    const service = spawn(process.execPath, ['pricing.ts'], { cwd: project, env, stdio: ['ignore', 'pipe', 'pipe'] })
    let serviceOutput = ''
    service.stdout.on('data', (chunk: Buffer) => (serviceOutput += chunk.toString()))
    service.stderr.on('data', (chunk: Buffer) => (serviceOutput += chunk.toString()))
    const exited = new Promise<number | null>((resolve) => service.once('exit', resolve))
    try {
      await waitFor(() => serviceOutput.includes('pricing is listening'), () => `the service did not start: ${serviceOutput}`)
      const caller = await run(process.execPath, ['caller.ts'], { cwd: project, env, timeout: 60_000 })
      assert.equal(caller.stdout, 'WAW-LO1 99\nWAW-LO3 99\nWAW-LO5 99\nprice 120 seats held 1\n', 'the caller prints its answers and exits by itself')
      await waitFor(() => serviceOutput.includes('booked B1'), () => `the service did not get the event: ${serviceOutput}`)
      // docs/getting-started.md: the same in plain JavaScript (the contracts hold no TypeScript syntax).
      await writeFile(join(project, 'contracts.js'), files.get('contracts.ts') ?? '')
      await writeFile(join(project, 'caller.js'), javascriptCaller())
      const plain = await run(process.execPath, ['caller.js'], { cwd: project, env, timeout: 60_000 })
      assert.equal(plain.stdout, '{ price: 120 }\n')
      service.kill('SIGTERM')
      assert.equal(await Promise.race([exited, new Promise((resolve) => setTimeout(resolve, 20_000, 'still running'))]), 0, `the service exits cleanly on SIGTERM: ${serviceOutput}`)
    } finally {
      service.kill('SIGKILL')
    }
    // As a user runs it, not as a child of this test runner (which tells children to report to it).
    const userEnv = { ...process.env }
    delete userEnv['NODE_TEST_CONTEXT']
    const unitTest = await run(process.execPath, ['--test', '--test-reporter=tap', 'pricing.test.ts'], { cwd: project, env: userEnv, timeout: 60_000 })
    assert.match(unitTest.stdout, /# pass 1\n# fail 0/)

    // The installed command documents the README's contracts (docs/documents.md).
    const bin = join(project, 'node_modules', 'kafka-ipc', 'dist', 'cli', 'bin.js')
    const documented = await run(process.execPath, [bin, 'docs', 'contracts.ts', '--title', 'README', '--prefix', 'shop'], { cwd: project, env: userEnv, timeout: 60_000 })
    const document = JSON.parse(documented.stdout) as { asyncapi: string; channels: Record<string, { address: string | null }>; operations: Record<string, unknown> }
    assert.equal(document.asyncapi, '3.0.0')
    assert.deepEqual(Object.values(document.channels).map((channel) => channel.address), ['shop.pricing.requests', 'shop.event.booking.created', 'shop.gather.seats.hold', null])
    assert.deepEqual(Object.keys(document.operations), ['pricing.GET.fares._from', 'pricing.POST.quotes', 'on.booking.created', 'gather.seats.hold'])
  })
})

const adaptersProgram = `
import type { IncomingMessage, ServerResponse } from 'node:http'
import { createClient, createService } from 'kafka-ipc'
import { fromNodeHandler } from 'kafka-ipc/adapters'
import { MemoryBroker, memoryTransport } from 'kafka-ipc/memory'

const listener = (request: IncomingMessage, response: ServerResponse): void => {
  response.writeHead(201, { 'content-type': 'text/plain' }).end('hello ' + (request.url ?? ''))
}
const broker = new MemoryBroker()
const app = createService({ name: 'greeter', transport: memoryTransport(broker) }).mount(fromNodeHandler(listener))
await app.listen()
const client = createClient({ name: 'caller', transport: memoryTransport(broker) })
const response = await client.fetch('kafka://greeter/greet?to=you')
console.log('adapters:', response.status, response.headers.get('content-type'), await response.text())
await client.close()
await app.close()
`

/** The ```js block of docs/getting-started.md. */
function javascriptCaller(): string {
  const guide = readFileSync(join(repo, 'docs', 'getting-started.md'), 'utf8')
  const block = /```js\n(\/\/ caller\.js[\s\S]*?)```/.exec(guide)?.[1]
  if (block === undefined) throw new Error('docs/getting-started.md has no ```js block starting with // caller.js')
  return block
}

async function npmInstall(project: string, ...packages: string[]): Promise<void> {
  await run('npm', ['install', '--no-audit', '--no-fund', '--loglevel=error', ...packages], { cwd: project, timeout: 180_000 })
}

async function typecheck(project: string, config: string): Promise<void> {
  const tsc = join(project, 'node_modules', 'typescript', 'bin', 'tsc')
  const result = await run(process.execPath, [tsc, '-p', config], { cwd: project }).catch((error: unknown) => error as { stdout: string; code: number })
  assert.equal('code' in result ? result.stdout : '', '', 'tsc reports no errors')
}

async function waitFor(condition: () => boolean, explain: () => string, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(explain())
    await new Promise((resolve) => setTimeout(resolve, 100))
  }
}

/** Every entry point, in a project where only kafka-ipc, zod and TypeScript are installed. */
const entryPointsProgram = `
import { createClient, createService, definePolicy, diagnostics, isKafkaIpcError, route, type HealthReport, type ServicePlugin } from 'kafka-ipc'
import { MemoryBroker, memoryTransport } from 'kafka-ipc/memory'
import { cacheDir, LocalKafka, type LocalKafkaOptions } from 'kafka-ipc/local-kafka'
import { createGateway } from 'kafka-ipc/gateway'
import { z } from 'zod'

const add = route('math', 'POST /add', { body: z.object({ a: z.number(), b: z.number() }), reply: z.object({ sum: z.number() }) })

const broker = new MemoryBroker()
const inMemory = createService({ name: 'math', transport: memoryTransport(broker) })
inMemory.handle(add, (request) => ({ sum: request.body.a + request.body.b }))
await inMemory.listen()
const memoryCaller = createClient({ name: 'caller', transport: memoryTransport(broker) })
console.log('memory:', (await memoryCaller.call(add, { body: { a: 1, b: 2 } })).sum)
await memoryCaller.close()
await inMemory.close()

declare module 'kafka-ipc' {
  interface Decorations {
    offset: number
  }
}
const phases: string[] = []
const withOffset: ServicePlugin<{ offset: number }> = (app, { offset }) => {
  app.decorate('offset', offset)
  for (const phase of ['onReceive', 'preHandler', 'onSend', 'onResponse'] as const) app.addHook(phase, () => { phases.push(phase) })
}
const traced: string[] = []
const subscriber = { asyncEnd: (trace: { kind: string }) => { traced.push(trace.kind) } }
diagnostics.call.subscribe(subscriber)

const policy = definePolicy({ prefix: 'pkg-' + crypto.randomUUID().slice(0, 8), partitions: 1 })
const onKafka = createService({ name: 'math', policy }).register(withOffset, { offset: 0 })
onKafka.handle(add, (request, context) => ({ sum: request.body.a + request.body.b + context.decorations.offset }))
await onKafka.listen()
const kafkaCaller = createClient({ name: 'caller', policy })
const report: HealthReport = onKafka.health()
const options: LocalKafkaOptions = { nodes: 1 }
if (report.status !== 'ok' || typeof cacheDir() !== 'string' || typeof LocalKafka.start !== 'function' || options.nodes !== 1) throw new Error('unexpected')
try {
  console.log('kafka:', (await kafkaCaller.call(add, { body: { a: 40, b: 2 } })).sum)
  const fetched = await kafkaCaller.fetch('kafka://math/add', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ a: 5, b: 5 }) })
  console.log('fetch:', fetched.status, ((await fetched.json()) as { sum: number }).sum)
  const gateway = createGateway({ client: kafkaCaller, expose: { math: ['POST /add'] } })
  const viaGateway = await gateway(new Request('http://gateway.local/math/add', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ a: 1, b: 1 }) }))
  console.log('gateway:', viaGateway.status, ((await viaGateway.json()) as { sum: number }).sum)
} catch (error) {
  console.log(isKafkaIpcError(error) ? error.code : 'untyped')
}
await kafkaCaller.close()
await onKafka.close()
diagnostics.call.unsubscribe(subscriber)
// Counted, not listed: a reply can reach the caller before the responder's onResponse has run.
console.log('hooks:', (['onReceive', 'preHandler', 'onSend', 'onResponse'] as const).map((phase) => phase + '=' + String(phases.filter((seen) => seen === phase).length)).join(' '))
console.log('traced:', traced.join(' '))
`
