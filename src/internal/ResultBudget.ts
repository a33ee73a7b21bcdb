/**
 * Reading a job's output within a result budget: what one result may carry, whatever the job printed. A
 * page is the next contiguous piece after a position (oldest first, ended at a line break when one is
 * near, never inside a UTF-8 character); a summary is the head and the tail of everything after a position,
 * with a marker line saying what was left out between them and the cursor that reads it.
 *
 * @since 0.1.0
 */
import type { OutputBuffer, Position, Segment, StreamName } from "../OutputBuffer.js"
import { completeUtf8Length, resultCost, toText } from "./TextView.js"

/**
 * How to read.
 *
 * @internal
 */
export interface BudgetOptions {
  /** The most a result may carry: bytes of text, stdout and stderr together. */
  readonly budget: number
  /** Keep escape sequences, carriage returns and control bytes. */
  readonly raw?: boolean | undefined
  /** Both streams as one text in the order written (in `stdout`), as a terminal would have shown them. */
  readonly interleave?: boolean | undefined
  /** More bytes may still arrive: a character whose bytes have not all arrived is left for the next read. */
  readonly running: boolean
}

/**
 * Text taken from the buffer: where it starts and ends, per stream.
 *
 * @internal
 */
export interface Piece {
  readonly stdout: string
  readonly stderr: string
  readonly start: Position
  readonly end: Position
  /** Bytes of text the piece costs a result (see `resultCost`). */
  readonly cost: number
}

/**
 * A page, or a head and tail summary.
 *
 * @internal
 */
export interface BudgetedText {
  readonly stdout: string
  readonly stderr: string
  /** Where the text starts (past whatever the output cap dropped). */
  readonly start: Position
  /** Where reading goes on. */
  readonly next: Position
  /** Retained bytes after `next`. */
  readonly remainingBytes: number
  /** Bytes and newlines left out between a summary's head and tail, and the position of the first of them. */
  readonly omitted: { readonly bytes: number; readonly lines: number; readonly from: Position } | undefined
}

const NEWLINE = 0x0a
/** A page always takes at least one whole character, so reading on always makes progress. */
const MIN_TAKE = 4
/** A page of text that renders much smaller than its bytes (escape sequences, binary) may read up to this many budgets of bytes. */
const GROWTH_LIMIT = 64
const MAX_ROUNDS = 12
/** Below this budget a summary is the newest text only: a marker line would not leave room for both ends. */
const MIN_SUMMARY_BUDGET = 512

/**
 * A position moved past what the output cap dropped: where reading from it actually starts.
 *
 * @internal
 */
export const clampToRetained = (buffer: OutputBuffer, from: Position): Position => ({
  stdout: Math.max(from.stdout, buffer.bytesDropped("stdout")),
  stderr: Math.max(from.stderr, buffer.bytesDropped("stderr"))
})

const joinBytes = (parts: ReadonlyArray<Uint8Array>): Uint8Array =>
  parts.length === 1 ? parts[0]! : Buffer.concat(parts)

const streamBytes = (segments: ReadonlyArray<Segment>, stream: StreamName): Uint8Array =>
  joinBytes(segments.filter((segment) => segment.stream === stream).map((segment) => segment.bytes))

/** Bytes up to the last whole character, unless they end the stream for good. */
const wholeCharacters = (bytes: Uint8Array, atEnd: boolean): Uint8Array =>
  atEnd ? bytes : bytes.subarray(0, completeUtf8Length(bytes))

/**
 * Bytes after `end` that only start a character whose other bytes have not arrived: not readable yet, so
 * not "remaining" either (a reader paging until nothing remains must not wait on them).
 */
const heldBack = (buffer: OutputBuffer, end: Position, running: boolean): number => {
  if (!running) return 0
  let held = 0
  for (const stream of ["stdout", "stderr"] as const) {
    const rest = buffer.bytesSeen(stream) - end[stream]
    if (rest > 0 && rest <= 3 && completeUtf8Length(buffer.read(stream, end[stream], Infinity)) === 0) held += rest
  }
  return held
}

