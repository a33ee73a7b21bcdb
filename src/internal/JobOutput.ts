/**
 * Reading a job's output as text within a result budget: pages after a cursor, head and tail summaries,
 * search results, the last lines of each stream, and an incremental line scanner for `until` patterns.
 *
 * @since 0.1.0
 */
import * as Effect from "effect/Effect"
import type { OutputText, OutputView, TailView } from "../domain/JobViews.js"
import type { Job } from "./Job.js"
import type { LinePattern } from "./LinePattern.js"
import type { Position, StreamName } from "../OutputBuffer.js"
import { searchSteps } from "./OutputSearch.js"
import { type BudgetedText, newestLinesWithin, readPage as budgetedPage, readSummary } from "./ResultBudget.js"
import { lastLines, resultCost, toText } from "./TextView.js"

/**
 * How to read: `raw` keeps escape sequences, carriage returns and control bytes; `budget` is the most text
 * (stdout and stderr together) a result may carry.
 *
 * @since 0.1.0
 * @category models
 */
export interface ReadOptions {
  readonly raw?: boolean | undefined
  readonly budget: number
}

const toView = (job: Job, from: Position, text: BudgetedText): OutputText => {
  const droppedStdoutBytes = Math.max(0, text.start.stdout - from.stdout)
  const droppedStderrBytes = Math.max(0, text.start.stderr - from.stderr)
  const omittedBytes = text.omitted?.bytes ?? 0
  return {
    stdout: text.stdout,
    stderr: text.stderr,
    cursor: job.cursorAt(text.next),
    truncated: droppedStdoutBytes > 0 || droppedStderrBytes > 0 || omittedBytes > 0 || text.remainingBytes > 0,
    droppedStdoutBytes,
    droppedStderrBytes,
    omittedBytes,
    omittedLines: text.omitted?.lines ?? 0,
    omittedCursor: text.omitted === undefined ? null : job.cursorAt(text.omitted.from),
    remainingBytes: text.remainingBytes
  }
}

/**
 * The next page after `from`: contiguous with the previous page and the next, so pages reassemble the
 * retained output exactly.
 *
 * @since 0.1.0
 * @category views
 */
export const readPage = (job: Job, from: Position, options: ReadOptions): OutputView => ({
  ...toView(job, from, budgetedPage(job.buffer, from, { ...options, running: !job.outputComplete })),
  matches: null
})

/**
 * Everything after `from` when it fits the budget, else its head and tail with a marker line between them;
 * the cursor is the end either way.
 *
 * @since 0.1.0
 * @category views
 */
export const readSince = (job: Job, from: Position, options: ReadOptions): OutputText =>
  toView(job, from, readSummary(job.buffer, from, { ...options, running: !job.outputComplete, cursorAt: (at) => job.cursorAt(at) }))

/**
 * Both streams after `from` as one text in the order written, within the budget (head and tail).
 *
 * @since 0.1.0
 * @category views
 */
export const readTranscript = (job: Job, from: Position, options: ReadOptions): OutputText =>
  toView(
    job,
    from,
    readSummary(job.buffer, from, { ...options, interleave: true, running: !job.outputComplete, cursorAt: (at) => job.cursorAt(at) })
  )

/**
 * Lets the event loop run — pipes drained, other calls answered — between the steps of a long search or scan.
 *
 * @internal
 */
export const yieldToEventLoop: Effect.Effect<void> = Effect.async<void>((resume) => {
  const handle = setImmediate(() => resume(Effect.void))
  return Effect.sync(() => clearImmediate(handle))
})

/**
 * The lines after `from` that match `pattern`, with `context` lines around each, paged within the budget. A
 * search through megabytes of output pauses every few milliseconds, so it never stalls other calls or jobs.
 *
 * @since 0.1.0
 * @category views
 */
export const search = (
  job: Job,
  from: Position,
  options: ReadOptions & { readonly pattern: LinePattern; readonly context: number }
): Effect.Effect<OutputView> =>
  Effect.gen(function*() {
    const steps = searchSteps(job.buffer, from, { ...options, running: !job.outputComplete })
    let step = steps.next()
    while (step.done !== true) {
      yield* yieldToEventLoop
      step = steps.next()
    }
    return { ...toView(job, from, step.value), matches: step.value.matches }
  })

