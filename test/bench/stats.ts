/** Small statistics and table printing for the benchmarks. */

export const percentile = (values: ReadonlyArray<number>, p: number): number => {
  if (values.length === 0) return Number.NaN
  const sorted = [...values].sort((a, b) => a - b)
  const index = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))
  return sorted[index]!
}

export const median = (values: ReadonlyArray<number>): number => percentile(values, 50)

/** The spread of repeated measurements: p10 and p90 (min and max for fewer than ten). */
export const range = (values: ReadonlyArray<number>): readonly [number, number] =>
  values.length < 10 ? [Math.min(...values), Math.max(...values)] : [percentile(values, 10), percentile(values, 90)]

/** One line of the results: our figure, the baseline's, their ratio, and the goal if there is one. */
export interface Row {
  readonly section: string
  readonly metric: string
  readonly unit: string
  readonly ours: number
  /** The spread of our measurements, when repeated (see `range`). */
  readonly spread?: readonly [number, number] | undefined
  readonly baseline?: number | undefined
  readonly baselineSpread?: readonly [number, number] | undefined
  /** ours / baseline, or a ratio of our own figures (e.g. 100 MiB / 100 KiB). */
  readonly ratio?: number | undefined
  readonly goal?: string | undefined
  readonly met?: boolean | undefined
}

const format = (value: number | undefined, digits = 1): string =>
  value === undefined || Number.isNaN(value) ? "" : value >= 100 ? value.toFixed(0) : value.toFixed(digits)

const withSpread = (value: number, spread: readonly [number, number] | undefined): string =>
  spread === undefined ? format(value) : `${format(value)} [${format(spread[0])}-${format(spread[1])}]`

export const printTable = (rows: ReadonlyArray<Row>): string => {
  const header = ["section", "metric", "ours", "baseline", "ratio", "goal", "met"]
  const lines = rows.map((r) => [
    r.section,
    `${r.metric} (${r.unit})`,
    withSpread(r.ours, r.spread),
    r.baseline === undefined ? "" : withSpread(r.baseline, r.baselineSpread),
    format(r.ratio, 2),
    r.goal ?? "",
    r.met === undefined ? "" : r.met ? "yes" : "NO"
  ])
  const widths = header.map((h, i) => Math.max(h.length, ...lines.map((l) => l[i]!.length)))
  const render = (cells: ReadonlyArray<string>) => cells.map((c, i) => c.padEnd(widths[i]!)).join("  ").trimEnd()
  return [render(header), render(widths.map((w) => "-".repeat(w))), ...lines.map(render)].join("\n")
}

export const mib = 1024 * 1024