/** Bytes retained after `end` that a reader can read now. */
const readableAfter = (buffer: OutputBuffer, end: Position, running: boolean): number =>
  buffer.bytesAfter(end) - heldBack(buffer, end, running)

/** Skips continuation bytes at the start, where a cut from the end landed inside a character. */
const fromCharacterStart = (bytes: Uint8Array): Uint8Array => {
  let start = 0
  while (start < bytes.length && start < 3 && (bytes[start]! & 0xc0) === 0x80) start++
  return start === 0 ? bytes : bytes.subarray(start)
}

const render = (bytes: { stdout: Uint8Array; stderr: Uint8Array; all?: Uint8Array }, options: BudgetOptions) => {
  if (options.interleave === true) {
    const text = toText(bytes.all ?? joinBytes([bytes.stdout, bytes.stderr]), { raw: options.raw })
    return { stdout: text, stderr: "", cost: resultCost(text) }
  }
  const stdout = toText(bytes.stdout, { raw: options.raw })
  const stderr = toText(bytes.stderr, { raw: options.raw })
  return { stdout, stderr, cost: resultCost(stdout) + resultCost(stderr) }
}

/** The oldest `take` bytes after `start`, as text; `take` is cut back to whole characters. */
const headPiece = (buffer: OutputBuffer, start: Position, take: number, options: BudgetOptions): Piece => {
  const segments = buffer.segmentsAfter(start, take)
  const end = (stream: StreamName, bytes: Uint8Array) => start[stream] + bytes.length
  const atEnd = (stream: StreamName, bytes: Uint8Array) => !options.running && end(stream, bytes) >= buffer.bytesSeen(stream)
  let stdout = streamBytes(segments, "stdout")
  let stderr = streamBytes(segments, "stderr")
  stdout = wholeCharacters(stdout, atEnd("stdout", stdout))
  stderr = wholeCharacters(stderr, atEnd("stderr", stderr))
  const all = options.interleave === true ? joinBytes(segments.map((segment) => segment.bytes)) : undefined
  const text = render({ stdout, stderr, ...(all === undefined ? {} : { all }) }, options)
  return { ...text, start, end: { stdout: end("stdout", stdout), stderr: end("stderr", stderr) } }
}

/** The newest `take` bytes after `start`, as text, from a character start. */
const tailPiece = (buffer: OutputBuffer, after: Position, take: number, options: BudgetOptions): Piece => {
  const segments = buffer.lastSegments(after, take)
  const seen = { stdout: buffer.bytesSeen("stdout"), stderr: buffer.bytesSeen("stderr") }
  const first = (stream: StreamName) => segments.find((segment) => segment.stream === stream)?.from ?? seen[stream]
  const taken = { stdout: streamBytes(segments, "stdout"), stderr: streamBytes(segments, "stderr") }
  let stdout = fromCharacterStart(taken.stdout)
  let stderr = fromCharacterStart(taken.stderr)
  const skipped = { stdout: taken.stdout.length - stdout.length, stderr: taken.stderr.length - stderr.length }
  stdout = wholeCharacters(stdout, !options.running)
  stderr = wholeCharacters(stderr, !options.running)
  const start = { stdout: first("stdout") + skipped.stdout, stderr: first("stderr") + skipped.stderr }
  const all = options.interleave === true ? joinBytes(segments.map((segment) => segment.bytes)) : undefined
  const text = render({ stdout, stderr, ...(all === undefined ? {} : { all }) }, options)
  return { ...text, start, end: { stdout: start.stdout + stdout.length, stderr: start.stderr + stderr.length } }
}


/**
 * Finds how many bytes to take so that the text fits `budget`: proportionally fewer when the text came out
 * larger than its bytes (replacement characters, escapes), more when it came out much smaller (escape
 * sequences, binary runs), within bounds.
 */
