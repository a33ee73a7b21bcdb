/**
 * Human-readable renderings for the client: tables, durations, byte counts and times.
 *
 * @since 0.1.0
 */

/**
 * Renders rows as columns separated by two spaces; the last column is cut to `width` when given.
 *
 * @since 0.1.0
 * @category formatting
 */
export const table = (header: ReadonlyArray<string>, rows: ReadonlyArray<ReadonlyArray<string>>, width?: number): string => {
  const widths = header.map((title, column) => Math.max(title.length, ...rows.map((row) => (row[column] ?? "").length)))
  const line = (cells: ReadonlyArray<string>) => {
    const text = cells.map((cell, column) => (column === cells.length - 1 ? cell : cell.padEnd(widths[column]!))).join("  ")
    return width !== undefined && text.length > width ? text.slice(0, Math.max(0, width - 1)) + "…" : text
  }
  return [line(header), ...rows.map(line)].join("\n")
}

/**
 * A duration such as `850ms`, `12.3s`, `4m05s` or `2h03m`.
 *
 * @since 0.1.0
 * @category formatting
 */
export const duration = (ms: number): string => {
  if (ms < 1000) return `${Math.round(ms)}ms`
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)}s`
  const seconds = Math.floor(ms / 1000)
  if (seconds < 3600) return `${Math.floor(seconds / 60)}m${String(seconds % 60).padStart(2, "0")}s`
  return `${Math.floor(seconds / 3600)}h${String(Math.floor((seconds % 3600) / 60)).padStart(2, "0")}m`
}

/**
 * How long ago a time was, e.g. `5s ago`.
 *
 * @since 0.1.0
 * @category formatting
 */
export const ago = (time: Date, now: number): string => {
  const ms = Math.max(0, now - time.getTime())
  if (ms < 1000) return "just now"
  return `${duration(ms).replace(/\.\d/, "")} ago`
}

/**
 * A byte count such as `512 B`, `1.5 KiB` or `10.0 MiB`.
 *
 * @since 0.1.0
 * @category formatting
 */
export const bytes = (count: number): string => {
  if (count < 1024) return `${count} B`
  if (count < 1024 * 1024) return `${(count / 1024).toFixed(1)} KiB`
  if (count < 1024 ** 3) return `${(count / 1024 ** 2).toFixed(1)} MiB`
  return `${(count / 1024 ** 3).toFixed(1)} GiB`
}

/**
 * A time as local `YYYY-MM-DD HH:MM:SS`.
 *
 * @since 0.1.0
 * @category formatting
 */
export const localTime = (date: Date): string => {
  const two = (n: number) => String(n).padStart(2, "0")
  return `${date.getFullYear()}-${two(date.getMonth() + 1)}-${two(date.getDate())} ${two(date.getHours())}:${two(date.getMinutes())}:${two(date.getSeconds())}`
}

/**
 * The short form of a job id shown by `ls` (any unique prefix is accepted back).
 *
 * @since 0.1.0
 * @category formatting
 */
export const shortId = (id: string): string => id.slice(0, 8)

/**
 * Key/value lines with the keys aligned.
 *
 * @since 0.1.0
 * @category formatting
 */
export const fields = (pairs: ReadonlyArray<readonly [string, string]>): string => {
  const width = Math.max(...pairs.map(([key]) => key.length))
  return pairs.map(([key, value]) => `${key.padEnd(width)}  ${value}`).join("\n")
}

/**
 * The ports a job listens on, short: `5173,3000` for TCP, `5353/udp` for UDP; `-` for none, `?` where they
 * cannot be read.
 *
 * @since 0.1.0
 * @category formatting
 */
export const ports = (
  listening: { readonly tcp: ReadonlyArray<{ readonly port: number }>; readonly udp: ReadonlyArray<{ readonly port: number }> } | null
): string => {
  if (listening === null) return "?"
  const numbers = [
    ...new Set(listening.tcp.map((port) => String(port.port))),
    ...new Set(listening.udp.map((port) => `${port.port}/udp`))
  ]
  return numbers.length === 0 ? "-" : numbers.join(",")
}
