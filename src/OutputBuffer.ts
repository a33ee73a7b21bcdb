/**
 * A job's captured output: one byte ring for stdout and stderr together, capped in bytes, oldest bytes
 * dropped first. Positions are counted per stream from the start of the job, so a cursor survives
 * wrap-around and a reader can tell exactly how many bytes of each stream it missed.
 *
 * @since 0.1.0
 */
import { ByteStore } from "./internal/ByteStore.js"

/**
 * Which of the two output streams a byte came from.
 *
 * @since 0.1.0
 * @category models
 */
export type StreamName = "stdout" | "stderr"

/**
 * A position in a job's output: how many bytes of each stream come before it.
 *
 * @since 0.1.0
 * @category models
 */
export interface Position {
  readonly stdout: number
  readonly stderr: number
}

/**
 * Bytes of each stream between two positions, and how many bytes in that range were already dropped.
 *
 * @since 0.1.0
 * @category models
 */
export interface Slice {
  readonly stdout: Uint8Array
  readonly stderr: Uint8Array
  readonly droppedStdout: number
  readonly droppedStderr: number
}

const STDOUT = 0
const STDERR = 1
type StreamIndex = typeof STDOUT | typeof STDERR
const streamIndex = (name: StreamName): StreamIndex => (name === "stdout" ? STDOUT : STDERR)

const NEWLINE = 0x0a
const EMPTY = new Uint8Array(0)

/**
 * A stretch of one stream's retained bytes, starting at stream position `from`.
 *
 * @since 0.1.0
 * @category models
 */
export interface Segment {
  readonly stream: StreamName
  readonly from: number
  readonly bytes: Uint8Array
}

/**
 * The ring. Runs record which stream each stretch of retained bytes came from; consecutive writes to the
 * same stream share a run, so bookkeeping grows with stream switches, not with writes.
 *
 * @since 0.1.0
 * @category models
 */
export class OutputBuffer {
  /** Total bytes ever appended per stream. */
  private readonly seen: [number, number] = [0, 0]
  /** Bytes per stream dropped from the front; equals the stream position of its oldest retained byte. */
  private readonly dropped: [number, number] = [0, 0]
  /** The bytes, at their combined offsets modulo the capacity; memory is taken as they are written. */
  private readonly store: ByteStore
  /** Combined offset (stdout + stderr) of the oldest retained byte. */
  private start = 0
  /** Combined offset one past the newest byte. */
  private end = 0
  // Run deque, as parallel arrays from runHead: combined start offset, stream, stdout bytes before it.
  private runStart: Array<number> = []
  private runStream: Array<StreamIndex> = []
  private runStdoutBefore: Array<number> = []
  private runHead = 0

  constructor(readonly capacity: number) {
    if (!Number.isSafeInteger(capacity) || capacity < 1) {
      throw new RangeError(`OutputBuffer capacity must be a positive integer, got ${capacity}`)
    }
    this.store = new ByteStore(capacity)
  }

  /** Bytes currently retained, both streams together. */
  get retained(): number {
    return this.end - this.start
  }

  /** The position after every byte appended so far. */
  get position(): Position {
    return { stdout: this.seen[STDOUT], stderr: this.seen[STDERR] }
  }

  /** Total bytes appended to a stream since the job started. */
  bytesSeen(stream: StreamName): number {
    return this.seen[streamIndex(stream)]
  }

  /** Bytes of a stream that were dropped to stay within the cap. */
  bytesDropped(stream: StreamName): number {
    return this.dropped[streamIndex(stream)]
  }

  /** Appends a chunk from one stream, dropping the oldest bytes of either stream beyond the cap. */
  append(stream: StreamName, chunk: Uint8Array): void {
    const length = chunk.length
    if (length === 0) return
    const index = streamIndex(stream)
    let bytes = chunk
    if (length >= this.capacity) {
      // The chunk alone fills the ring: everything retained goes, and so does the chunk's head.
      this.dropFront(this.retained)
      const skipped = length - this.capacity
      this.seen[index] += skipped
      this.dropped[index] += skipped
      this.start += skipped
      this.end += skipped
      this.clearRuns()
      bytes = chunk.subarray(skipped)
    } else {
      const overflow = this.retained + length - this.capacity
      if (overflow > 0) this.dropFront(overflow)
    }
    this.pushRun(index)
    this.writeBytes(this.end, bytes)
    this.end += bytes.length
    this.seen[index] += bytes.length
  }

  /** The bytes of each stream after `from` (clamped to what is retained), and what was dropped on the way. */
  readSince(from: Position): Slice {
    const outFrom = Math.max(from.stdout, this.dropped[STDOUT])
    const errFrom = Math.max(from.stderr, this.dropped[STDERR])
    return {
      stdout: this.readStream(STDOUT, outFrom, this.seen[STDOUT]),
      stderr: this.readStream(STDERR, errFrom, this.seen[STDERR]),
      droppedStdout: Math.max(0, this.dropped[STDOUT] - from.stdout),
      droppedStderr: Math.max(0, this.dropped[STDERR] - from.stderr)
    }
  }

