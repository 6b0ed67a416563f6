export { serveHealth, type HealthServer, type HealthServerOptions, type HealthSource } from './health-server.ts'
export { defaultProbeLimits, liveness, readiness, startup, type ProbeInputs, type ProbeLimits, type ProbeResult } from './probes.ts'
export { EventLoopWatch } from './event-loop-watch.ts'
export { shutdownOnSignals, type Closable, type ShutdownOptions } from './shutdown.ts'
