// examples/kubernetes/ deploys the pricing service with probes, a preStop hook and grace periods
// derived from kafka-ipc's defaults. The manifest must parse, name the library's port and paths,
// and keep its timings consistent with the library's limits — the rules below are the ones its
// comments and README state. Then pricing.ts runs as the container would run it, on a real broker:
// the manifest's probe paths answer 200 once it is ready, so does the annotated metrics path, it
// answers a call, and SIGTERM makes it exit 0 within the manifest's grace period, its preStop hook
// deducted.
import assert from 'node:assert/strict'
import { type ChildProcess, spawn } from 'node:child_process'
import { existsSync, readFileSync } from 'node:fs'
import { after, before, describe, it } from 'node:test'
import { setTimeout as sleep } from 'node:timers/promises'
import { fileURLToPath } from 'node:url'
import { parseAllDocuments } from 'yaml'
import { z } from 'zod'
import { Client } from '../../../src/core/client.ts'
import { definePolicy } from '../../../src/core/policy.ts'
import { defaultHealthPaths, defaultHealthPort } from '../../../src/operations/health-server.ts'
import { defaultProbeLimits } from '../../../src/operations/probes.ts'
import { defaultShutdownGraceMs } from '../../../src/operations/shutdown.ts'
import { kafkaTransport } from '../../../src/transports/kafka/kafka-transport.ts'
import { uniqueName, useKafka } from '../../support/kafka.ts'

const brokers = useKafka()
const root = fileURLToPath(new URL('../../../', import.meta.url))
const folder = `${root}examples/kubernetes/`
/** What Kubernetes needs after the shutdown grace: the process exits, its last logs flush. */
const exitMarginMs = 5_000

const Probe = z.object({
  httpGet: z.object({ path: z.string(), port: z.union([z.number(), z.string()]) }),
  // Every timing stated, none left to Kubernetes' defaults.
  periodSeconds: z.number().int().positive(),
  timeoutSeconds: z.number().int().positive(),
  failureThreshold: z.number().int().positive(),
})
type Probe = z.infer<typeof Probe>
const Labels = z.record(z.string(), z.string())
const Deployment = z.object({
  kind: z.literal('Deployment'),
  spec: z.object({
    selector: z.object({ matchLabels: Labels }),
    template: z.object({
      metadata: z.object({ labels: Labels, annotations: z.record(z.string(), z.unknown()) }),
      spec: z.object({
        terminationGracePeriodSeconds: z.number().int().positive(),
        securityContext: z.object({ runAsNonRoot: z.literal(true), runAsUser: z.number().int().positive() }),
        containers: z.tuple([
          z.object({
            env: z.array(z.object({ name: z.string(), value: z.string() })),
            ports: z.array(z.object({ name: z.string(), containerPort: z.number() })),
            startupProbe: Probe,
            readinessProbe: Probe.extend({ successThreshold: z.literal(1) }),
            livenessProbe: Probe,
            lifecycle: z.object({ preStop: z.object({ sleep: z.object({ seconds: z.number().int().positive() }) }) }),
            securityContext: z.object({ allowPrivilegeEscalation: z.literal(false), readOnlyRootFilesystem: z.literal(true) }),
          }),
        ]),
      }),
    }),
  }),
})
const Service = z.object({
  kind: z.literal('Service'),
  spec: z.object({ selector: Labels, ports: z.array(z.object({ port: z.number(), targetPort: z.union([z.number(), z.string()]) })) }),
})

/** The manifest's two documents, parsed strictly: any YAML error or warning fails. */
function manifest(): { deployment: z.infer<typeof Deployment>; service: z.infer<typeof Service> } {
  const parsed = parseAllDocuments(readFileSync(`${folder}deployment.yaml`, 'utf8'), { prettyErrors: true })
  assert.ok(Array.isArray(parsed), 'deployment.yaml holds documents')
  for (const document of parsed) assert.deepEqual([...document.errors, ...document.warnings].map(String), [])
  const [deployment, service, ...rest] = parsed.map((document) => document.toJS() as unknown)
  assert.equal(rest.length, 0, 'a Deployment and a Service, nothing else')
  return { deployment: Deployment.parse(deployment), service: Service.parse(service) }
}

/** Polls `check` until it gives a value; fails with `message()` after `ms`. */
async function waitFor<T>(ms: number, check: () => T | undefined | Promise<T | undefined>, message: () => string): Promise<T> {
  const deadline = Date.now() + ms
  while (Date.now() < deadline) {
    const value = await check()
    if (value !== undefined) return value
    await sleep(100)
  }
  assert.fail(message())
}

