// What bench/lib/memory-load.ts measures of one responder alone in a child process.

/** One responder's run alone in a child process, called from the parent. Memory in bytes. */
export interface LoadReport {
  readonly system: string
  readonly calls: number
  readonly concurrency: number
  readonly perSecond: number
  /** Node alone, before the service's modules (zod, @platformatic/kafka, kafka-ipc) load. */
  readonly rssAtStart: number
  readonly rssAfterImports: number
  /** Listening, after one call. */
  readonly rssIdle: number
  /** `process.resourceUsage().maxRSS` after the load. */
  readonly maxRss: number
  /** The responder's CPU time (user + system) per call while under load, in microseconds. */
  readonly cpuMicrosPerCall: number
  /** Bytes that survived a young-generation collection under the load (median; NaN when none ran). */
  readonly keptPerScavenge: number
  /** The largest V8 made its new space under the load, in bytes. */
  readonly youngGeneration: number
}
