// What bench/lib/service-under-load.ts reports to bench/startup.ts, as one JSON line.

/** One system's run alone in a child process. Memory in bytes. */
export interface LoadReport {
  readonly system: string
  readonly calls: number
  readonly concurrency: number
  readonly perSecond: number
  /** Node alone, before the bench modules (zod, @platformatic/kafka, kafka-ipc) load. */
  readonly rssAtStart: number
  readonly rssAfterImports: number
  /** Listening, after one call. */
  readonly rssIdle: number
  /** `process.resourceUsage().maxRSS` after the load. */
  readonly maxRss: number
}