/** How long a probe must fail in a row before Kubernetes acts (ms). */
const failureWindowMs = (probe: Probe): number => probe.failureThreshold * probe.periodSeconds * 1_000

describe('examples/kubernetes', { timeout: 180_000 }, () => {
  const { deployment, service } = manifest()
  const pod = deployment.spec.template
  const [container] = pod.spec.containers
  const portOf = (reference: number | string): number | undefined => (typeof reference === 'number' ? reference : container.ports.find((port) => port.name === reference)?.containerPort)
  const preStopMs = container.lifecycle.preStop.sleep.seconds * 1_000

  it("names the library's default port and probe paths", () => {
    assert.deepEqual(container.ports.map((port) => port.containerPort), [defaultHealthPort])
    assert.deepEqual(
      { startup: container.startupProbe.httpGet.path, ready: container.readinessProbe.httpGet.path, live: container.livenessProbe.httpGet.path },
      { startup: defaultHealthPaths.startup, ready: defaultHealthPaths.ready, live: defaultHealthPaths.live },
    )
    for (const probe of [container.startupProbe, container.readinessProbe, container.livenessProbe]) assert.equal(portOf(probe.httpGet.port), defaultHealthPort, probe.httpGet.path)
    assert.deepEqual(deployment.spec.selector.matchLabels, pod.metadata.labels)
    assert.deepEqual(service.spec.selector, pod.metadata.labels, 'the Service selects the pods')
    assert.deepEqual(service.spec.ports.map((port) => [port.port, portOf(port.targetPort)]), [[defaultHealthPort, defaultHealthPort]], 'the Service exposes the probe and metrics port')
    assert.deepEqual(container.env.map((variable) => variable.name), ['KAFKA_BROKERS'])
  })

  it('annotates the pods for scraping on that port (strings, as annotations must be)', () => {
    const { annotations } = pod.metadata
    assert.equal(annotations['prometheus.io/scrape'], 'true')
    assert.equal(annotations['prometheus.io/port'], String(defaultHealthPort))
    assert.equal(annotations['prometheus.io/path'], '/metrics')
  })

  it("derives its probe timings from the library's limits", () => {
    const { brokerGraceMs, stallMs, stallWindowMs, stuckMs } = defaultProbeLimits
    const { startupProbe: startup, readinessProbe: readiness, livenessProbe: liveness } = container
    for (const probe of [startup, readiness, liveness]) {
      assert.ok(probe.timeoutSeconds * 1_000 > stallMs, `${probe.httpGet.path}: a stall the library tolerates (${stallMs} ms) must not fail the probe by timing out`)
    }
    assert.ok(failureWindowMs(startup) >= stuckMs, `a start waiting for its broker gets as long as a recovering channel (${stuckMs} ms), got ${failureWindowMs(startup)} ms`)
    assert.ok(readiness.failureThreshold >= 2, 'one late answer is no verdict')
    assert.ok(failureWindowMs(readiness) <= brokerGraceMs, `the library rides out a failover for ${brokerGraceMs} ms; Kubernetes adds at most that again, got ${failureWindowMs(readiness)} ms`)
    assert.ok(
      failureWindowMs(liveness) > stallWindowMs + liveness.periodSeconds * 1_000,
      `one stall fails liveness for ${stallWindowMs} ms (and the probe it delayed): it alone must not restart the pod, got ${failureWindowMs(liveness)} ms`,
    )
    assert.ok(failureWindowMs(liveness) < stuckMs, 'a stuck channel restarts the pod soon after the library calls it stuck')
  })

  it('gives the shutdown its grace after the preStop hook', () => {
    assert.ok(preStopMs > 0)
    assert.ok(
      pod.spec.terminationGracePeriodSeconds * 1_000 >= preStopMs + defaultShutdownGraceMs + exitMarginMs,
      `terminationGracePeriodSeconds ${pod.spec.terminationGracePeriodSeconds} s ≥ preStop ${preStopMs} ms + shutdown grace ${defaultShutdownGraceMs} ms + ${exitMarginMs} ms`,
    )
  })

  it("has a Dockerfile that runs pricing.ts on Node 24 as the manifest's user, exposing the probe port", () => {
    const dockerfile = readFileSync(`${folder}Dockerfile`, 'utf8')
    const lastStage = dockerfile.slice(dockerfile.lastIndexOf('\nFROM '))
    assert.match(lastStage, /^\nFROM node:24-slim\n/)
    assert.equal(/^USER (\d+)/m.exec(lastStage)?.[1], String(pod.spec.securityContext.runAsUser))
    assert.equal(/^EXPOSE (\d+)$/m.exec(lastStage)?.[1], String(defaultHealthPort))
    assert.match(lastStage, /^CMD \["node", "pricing\.ts"\]$/m)
    for (const [, file = ''] of lastStage.matchAll(/^COPY (?!--from)(.+) \.\/$/gm)) for (const path of file.split(' ')) assert.ok(existsSync(`${root}${path}`), `${path} exists`)
  })

  describe('pricing.ts, run as the container runs it', () => {
    const running: ChildProcess[] = []
    before(async () => {
      // The example imports the package, which resolves to dist/: it must be built, and current (npm test builds it).
      const built = await import('kafka-ipc').catch(() => undefined)
      assert.ok(built !== undefined && Object.hasOwn(built, 'defaultHealthPort'), 'dist/ is missing or older than src/: run `npm run build` first')
    })
    after(() => {
      for (const child of running) child.kill('SIGKILL')
    })

    it('answers the probes the manifest names once ready, and the scrape, serves a call, and exits 0 on SIGTERM within the grace', async () => {
      const prefix = uniqueName('k8s')
      const child = spawn(process.execPath, [`${folder}pricing.ts`], {
        cwd: folder,
        env: { ...process.env, KAFKA_BROKERS: brokers().join(','), KIPC_PREFIX: prefix, HEALTH_PORT: '0' },
        stdio: ['ignore', 'pipe', 'pipe'],
      })
      running.push(child)
      let output = ''
      child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()))
      child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()))
      const exited = new Promise<number | null>((resolve) => child.once('exit', resolve))
      const logs = (): { msg?: string; port?: number }[] =>
        output.split('\n').flatMap((line) => {
          try {
            return [JSON.parse(line) as { msg?: string; port?: number }]
          } catch {
            return []
          }
        })

      // Its probe port, from its log (HEALTH_PORT 0 picks a free one).
      const port = await waitFor(30_000, () => {
        assert.equal(child.exitCode, null, `pricing.ts exited:\n${output}`)
        return logs().find((entry) => entry.msg?.startsWith('probes on ') === true)?.port
      }, () => `pricing.ts logs its probe port within 30 s:\n${output}`)
      const probe = (path: string): Promise<number> => fetch(`http://127.0.0.1:${String(port)}${path}`).then((response) => response.status, () => 0)
      const paths = [container.startupProbe, container.readinessProbe, container.livenessProbe].map((each) => each.httpGet.path)
      let statuses: number[] = []
      await waitFor(60_000, async () => {
        statuses = await Promise.all(paths.map(probe))
        return statuses.every((status) => status === 200) ? true : undefined
      }, () => `the probes pass within 60 s: ${paths.join(' ')} answered ${statuses.join(' ')}\n${output}`)
      assert.equal(await probe('/nowhere'), 404)
      // What Prometheus scrapes, by the pod's annotations: the probe server's port serves it too.
      const scraped = await fetch(`http://127.0.0.1:${String(port)}${String(pod.metadata.annotations['prometheus.io/path'])}`)
      const exposition = await scraped.text()
      assert.equal(scraped.status, 200, exposition)
      assert.match(scraped.headers.get('content-type') ?? '', /^text\/plain/)
      assert.match(exposition, /^# TYPE \w+ (counter|gauge|histogram|summary)$/m, 'Prometheus text exposition')

      const { quote } = await import('../../../examples/kubernetes/contracts.ts')
      const client = new Client({ name: 'k8s-caller', policy: definePolicy({ prefix }), transport: kafkaTransport({ brokers: brokers() }), ownsTransport: true })
      try {
        assert.deepEqual(await client.call(quote, { body: { from: 'WAW', to: 'JFK', passengers: 2 }, timeout: 30_000 }), { price: 1298, currency: 'EUR' })
      } finally {
        await client.close()
      }

      const signalledAt = Date.now()
      child.kill('SIGTERM')
      const code = await exited
      const exitMs = Date.now() - signalledAt
      const budgetMs = pod.spec.terminationGracePeriodSeconds * 1_000 - preStopMs
      console.log(`[kubernetes] probes ${paths.join(' ')} and ${String(pod.metadata.annotations['prometheus.io/path'])} → 200; SIGTERM → exit ${String(code)} after ${exitMs} ms (the manifest leaves ${budgetMs} ms after preStop)`)
      assert.equal(code, 0, output)
      assert.ok(exitMs < budgetMs, `exits within the grace the manifest leaves after preStop (${budgetMs} ms)`)
      assert.ok(logs().some((entry) => entry.msg?.includes('SIGTERM received, shutting down') === true), `the shutdown is logged through pino, as JSON:\n${output}`)
    })
  })
})