  /** Every retained byte of both streams, in the order they arrived. */
  readInterleaved(): Uint8Array {
    const out = new Uint8Array(this.retained)
    if (out.length > 0) this.copyOut(this.start, out.length, out, 0)
    return out
  }

  /** Retained bytes of one stream from stream position `from` up to `to` (both clamped). */
  read(stream: StreamName, from: number, to: number): Uint8Array {
    const index = streamIndex(stream)
    return this.readStream(
      index,
      Math.max(from, this.dropped[index]),
      Math.min(to, this.seen[index])
    )
  }

  /** How many retained bytes of both streams come after `from`. */
  bytesAfter(from: Position): number {
    return Math.max(0, this.seen[STDOUT] - Math.max(from.stdout, this.dropped[STDOUT])) +
      Math.max(0, this.seen[STDERR] - Math.max(from.stderr, this.dropped[STDERR]))
  }

  /**
   * The oldest `limit` retained bytes after `from`, both streams, in the order they arrived. `from` need not
   * be a point the two streams reached together: each run is clipped to its own stream's position.
   */
  segmentsAfter(from: Position, limit: number): Array<Segment> {
    const segments: Array<Segment> = []
    let remaining = limit
    const first = Math.min(this.firstRunReaching(STDOUT, from.stdout), this.firstRunReaching(STDERR, from.stderr))
    for (let run = first; run < this.runCount() && remaining > 0; run++) {
      const index = this.runStream[this.runHead + run]!
      const [runFrom, runTo] = this.runStreamRange(run)
      const a = Math.max(runFrom, index === STDOUT ? from.stdout : from.stderr)
      const b = Math.min(runTo, a + remaining)
      if (b <= a) continue
      segments.push(this.segmentOf(run, index, a, b))
      remaining -= b - a
    }
    return segments
  }

  /** The newest `limit` retained bytes after `from`, both streams, in the order they arrived. */
  lastSegments(from: Position, limit: number): Array<Segment> {
    const segments: Array<Segment> = []
    let remaining = limit
    for (let run = this.runCount() - 1; run >= 0 && remaining > 0; run--) {
      const index = this.runStream[this.runHead + run]!
      const [runFrom, runTo] = this.runStreamRange(run)
      const lowest = Math.max(runFrom, index === STDOUT ? from.stdout : from.stderr)
      const a = Math.max(lowest, runTo - remaining)
      if (runTo <= a) continue
      segments.push(this.segmentOf(run, index, a, runTo))
      remaining -= runTo - a
    }
    return segments.reverse()
  }

  /** Newlines in one stream's retained bytes between stream positions `from` and `to`, counted in place. */
  countNewlines(stream: StreamName, from: number, to: number): number {
    const index = streamIndex(stream)
    const lower = Math.max(from, this.dropped[index])
    const upper = Math.min(to, this.seen[index])
    if (upper <= lower) return 0
    let count = 0
    for (let run = this.firstRunReaching(index, lower); run < this.runCount(); run++) {
      if (this.runStream[this.runHead + run] !== index) continue
      const [runFrom, runTo] = this.runStreamRange(run)
      const a = Math.max(runFrom, lower)
      const b = Math.min(runTo, upper)
      if (b <= a) {
        if (runFrom >= upper) break
        continue
      }
      count += this.store.count(NEWLINE, this.combinedOf(run, a), b - a)
    }
    return count
  }

  /**
   * The stream position where the last `lines` lines of a stream begin (a trailing newline does not open
   * a new line). Scans backwards, so the cost follows the size of those lines, not what is retained.
   */
  tailStart(stream: StreamName, lines: number): number {
    const index = streamIndex(stream)
    const oldest = this.dropped[index]
    const newest = this.seen[index]
    if (lines <= 0 || newest === oldest) return newest
    // A newline as the very last byte ends the last line rather than opening an empty one.
    const searchEnd = this.read(stream, newest - 1, newest)[0] === NEWLINE ? newest - 1 : newest
    let newlines = 0
    for (let run = this.runCount() - 1; run >= 0; run--) {
      if (this.runStream[this.runHead + run] !== index) continue
      const [runFrom, runTo] = this.runStreamRange(run)
      let to = Math.min(runTo, searchEnd)
      while (to > runFrom) {
        const found = this.lastNewline(this.combinedOf(run, runFrom), this.combinedOf(run, to))
        if (found < 0) break
        const p = runFrom + (found - this.combinedOf(run, runFrom))
        newlines++
        if (newlines === lines) return p + 1
        to = p
      }
    }
    return oldest
  }