const fit = (available: number, budget: number, attempt: (take: number) => Piece): Piece => {
  const limit = Math.min(available, Math.max(budget, MIN_TAKE) * GROWTH_LIMIT)
  let take = Math.min(available, Math.max(budget, MIN_TAKE))
  let best: { take: number; piece: Piece } | undefined
  // The smallest take found too big: between the best and it, a search finds the most that fits.
  let tooBig = Number.POSITIVE_INFINITY
  for (let round = 0; round < MAX_ROUNDS; round++) {
    const piece = attempt(take)
    if (piece.cost <= budget || take <= MIN_TAKE) {
      if (best === undefined || take > best.take) best = { take, piece }
      if (take >= limit || piece.cost * 2 > budget) break
      take = Math.min(limit, take * 2)
    } else {
      tooBig = Math.min(tooBig, take)
      const smaller = Math.max(MIN_TAKE, Math.min(take - 1, Math.floor((take * budget) / piece.cost * 0.95)))
      if (best !== undefined && smaller <= best.take) break
      take = smaller
    }
  }
  for (let round = 0; best !== undefined && best.piece.cost <= budget && Number.isFinite(tooBig) && tooBig - best.take > 1 && round < MAX_ROUNDS; round++) {
    const middle = Math.floor((best.take + tooBig) / 2)
    const piece = attempt(middle)
    if (piece.cost <= budget) best = { take: middle, piece }
    else tooBig = middle
  }
  const piece = best?.piece ?? attempt(MIN_TAKE)
  return piece.cost <= budget ? piece : smallestProgress(available, budget, attempt) ?? piece
}

/**
 * For a budget of a few bytes: the largest piece of at most `MIN_TAKE` bytes that fits it, else the one
 * whole character a page must take to move on.
 */
const smallestProgress = (available: number, budget: number, attempt: (take: number) => Piece): Piece | undefined => {
  let smallest: Piece | undefined
  let fitting: Piece | undefined
  for (let take = 1; take <= Math.min(MIN_TAKE, available); take++) {
    const piece = attempt(take)
    if (takenBytes(piece) === 0) continue
    smallest ??= piece
    if (piece.cost <= budget) fitting = piece
  }
  return fitting ?? smallest
}

/** Bytes of both streams a piece covers. */
const takenBytes = (piece: Piece) => (piece.end.stdout - piece.start.stdout) + (piece.end.stderr - piece.start.stderr)

/** Bytes of the combined order from `start` to the last newline of `piece`, or `undefined` without one. */
const throughLastNewline = (buffer: OutputBuffer, piece: Piece): number | undefined => {
  const taken = takenBytes(piece)
  const segments = buffer.segmentsAfter(piece.start, taken)
  let offset = taken
  for (let i = segments.length - 1; i >= 0; i--) {
    const bytes = segments[i]!.bytes
    offset -= bytes.length
    const at = bytes.lastIndexOf(NEWLINE)
    if (at >= 0) return offset + at + 1
  }
  return undefined
}

/** Whether the first byte of `piece` starts a line: the byte before it in its stream is a newline. */
const startsLine = (buffer: OutputBuffer, piece: Piece): boolean => {
  const first = buffer.segmentsAfter(piece.start, 1)[0]
  if (first === undefined) return true
  const at = piece.start[first.stream]
  return at === 0 || buffer.read(first.stream, at - 1, at)[0] === NEWLINE
}

/** Bytes of the combined order from the start of `piece` through its first newline, or `undefined`. */
const throughFirstNewline = (buffer: OutputBuffer, piece: Piece): number | undefined => {
  const taken = takenBytes(piece)
  let offset = 0
  for (const segment of buffer.segmentsAfter(piece.start, taken)) {
    const at = segment.bytes.indexOf(NEWLINE)
    if (at >= 0) return offset + at + 1
    offset += segment.bytes.length
  }
  return undefined
}

/**
 * The next contiguous piece after `from` that fits the budget, oldest first. Unless it is the last piece,
 * it ends after a line break when one lies in its second half.
 *
 * @internal
 */