/**
 * The last `lines` lines of each stream, within the budget: older lines go first, and a line too long for
 * the budget alone is cut in its middle.
 *
 * @since 0.1.0
 * @category views
 */
export const tail = (job: Job, lines: number, options: ReadOptions): TailView => {
  const read = (stream: StreamName) => {
    const bytes = job.buffer.read(stream, job.buffer.tailStart(stream, lines), Infinity)
    return lastLines(toText(bytes, { raw: options.raw }), lines)
  }
  const stdout = read("stdout")
  const stderr = read("stderr")
  const stdoutCost = resultCost(stdout)
  const stderrCost = resultCost(stderr)
  const cursor = job.cursorAt(job.buffer.position)
  if (stdoutCost + stderrCost <= options.budget) return { stdout, stderr, cursor, truncated: false }
  // Each stream gets half the budget; one that needs less leaves the rest to the other.
  const stdoutBudget = Math.min(stdoutCost, Math.max(options.budget - stderrCost, Math.ceil(options.budget / 2)))
  return {
    stdout: newestLinesWithin(stdout, stdoutBudget).text,
    stderr: newestLinesWithin(stderr, options.budget - stdoutBudget).text,
    cursor,
    truncated: true
  }
}

/** Bytes of each stream one scan looks at: a few milliseconds of work. */
const SCAN_STEP = 1024 * 1024
/** A partial line longer than this is only checked on its last part, so a flood without newlines stays cheap. */
const PARTIAL_LINE_WINDOW = 64 * 1024
const NEWLINE = 0x0a

/**
 * Looks for the first line matching a pattern in output after a position, scanning each byte once.
 *
 * @since 0.1.0
 * @category views
 */
export class LineScanner {
  /** Where the current (unfinished) line of each stream starts. */
  private readonly lineStart: Record<StreamName, number>
  /** How far each stream has been searched for newlines. */
  private readonly searched: Record<StreamName, number>

  constructor(private readonly job: Job, from: Position, private readonly pattern: LinePattern, private readonly raw?: boolean) {
    this.lineStart = { stdout: from.stdout, stderr: from.stderr }
    this.searched = { stdout: from.stdout, stderr: from.stderr }
  }

  /** The first matching line in output that arrived since the last scan (at most `SCAN_STEP` bytes of each stream), if any. */
  scan(): string | undefined {
    return this.scanStream("stdout") ?? this.scanStream("stderr")
  }

  /** Whether output arrived that no scan has looked at yet: scan again before deciding anything else. */
  get behind(): boolean {
    const buffer = this.job.buffer
    return (["stdout", "stderr"] as const).some((stream) =>
      Math.max(this.searched[stream], buffer.bytesDropped(stream)) < buffer.bytesSeen(stream)
    )
  }

  private scanStream(stream: StreamName): string | undefined {
    const buffer = this.job.buffer
    const oldest = buffer.bytesDropped(stream)
    const seen = buffer.bytesSeen(stream)
    const searchFrom = Math.max(this.searched[stream], oldest)
    // A step at a time: megabytes already there (a wait from a job's start) must not block the server.
    const end = Math.min(seen, searchFrom + SCAN_STEP)
    if (searchFrom >= end) return undefined
    // Only the new bytes are searched for a newline, so a long line without one costs nothing per chunk.
    const fresh = buffer.read(stream, searchFrom, end)
    this.searched[stream] = end
    const lastNewline = fresh.lastIndexOf(NEWLINE)
    if (lastNewline >= 0) {
      const lineStart = Math.max(this.lineStart[stream], oldest)
      const completeEnd = searchFrom + lastNewline
      this.lineStart[stream] = completeEnd + 1
      const complete = toText(buffer.read(stream, lineStart, completeEnd), { raw: this.raw })
      for (const line of complete.split("\n")) {
        if (this.test(line)) return line
      }
    }
    // The unfinished line (a prompt, a progress bar) is checked on its newest part only, once the scan caught up.
    if (end < seen) return undefined
    const partialStart = Math.max(this.lineStart[stream], oldest, end - PARTIAL_LINE_WINDOW)
    if (partialStart < end) {
      const partial = toText(buffer.read(stream, partialStart, end), { raw: this.raw })
      if (this.test(partial)) return partial
    }
    return undefined
  }

  private test(line: string): boolean {
    return this.pattern.test(line)
  }
}