  /** Combined offset of the last newline in [from, to), or -1; searches the backing store natively. */
  private lastNewline(from: number, to: number): number {
    return this.store.lastIndexOf(NEWLINE, from, to)
  }

  private runCount(): number {
    return this.runStart.length - this.runHead
  }

  /** Stream positions [from, to) covered by run `run` (relative to runHead), clipped to what is retained. */
  private runStreamRange(run: number): [number, number] {
    const i = this.runHead + run
    const combinedFrom = Math.max(this.runStart[i]!, this.start)
    const combinedTo = run + 1 < this.runCount() ? this.runStart[i + 1]! : this.end
    const stdoutBefore = this.runStdoutBefore[i]!
    const streamBase = this.runStream[i] === STDOUT ? stdoutBefore : this.runStart[i]! - stdoutBefore
    const offsetIntoRun = combinedFrom - this.runStart[i]!
    return [streamBase + offsetIntoRun, streamBase + (combinedTo - this.runStart[i]!)]
  }

  /** Combined offset of stream position `p` inside run `run`. */
  private combinedOf(run: number, p: number): number {
    const i = this.runHead + run
    const stdoutBefore = this.runStdoutBefore[i]!
    const streamBase = this.runStream[i] === STDOUT ? stdoutBefore : this.runStart[i]! - stdoutBefore
    return this.runStart[i]! + (p - streamBase)
  }

  private segmentOf(run: number, index: StreamIndex, from: number, to: number): Segment {
    const bytes = new Uint8Array(to - from)
    this.copyOut(this.combinedOf(run, from), to - from, bytes, 0)
    return { stream: index === STDOUT ? "stdout" : "stderr", from, bytes }
  }

  private readStream(index: StreamIndex, from: number, to: number): Uint8Array {
    if (to <= from) return EMPTY
    const out = new Uint8Array(to - from)
    let written = 0
    for (let run = this.firstRunReaching(index, from); run < this.runCount() && written < out.length; run++) {
      if (this.runStream[this.runHead + run] !== index) continue
      const [runFrom, runTo] = this.runStreamRange(run)
      const a = Math.max(runFrom, from)
      const b = Math.min(runTo, to)
      if (b <= a) continue
      this.copyOut(this.combinedOf(run, a), b - a, out, written)
      written += b - a
    }
    return written === out.length ? out : out.subarray(0, written)
  }

  /** The first run whose stream-`index` bytes end after position `p` (binary search: those ends only grow). */
  private firstRunReaching(index: StreamIndex, p: number): number {
    let lo = 0
    let hi = this.runCount()
    while (lo < hi) {
      const mid = (lo + hi) >>> 1
      if (this.streamEndAfterRun(index, mid) > p) hi = mid
      else lo = mid + 1
    }
    return lo
  }

  /** Bytes of stream `index` that come before the end of run `run`. */
  private streamEndAfterRun(index: StreamIndex, run: number): number {
    const next = run + 1
    if (next < this.runCount()) {
      const j = this.runHead + next
      const stdoutBefore = this.runStdoutBefore[j]!
      return index === STDOUT ? stdoutBefore : this.runStart[j]! - stdoutBefore
    }
    return this.seen[index]
  }

  private pushRun(index: StreamIndex): void {
    const last = this.runStart.length - 1
    if (last >= this.runHead && this.runStream[last] === index) return
    this.runStart.push(this.end)
    this.runStream.push(index)
    this.runStdoutBefore.push(this.seen[STDOUT])
  }

  private clearRuns(): void {
    this.runStart = []
    this.runStream = []
    this.runStdoutBefore = []
    this.runHead = 0
  }

  /** Drops `count` bytes from the front, charging each dropped byte to its stream. */
  private dropFront(count: number): void {
    let remaining = count
    while (remaining > 0 && this.runCount() > 0) {
      const i = this.runHead
      const runEnd = this.runCount() > 1 ? this.runStart[i + 1]! : this.end
      const available = runEnd - this.start
      const take = Math.min(available, remaining)
      this.dropped[this.runStream[i]!] += take
      this.start += take
      remaining -= take
      if (this.start >= runEnd) this.runHead++
    }
    this.compactRuns()
  }

  private compactRuns(): void {
    if (this.runHead > 1024 && this.runHead * 2 > this.runStart.length) {
      this.runStart = this.runStart.slice(this.runHead)
      this.runStream = this.runStream.slice(this.runHead)
      this.runStdoutBefore = this.runStdoutBefore.slice(this.runHead)
      this.runHead = 0
    }
  }

  private writeBytes(combinedOffset: number, bytes: Uint8Array): void {
    this.store.write(combinedOffset, bytes)
  }

  private copyOut(combinedOffset: number, length: number, target: Uint8Array, targetOffset: number): void {
    this.store.copyOut(combinedOffset, length, target, targetOffset)
  }
}
