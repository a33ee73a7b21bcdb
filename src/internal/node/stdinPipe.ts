/**
 * A job's stdin for the live spawner: a bounded queue feeding the process, so that a process that does not
 * read its input pushes back on the writer instead of filling memory, and a reason once it no longer accepts
 * input.
 *
 * @internal
 */
import type { PlatformError } from "@effect/platform/Error"
import * as Effect from "effect/Effect"
import * as Queue from "effect/Queue"
import * as Stream from "effect/Stream"
import type { StdinMode } from "../../domain/JobStatus.js"
import { StdinUnavailable } from "../../Spawner.js"

/** Ends the input stream when taken from the queue. */
const END_OF_INPUT = new Uint8Array(0)
/**
 * Written after every chunk: the platform's writer waits for `drain` between items of one batch but not
 * after the last, so a trailing empty item makes every real chunk respect backpressure.
 */
const FLUSH_MARK = new Uint8Array(0)
/** Chunks queued for the process before a write waits. */
const QUEUED_CHUNKS = 4

/** @internal */
export interface StdinPipe {
  /** What the process reads (for `Command.stdin`). */
  readonly stream: Stream.Stream<Uint8Array, PlatformError>
  /** Queues a chunk; waits while the queue is full (backpressure). */
  readonly write: (chunk: Uint8Array) => Effect.Effect<void, StdinUnavailable>
  /** End-of-file after the input already queued; never waits on the process and is never lost. */
  readonly close: Effect.Effect<void>
  readonly isOpen: Effect.Effect<boolean>
  /** No more input will be taken, for `reason`. */
  readonly shutdown: (reason: string) => Effect.Effect<void>
}

/** A stdin pipe for a job started with `mode`; a background end-of-file is forked in the scope. @internal */
export const makeStdinPipe = Effect.fnUntraced(function*(mode: StdinMode) {
  const scope = yield* Effect.scope
  const input = yield* Queue.bounded<Uint8Array>(QUEUED_CHUNKS)
  let closedReason: string | undefined = mode === "null" ? "it was started with stdin set to null" : undefined
  const shutdown = (reason: string) =>
    Effect.sync(() => {
      closedReason ??= reason
    }).pipe(Effect.zipRight(Queue.shutdown(input)))

  const stream: Stream.Stream<Uint8Array, PlatformError> = mode === "null"
    ? Stream.empty
    : Stream.fromQueue(input).pipe(
      Stream.takeWhile((chunk) => chunk !== END_OF_INPUT),
      Stream.mapConcat((chunk) => [chunk, FLUSH_MARK]),
      Stream.ensuring(shutdown("the process closed its stdin or has exited"))
    )

  const write = (chunk: Uint8Array) =>
    chunk.length === 0
      ? Effect.void
      : Effect.suspend(() =>
        closedReason !== undefined
          ? Effect.fail(new StdinUnavailable({ reason: closedReason }))
          : Queue.offer(input, chunk).pipe(
            Effect.asVoid,
            Effect.onInterrupt(() => Effect.void),
            Effect.catchAllCause(() => Effect.fail(new StdinUnavailable({ reason: closedReason ?? "stdin is closed" })))
          )
      )

  // With the queue full (a process not reading), end-of-file is queued in the background.
  const close = Effect.suspend(() => {
    if (closedReason !== undefined) return Effect.void
    closedReason = "its stdin was closed"
    return Queue.unsafeOffer(input, END_OF_INPUT) ?
      Effect.void :
      Queue.offer(input, END_OF_INPUT).pipe(Effect.ignore, Effect.forkIn(scope), Effect.asVoid)
  })

  return { stream, write, close, isOpen: Effect.sync(() => closedReason === undefined), shutdown } satisfies StdinPipe
})