export const firstPiece = (buffer: OutputBuffer, from: Position, options: BudgetOptions): Piece => {
  const start = clampToRetained(buffer, from)
  const available = buffer.bytesAfter(start)
  const piece = fit(available, options.budget, (take) => headPiece(buffer, start, take, options))
  const taken = takenBytes(piece)
  if (taken >= available || taken === 0) return piece
  const lineEnd = throughLastNewline(buffer, piece)
  if (lineEnd === undefined || lineEnd * 2 < taken || lineEnd === taken) return piece
  const cut = headPiece(buffer, start, lineEnd, options)
  return cut.cost <= piece.cost ? cut : piece
}

/**
 * The newest piece after `from` that fits the budget. With `alignToLine`, unless it reaches back to `from`
 * or already starts a line, it starts after a line break when one lies in its first half.
 *
 * @internal
 */
export const lastPiece = (buffer: OutputBuffer, from: Position, options: BudgetOptions & { readonly alignToLine: boolean }): Piece => {
  const after = clampToRetained(buffer, from)
  const available = buffer.bytesAfter(after)
  const piece = fit(available, options.budget, (take) => tailPiece(buffer, after, take, options))
  const taken = takenBytes(piece)
  if (!options.alignToLine || taken >= available || taken === 0 || startsLine(buffer, piece)) return piece
  const lineStart = throughFirstNewline(buffer, piece)
  if (lineStart === undefined || lineStart * 2 > taken || lineStart === taken) return piece
  const cut = tailPiece(buffer, after, taken - lineStart, options)
  return cut.cost <= piece.cost ? cut : piece
}

/**
 * A page: the next piece after `from` within the budget, and how much is retained after it.
 *
 * @internal
 */
export const readPage = (buffer: OutputBuffer, from: Position, options: BudgetOptions): BudgetedText => {
  const piece = firstPiece(buffer, from, options)
  return {
    stdout: piece.stdout,
    stderr: piece.stderr,
    start: piece.start,
    next: piece.end,
    remainingBytes: readableAfter(buffer, piece.end, options.running),
    omitted: undefined
  }
}

const groupDigits = (count: number): string => count.toLocaleString("en-US")

/**
 * The marker line between a summary's head and tail.
 *
 * @internal
 */
export const omissionMarker = (bytes: number, lines: number, cursor: string): string =>
  `⟨… ${groupDigits(bytes)} bytes, ${groupDigits(lines)} lines left out: output with cursor "${cursor}" reads them …⟩`

/** The most a marker line can cost, newlines around it included. */
const markerReserve = (cursor: string) => Buffer.byteLength(omissionMarker(1e15, 1e15, cursor)) + 2

/**
 * Everything after `from` if it fits the budget; otherwise its head (about a quarter) and its tail (the rest),
 * with a marker line in each stream that lost something between them. `next` is the end either way.
 *
 * @internal
 */
export const readSummary = (
  buffer: OutputBuffer,
  from: Position,
  options: BudgetOptions & { readonly cursorAt: (position: Position) => string }
): BudgetedText => {
  const whole = firstPiece(buffer, from, options)
  if (readableAfter(buffer, whole.end, options.running) === 0) {
    return { stdout: whole.stdout, stderr: whole.stderr, start: whole.start, next: whole.end, remainingBytes: 0, omitted: undefined }
  }
  const start = whole.start
  const reserve = 2 * markerReserve(options.cursorAt(buffer.position))
  if (options.budget < Math.max(MIN_SUMMARY_BUDGET, reserve * 2)) {
    // Too small for both ends and a marker: the newest text, as `tail` would give it.
    const newest = lastPiece(buffer, start, { ...options, alignToLine: false })
    return {
      stdout: newest.stdout,
      stderr: newest.stderr,
      start,
      next: newest.end,
      remainingBytes: 0,
      omitted: omission(buffer, start, newest.start)
    }
  }
  const room = options.budget - reserve
  const head = firstPiece(buffer, start, { ...options, budget: Math.floor(room / 4) })
  const tail = lastPiece(buffer, head.end, { ...options, budget: room - head.cost, alignToLine: true })
  const omitted = omission(buffer, head.end, tail.start)
  const cursor = options.cursorAt(head.end)
  const join = (stream: StreamName, headText: string, tailText: string) => {
    const lost = options.interleave === true ?
      omitted.bytes :
      tail.start[stream] - head.end[stream]
    if (lost <= 0) return headText + tailText
    const lines = options.interleave === true ? omitted.lines : buffer.countNewlines(stream, head.end[stream], tail.start[stream])
    const separator = headText.length === 0 || headText.endsWith("\n") ? "" : "\n"
    return `${headText}${separator}${omissionMarker(lost, lines, cursor)}\n${tailText}`
  }
  return {
    stdout: join("stdout", head.stdout, tail.stdout),
    stderr: options.interleave === true ? "" : join("stderr", head.stderr, tail.stderr),
    start,
    next: tail.end,
    remainingBytes: 0,
    omitted: omitted.bytes > 0 ? omitted : undefined
  }
}

