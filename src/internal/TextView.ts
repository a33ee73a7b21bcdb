/**
 * Text views of captured bytes: UTF-8 with replacement characters, CRLF as LF, and each line as a
 * terminal would show it after carriage returns (progress bars), with ANSI escape sequences removed and
 * runs of other control bytes (binary output) shown as a short marker such as `⟨4096 × NUL⟩`.
 *
 * @since 0.1.0
 */
import { stripVTControlCharacters } from "node:util"

/**
 * How to turn bytes into text. `raw` keeps the decoded text exactly as written.
 *
 * @since 0.1.0
 * @category models
 */
export interface TextOptions {
  readonly raw?: boolean | undefined
}

const decoder = new TextDecoder("utf-8", { fatal: false, ignoreBOM: true })

/**
 * Decodes bytes as text and, unless `raw`, renders it as a terminal would show it.
 *
 * @since 0.1.0
 * @category views
 */
export const toText = (bytes: Uint8Array, options?: TextOptions): string => {
  const text = decoder.decode(bytes)
  return options?.raw === true ? text : markControlRuns(renderTerminalText(text))
}

/** Control characters other than tab and newline; what is left of them once the terminal rendering is done. */
const CONTROL = /[\x00-\x08\x0b-\x1f\x7f]/
const CONTROL_RUN = /[\x00-\x08\x0b-\x1f\x7f]+/g

const CONTROL_NAMES = [
  "NUL", "SOH", "STX", "ETX", "EOT", "ENQ", "ACK", "BEL", "BS", "HT", "LF", "VT", "FF", "CR", "SO", "SI",
  "DLE", "DC1", "DC2", "DC3", "DC4", "NAK", "SYN", "ETB", "CAN", "EM", "SUB", "ESC", "FS", "GS", "RS", "US"
]

const controlName = (code: number): string => code === 0x7f ? "DEL" : CONTROL_NAMES[code]!

/**
 * Replaces each run of control characters (binary output: NUL padding, stray escapes) with one short
 * marker, `⟨4096 × NUL⟩` for a run of one kind, `⟨37 control bytes⟩` for a mix, so that binary output
 * costs a reader a few characters instead of an escape sequence per byte.
 *
 * @since 0.1.0
 * @category views
 */
export const markControlRuns = (text: string): string =>
  CONTROL.test(text) ?
    text.replace(CONTROL_RUN, (run) => {
      const code = run.charCodeAt(0)
      for (let i = 1; i < run.length; i++) {
        if (run.charCodeAt(i) !== code) return `⟨${run.length} control bytes⟩`
      }
      return run.length === 1 ? `⟨${controlName(code)}⟩` : `⟨${run.length} × ${controlName(code)}⟩`
    }) :
    text

/**
 * What a text costs in a result: its UTF-8 bytes, plus the escape JSON needs for a control character
 * (`\u0000` is six bytes for one), so that raw binary output cannot make a result larger than its budget.
 *
 * @since 0.1.0
 * @category views
 */
export const resultCost = (text: string): number => {
  const bytes = Buffer.byteLength(text)
  if (!CONTROL.test(text)) return bytes
  let controls = 0
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i)
    if ((code < 0x20 && code !== 0x09 && code !== 0x0a) || code === 0x7f) controls++
  }
  return bytes + 5 * controls
}

/**
 * The length of the longest prefix of `bytes` that does not end inside a UTF-8 sequence, so that a reader
 * can stop before a character whose remaining bytes have not arrived yet.
 *
 * @since 0.1.0
 * @category views
 */
export const completeUtf8Length = (bytes: Uint8Array): number => {
  const length = bytes.length
  // A sequence is at most 4 bytes: look at the last 3 for a lead byte whose sequence is cut short.
  for (let back = 1; back <= Math.min(3, length); back++) {
    const byte = bytes[length - back]!
    if ((byte & 0xc0) === 0x80) continue // continuation byte: keep looking for the lead
    const needed = byte >= 0xf0 && byte <= 0xf4 ? 4 : byte >= 0xe0 ? 3 : byte >= 0xc2 && byte < 0xe0 ? 2 : 1
    return needed > back ? length - back : length
  }
  return length
}

const CSI = /(\x1b\[[0-9;?]*[ -/]*[@-~])/

/**
 * Renders decoded text: CRLF becomes LF, ANSI sequences go, and a line rewritten with carriage returns or
 * cursor moves keeps only what a terminal would display at the end.
 *
 * @since 0.1.0
 * @category views
 */
export const renderTerminalText = (text: string): string => {
  const lf = text.includes("\r\n") ? text.replace(/\r\n/g, "\n") : text
  if (!lf.includes("\r") && !lf.includes("\x1b")) return lf
  return lf.split("\n").map(renderLine).join("\n")
}

const renderLine = (line: string): string => {
  if (!line.includes("\r") && !line.includes("\x1b[")) return stripVTControlCharacters(line)
  let screen = ""
  let cursor = 0
  const write = (visible: string) => {
    if (visible.length === 0) return
    const padded = screen.length < cursor ? screen.padEnd(cursor, " ") : screen
    screen = padded.slice(0, cursor) + visible + padded.slice(cursor + visible.length)
    cursor += visible.length
  }
  for (const piece of line.split(CSI)) {
    if (piece.startsWith("\x1b[")) {
      const final = piece[piece.length - 1]
      const parameter = piece.slice(2, -1)
      if (final === "K") {
        // Erase in line: 0 (default) to the end, 1 to the start, 2 all of it.
        if (parameter === "" || parameter === "0") screen = screen.slice(0, cursor)
        else if (parameter === "2") screen = ""
        else screen = " ".repeat(Math.min(cursor, screen.length)) + screen.slice(cursor)
      } else if (final === "G") {
        cursor = Math.max(0, (Number.parseInt(parameter || "1", 10) || 1) - 1)
      }
      continue
    }
    const parts = piece.split("\r")
    parts.forEach((part, index) => {
      if (index > 0) cursor = 0
      write(stripVTControlCharacters(part))
    })
  }
  // Padding that only cleared older, longer text is not content.
  return screen.replace(/ +$/, "")
}

/**
 * The last `count` lines of a text (a final newline ends the last line, it does not open a new one).
 *
 * @since 0.1.0
 * @category views
 */
export const lastLines = (text: string, count: number): string => {
  if (count <= 0 || text.length === 0) return ""
  let at = text.endsWith("\n") ? text.length - 1 : text.length
  for (let found = 0; found < count; found++) {
    const newline = at > 0 ? text.lastIndexOf("\n", at - 1) : -1
    if (newline < 0) return text
    at = newline
  }
  return text.slice(at + 1)
}
