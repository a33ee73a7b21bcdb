/**
 * Reading a job's output as text: everything after a position (with the next cursor), the last lines of
 * each stream, and an incremental line scanner for `until` patterns.
 *
 * @since 0.1.0
 */
import type { OutputView, TailView } from "../domain/JobViews.js"
import type { Job } from "./Job.js"
import type { LinePattern } from "./LinePattern.js"
import type { Position, StreamName } from "../OutputBuffer.js"
import { completeUtf8Length, filterLines, lastLines, toText } from "./TextView.js"

/**
 * How to read: `raw` keeps escape sequences and carriage returns; `filter` keeps matching lines;
 * `maxBytes` keeps only the newest text up to that many bytes.
 *
 * @since 0.1.0
 * @category models
 */
export interface ReadOptions {
  readonly raw?: boolean | undefined
  readonly filter?: LinePattern | undefined
  readonly maxBytes?: number | undefined
}

/** Keeps the newest `maxBytes` bytes of a text, starting on a character boundary. */
const keepNewest = (text: string, maxBytes: number): [string, number] => {
  const bytes = Buffer.from(text, "utf8")
  if (bytes.length <= maxBytes) return [text, 0]
  let start = bytes.length - maxBytes
  while (start < bytes.length && (bytes[start]! & 0xc0) === 0x80) start++
  return [bytes.subarray(start).toString("utf8"), start]
}

/**
 * The output after `from`, rendered, and the cursor to read on from. While the job runs, a character whose
 * bytes have not all arrived is left for the next read.
 *
 * @since 0.1.0
 * @category views
 */
export const readSince = (job: Job, from: Position, options: ReadOptions = {}): OutputView => {
  const slice = job.buffer.readSince(from)
  const running = !job.outputComplete
  const stdoutBytes = running ? slice.stdout.subarray(0, completeUtf8Length(slice.stdout)) : slice.stdout
  const stderrBytes = running ? slice.stderr.subarray(0, completeUtf8Length(slice.stderr)) : slice.stderr
  const next: Position = {
    stdout: Math.max(from.stdout, job.buffer.bytesDropped("stdout")) + stdoutBytes.length,
    stderr: Math.max(from.stderr, job.buffer.bytesDropped("stderr")) + stderrBytes.length
  }
  let stdout = toText(stdoutBytes, { raw: options.raw })
  let stderr = toText(stderrBytes, { raw: options.raw })
  if (options.filter !== undefined) {
    stdout = filterLines(stdout, options.filter)
    stderr = filterLines(stderr, options.filter)
  }
  let omittedBytes = 0
  const max = options.maxBytes
  if (max !== undefined) {
    const stdoutLength = Buffer.byteLength(stdout)
    const stderrLength = Buffer.byteLength(stderr)
    if (stdoutLength + stderrLength > max) {
      // Each stream gets half the budget; one that needs less leaves the rest to the other.
      const stdoutBudget = Math.min(stdoutLength, Math.max(max - stderrLength, Math.ceil(max / 2)))
      const [keptStdout, cutStdout] = keepNewest(stdout, stdoutBudget)
      const [keptStderr, cutStderr] = keepNewest(stderr, max - stdoutBudget)
      stdout = keptStdout
      stderr = keptStderr
      omittedBytes = cutStdout + cutStderr
    }
  }
  return {
    stdout,
    stderr,
    cursor: job.cursorAt(next),
    truncated: slice.droppedStdout > 0 || slice.droppedStderr > 0 || omittedBytes > 0,
    droppedStdoutBytes: slice.droppedStdout,
    droppedStderrBytes: slice.droppedStderr,
    omittedBytes
  }
}

/**
 * The last `lines` lines of each stream.
 *
 * @since 0.1.0
 * @category views
 */
export const tail = (job: Job, lines: number, raw?: boolean): TailView => {
  const read = (stream: StreamName) => {
    const bytes = job.buffer.read(stream, job.buffer.tailStart(stream, lines), Infinity)
    return lastLines(toText(bytes, { raw }), lines)
  }
  return { stdout: read("stdout"), stderr: read("stderr"), cursor: job.cursorAt(job.buffer.position) }
}

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

  /** The first matching line in output that arrived since the last scan, if any. */
  scan(): string | undefined {
    return this.scanStream("stdout") ?? this.scanStream("stderr")
  }

  private scanStream(stream: StreamName): string | undefined {
    const buffer = this.job.buffer
    const oldest = buffer.bytesDropped(stream)
    const end = buffer.bytesSeen(stream)
    const searchFrom = Math.max(this.searched[stream], oldest)
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
    // The unfinished line (a prompt, a progress bar) is checked on its newest part only.
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