const omission = (buffer: OutputBuffer, from: Position, to: Position) => {
  const stdout = Math.max(0, to.stdout - from.stdout)
  const stderr = Math.max(0, to.stderr - from.stderr)
  return {
    bytes: stdout + stderr,
    lines: buffer.countNewlines("stdout", from.stdout, to.stdout) + buffer.countNewlines("stderr", from.stderr, to.stderr),
    from
  }
}

/**
 * A line cut in its middle to fit the budget, with a marker saying how much was cut: its start and its end
 * are usually what tells what it was.
 *
 * @internal
 */
export const cutLine = (line: string, budget: number): string => {
  if (resultCost(line) <= budget) return line
  const bytes = Buffer.from(line, "utf8")
  const marker = (cut: number) => ` ⟨… ${groupDigits(cut)} bytes cut …⟩ `
  let room = Math.max(0, budget - Buffer.byteLength(marker(bytes.length)))
  for (let round = 0; ; round++) {
    let headEnd = Math.floor(room / 2)
    while (headEnd > 0 && (bytes[headEnd]! & 0xc0) === 0x80) headEnd--
    let tailStart = Math.max(headEnd, bytes.length - (room - headEnd))
    while (tailStart < bytes.length && (bytes[tailStart]! & 0xc0) === 0x80) tailStart++
    const cut = bytes.subarray(0, headEnd).toString("utf8") + marker(tailStart - headEnd) + bytes.subarray(tailStart).toString("utf8")
    const cost = resultCost(cut)
    if (cost <= budget) return cut
    // Raw control characters cost more than their bytes: shrink until it fits, or give up on the text.
    if (room === 0 || round === 4) break
    room = Math.floor((room * budget) / cost * 0.9)
  }
  // The marker alone, or nothing when even that is more than a budget of a few bytes.
  const bare = marker(bytes.length).trim()
  return resultCost(bare) <= budget ? bare : ""
}

/**
 * The newest lines of a text that fit the budget: older lines go first, and a last line that does not fit
 * alone is cut in its middle.
 *
 * @internal
 */
export const newestLinesWithin = (text: string, budget: number): { readonly text: string; readonly cut: boolean } => {
  if (resultCost(text) <= budget) return { text, cut: false }
  const trailing = text.endsWith("\n") ? "\n" : ""
  if (budget < trailing.length) return { text: "", cut: true }
  const lines = (trailing === "" ? text : text.slice(0, -1)).split("\n")
  let cost = trailing.length
  let first = lines.length
  while (first > 0) {
    const added = resultCost(lines[first - 1]!) + (first < lines.length ? 1 : 0)
    if (cost + added > budget) break
    cost += added
    first--
  }
  if (first === lines.length) return { text: cutLine(lines[lines.length - 1]!, budget - trailing.length) + trailing, cut: true }
  return { text: lines.slice(first).join("\n") + trailing, cut: true }
}
