// Types for parse-prometheus-text-format (which ships none): what the metrics tests read of it.
declare module 'parse-prometheus-text-format' {
  /** One sample of a family: a value, or a histogram's buckets, count and sum; all as printed. */
  export interface ParsedMetric {
    readonly labels?: Readonly<Record<string, string>>
    readonly value?: string
    readonly buckets?: Readonly<Record<string, string>>
    readonly count?: string
    readonly sum?: string
  }

  /** One metric family: its `# HELP`, `# TYPE` and samples. */
  export interface ParsedFamily {
    readonly name: string
    readonly help: string
    readonly type: 'COUNTER' | 'GAUGE' | 'HISTOGRAM' | 'SUMMARY' | 'UNTYPED'
    readonly metrics: readonly ParsedMetric[]
  }

  export default function parsePrometheusTextFormat(text: string): ParsedFamily[]
}
