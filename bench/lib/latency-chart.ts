// Hand-written SVG of latency percentile curves, one per system: x is the percentile on a
// tail-stretched scale (p0, p50, p90, p99, p99.9 — each step right adds a nine), y is the latency
// in ms on a log scale. No dependencies.
import type { LatencyFile } from './latency-file.ts'
import { percentile } from './measure.ts'

const width = 1000
const height = 600
const plot = { left: 84, top: 96, right: 690, bottom: 520 }
const palette = ['#8a4fbf', '#e08a12', '#6b4c3b', '#0f8b8d', '#b8336a']
/** The same system keeps its colour from chart to chart. */
const colours: readonly [string, string][] = [
  ['kafka-ipc', '#1f6fb4'],
  ['raw', '#d0342c'],
  ['node:http', '#2e9a3e'],
]

function colourOf(system: string, index: number): string {
  return colours.find(([prefix]) => system.startsWith(prefix))?.[1] ?? palette[index % palette.length] ?? '#000'
}
const font = 'font-family="DejaVu Sans, Helvetica, Arial, sans-serif"'
/** The percentiles marked and labelled on the x axis. */
const marks = [0, 50, 90, 99, 99.9]
const maxNines = 3

/** Position of percentile p on the x axis, in nines: p90 → 1, p99 → 2, p99.9 → 3. */
function nines(p: number): number {
  return -Math.log10(1 - p / 100)
}

function escape(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;')
}

/** 0.05, 0.3, 2, 40, 700: as few digits as the value needs. */
function label(ms: number): string {
  return ms >= 1 ? String(Math.round(ms)) : String(Number(ms.toPrecision(1)))
}

/** Splits text into lines of at most `max` characters at spaces. */
function wrap(text: string, max: number): string[] {
  const lines: string[] = []
  let line = ''
  for (const word of text.split(' ')) {
    if (line !== '' && line.length + 1 + word.length > max) {
      lines.push(line)
      line = word
    } else line = line === '' ? word : `${line} ${word}`
  }
  if (line !== '') lines.push(line)
  return lines
}

/** The nearest 1, 2 or 5 × 10^k below (`down`) or above `value`: the y axis ends. */
function nice(value: number, down: boolean): number {
  const decade = 10 ** Math.floor(Math.log10(value))
  const steps = [1, 2, 5, 10].map((step) => step * decade)
  return down ? (steps.filter((step) => step <= value).at(-1) ?? decade) : (steps.find((step) => step >= value) ?? 10 * decade)
}

/** Log-scale y ticks: 1, 2, 5 of every decade between `low` and `high`. */
function yTicks(low: number, high: number): number[] {
  const ticks: number[] = []
  for (let decade = Math.floor(Math.log10(low)); decade <= Math.ceil(Math.log10(high)); decade++) {
    for (const step of [1, 2, 5]) {
      const value = step * 10 ** decade
      if (value >= low * 0.999 && value <= high * 1.001) ticks.push(value)
    }
  }
  return ticks
}

