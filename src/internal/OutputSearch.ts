/**
 * Searching a job's output: the lines that match a pattern, with context lines around each match as
 * `grep -C` gives them, paged within a result budget like any cursor read, and the number of matches in
 * everything retained after the cursor.
 *
 * @since 0.1.0
 */
import type { LinePattern } from "./LinePattern.js"
import type { OutputBuffer, Position, StreamName } from "../OutputBuffer.js"
import { type BudgetedText, clampToRetained, cutLine } from "./ResultBudget.js"
import { resultCost, toText } from "./TextView.js"

/**
 * How to search.
 *
 * @internal
 */
export interface SearchOptions {
  readonly pattern: LinePattern
  /** Lines to show before and after each matching line. */
  readonly context: number
  readonly budget: number
  readonly raw?: boolean | undefined
  /** More output may arrive: an unfinished last line is left for a later read. */
  readonly running: boolean
}

/**
 * A page of search results.
 *
 * @internal
 */
export interface SearchPage extends BudgetedText {
  /** Matching lines in everything retained after the cursor, the ones this page shows included. */
  readonly matches: number
}

const NEWLINE = 0x0a
const STREAMS = ["stdout", "stderr"] as const
/** What `grep -C` prints between groups of lines that are not adjacent. */
const GROUP_SEPARATOR = "--"

interface StreamLines {
  /** Stream position where the first line starts. */
  readonly start: number
  /** Stream position after each line (after its newline). */
  readonly ends: Array<number>
  /** Each line's text, rendered. */
  readonly texts: Array<string>
}

/** Lines tested, or bytes rendered, between two pauses of a search: a few milliseconds of work. */
const LINES_PER_STEP = 20_000
const BYTES_PER_STEP = 1024 * 1024

/**
 * Searches the output after `from`: returns the matching lines (and their context) that fit the budget,
 * oldest first, and a cursor after the last line looked at.
 *
 * @internal
 */
export const searchPage = (buffer: OutputBuffer, from: Position, options: SearchOptions): SearchPage => {
  const steps = searchSteps(buffer, from, options)
  for (let step = steps.next(); ; step = steps.next()) if (step.done === true) return step.value
}

/**
 * `searchPage` in steps: the generator pauses after each few milliseconds of work, so that a caller can let
 * other work run (a search through megabytes of output must not stall every other call and job meanwhile).
 * It searches a copy of what was retained when it began: output that arrives meanwhile is for the next read.
 *
 * @internal
 */
export function* searchSteps(buffer: OutputBuffer, from: Position, options: SearchOptions): Generator<void, SearchPage> {
  const start = clampToRetained(buffer, from)
  const segments = buffer.segmentsAfter(start, buffer.bytesAfter(start))
  // Lines in the order they were completed, across both streams: the order a reader met them.
  const order: Array<StreamName> = []
  const ends: Record<StreamName, Array<number>> = { stdout: [], stderr: [] }
  for (const segment of segments) {
    const bytes = segment.bytes
    for (let at = bytes.indexOf(NEWLINE); at >= 0; at = bytes.indexOf(NEWLINE, at + 1)) {
      order.push(segment.stream)
      ends[segment.stream].push(segment.from + at + 1)
    }
  }
  const lines = {} as Record<StreamName, StreamLines>
  for (const stream of STREAMS) {
    const copy = Buffer.concat(segments.filter((segment) => segment.stream === stream).map((segment) => segment.bytes))
    const seen = start[stream] + copy.length
    const lastEnd = ends[stream].at(-1) ?? start[stream]
    // An ended job's unfinished last line is a line; a running job may still add to it.
    if (!options.running && lastEnd < seen) {
      order.push(stream)
      ends[stream].push(seen)
    }
    // Rendered a slice of whole lines at a time: a line renders the same alone as among others.
    const texts: Array<string> = []
    let sliceStart = start[stream]
    for (let k = 0; k < ends[stream].length; k++) {
      const end = ends[stream][k]!
      if (end - sliceStart < BYTES_PER_STEP && k < ends[stream].length - 1) continue
      const text = toText(copy.subarray(sliceStart - start[stream], end - start[stream]), { raw: options.raw })
      const sliceLines = text.split("\n")
      if (text.endsWith("\n")) sliceLines.pop()
      for (const line of sliceLines) texts.push(line)
      sliceStart = end
      yield
    }
    lines[stream] = { start: start[stream], ends: ends[stream], texts }
  }

  const shown: Record<StreamName, Array<string>> = { stdout: [], stderr: [] }
  const lastShown: Record<StreamName, number> = { stdout: -1, stderr: -1 }
  const afterLeft: Record<StreamName, number> = { stdout: 0, stderr: 0 }
  const next: Record<StreamName, number> = { ...start }
  const index: Record<StreamName, number> = { stdout: 0, stderr: 0 }
  let cost = 0
  let matches = 0
  let full = false

  /** Adds lines `first`..`last` of a stream; false when they do not fit (nothing is added then). */
  const show = (stream: StreamName, first: number, last: number): boolean => {
    const separator = options.context > 0 && lastShown[stream] >= 0 && first > lastShown[stream] + 1 ? [GROUP_SEPARATOR] : []
    const texts = [...separator, ...lines[stream].texts.slice(first, last + 1)]
    const added = texts.reduce((sum, text) => sum + resultCost(text) + 1, 0)
    if (cost + added > options.budget) {
      if (cost > 0) return false
      // Not even the first match fits: it is shown cut in its middle, so that reading moves on.
      const line = lines[stream].texts[last] ?? ""
      shown[stream].push(cutLine(line, Math.max(1, options.budget - 1)))
      lastShown[stream] = last
      cost = options.budget
      return true
    }
    shown[stream].push(...texts)
    lastShown[stream] = last
    cost += added
    return true
  }

  let tested = 0
  for (const stream of order) {
    if (++tested % LINES_PER_STEP === 0) yield
    const k = index[stream]++
    const line = lines[stream].texts[k] ?? ""
    const matched = options.pattern.test(line)
    if (matched) matches++
    if (full) continue
    let fits = true
    if (matched) {
      const first = Math.max(lastShown[stream] + 1, k - options.context)
      fits = show(stream, first, k)
      if (fits) afterLeft[stream] = options.context
    } else if (afterLeft[stream] > 0) {
      fits = show(stream, k, k)
      if (fits) afterLeft[stream]--
    }
    if (!fits) {
      // This line is read again by the next page.
      full = true
      continue
    }
    next[stream] = lines[stream].ends[k]!
    if (cost >= options.budget) full = true
  }

  const joinLines = (texts: ReadonlyArray<string>) => (texts.length === 0 ? "" : texts.join("\n") + "\n")
  const end: Position = { stdout: next.stdout, stderr: next.stderr }
  return {
    stdout: joinLines(shown.stdout),
    stderr: joinLines(shown.stderr),
    start,
    next: end,
    // Once every finished line was looked at, only an unfinished one can be left: nothing to read yet.
    remainingBytes: full ? buffer.bytesAfter(end) : 0,
    omitted: undefined,
    matches
  }
}