/** The chart as an SVG document. */
export function renderLatencyChart(file: LatencyFile): string {
  const series = file.series.map((entry) => ({ ...entry, sorted: [...entry.samples].sort((a, b) => a - b) }))
  const at = (sorted: readonly number[], p: number): number => (p === 0 ? (sorted[0] ?? Number.NaN) : percentile(sorted, p))
  const values = series.flatMap(({ sorted }) => [at(sorted, 0), at(sorted, 99.9)]).filter((value) => Number.isFinite(value) && value > 0)
  const low = nice(Math.min(...values), true)
  const high = nice(Math.max(...values), false)
  const x = (p: number): number => plot.left + (nines(p) / maxNines) * (plot.right - plot.left)
  const y = (ms: number): number => plot.bottom - ((Math.log10(ms) - Math.log10(low)) / (Math.log10(high) - Math.log10(low))) * (plot.bottom - plot.top)
  const svg: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" ${font}>`,
    `<rect width="${width}" height="${height}" fill="#ffffff"/>`,
    `<text x="${plot.left}" y="34" font-size="20" font-weight="bold" fill="#222">${escape(file.title)}</text>`,
    ...wrap(file.note, 118).slice(0, 3).map((line, i) => `<text x="${plot.left}" y="${56 + i * 16}" font-size="12" fill="#555">${escape(line)}</text>`),
  ]
  // Grid and axes.
  for (const tick of yTicks(low, high)) {
    const major = Number.isInteger(Math.log10(tick))
    svg.push(`<line x1="${plot.left}" y1="${y(tick).toFixed(1)}" x2="${plot.right}" y2="${y(tick).toFixed(1)}" stroke="${major ? '#c8c8c8' : '#ececec'}"/>`)
    svg.push(`<text x="${plot.left - 8}" y="${(y(tick) + 4).toFixed(1)}" font-size="12" text-anchor="end" fill="#333">${label(tick)}</text>`)
  }
  for (const p of marks) {
    svg.push(`<line x1="${x(p).toFixed(1)}" y1="${plot.top}" x2="${x(p).toFixed(1)}" y2="${plot.bottom}" stroke="#d8d8d8" stroke-dasharray="3 3"/>`)
    svg.push(`<text x="${x(p).toFixed(1)}" y="${plot.bottom + 20}" font-size="13" text-anchor="middle" fill="#333">p${p}</text>`)
  }
  svg.push(`<rect x="${plot.left}" y="${plot.top}" width="${plot.right - plot.left}" height="${plot.bottom - plot.top}" fill="none" stroke="#888"/>`)
  svg.push(`<text x="${(plot.left + plot.right) / 2}" y="${plot.bottom + 46}" font-size="13" text-anchor="middle" fill="#333">percentile (each step right adds a nine: p90, p99, p99.9)</text>`)
  svg.push(`<text transform="translate(26 ${(plot.top + plot.bottom) / 2}) rotate(-90)" font-size="13" text-anchor="middle" fill="#333">latency, ms (log scale)</text>`)
  // Curves, with dots at the marked percentiles.
  series.forEach(({ system, sorted }, i) => {
    const color = colourOf(system, i)
    const points: string[] = []
    for (let step = 0; step <= maxNines * 100; step++) {
      const p = 100 * (1 - 10 ** (-step / 100))
      points.push(`${x(p).toFixed(1)},${y(Math.max(low, at(sorted, p))).toFixed(1)}`)
    }
    svg.push(`<polyline points="${points.join(' ')}" fill="none" stroke="${color}" stroke-width="2.2" stroke-linejoin="round"/>`)
    for (const p of marks) svg.push(`<circle cx="${x(p).toFixed(1)}" cy="${y(Math.max(low, at(sorted, p))).toFixed(1)}" r="3.5" fill="${color}"/>`)
  })
  // Legend: name, sample count and the headline percentiles.
  const legendX = plot.right + 24
  series.forEach(({ system, scenario, sorted }, i) => {
    const color = colourOf(system, i)
    const top = plot.top + 8 + i * 66
    svg.push(`<line x1="${legendX}" y1="${top}" x2="${legendX + 26}" y2="${top}" stroke="${color}" stroke-width="3"/>`)
    svg.push(`<text x="${legendX + 34}" y="${top + 5}" font-size="14" font-weight="bold" fill="#222">${escape(system)}</text>`)
    svg.push(`<text x="${legendX + 34}" y="${top + 23}" font-size="12" fill="#444">${escape(scenario)}, ${sorted.length} samples</text>`)
    svg.push(`<text x="${legendX + 34}" y="${top + 40}" font-size="12" fill="#444">p50 ${at(sorted, 50).toFixed(2)} · p99 ${at(sorted, 99).toFixed(2)} · p99.9 ${at(sorted, 99.9).toFixed(1)} ms</text>`)
  })
  svg.push('</svg>', '')
  return svg.join('\n')
}
