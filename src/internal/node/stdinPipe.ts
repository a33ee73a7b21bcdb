/**
 * A job's stdin for the live spawner: writes go straight to the child's pipe, and a write waits while the
 * pipe is full (the process is not reading), so that input pushes back on the writer instead of filling
 * memory; once the pipe no longer accepts input, a reason says why.
 *
 * @internal
 */
import * as Effect from "effect/Effect"
import type { Writable } from "node:stream"
import type { StdinMode } from "../../domain/JobStatus.js"
import { StdinUnavailable } from "../../Spawner.js"

/** @internal */
export interface StdinPipe {
  /** Hands a chunk to the pipe; waits while the pipe is full (backpressure). */
  readonly write: (chunk: Uint8Array) => Effect.Effect<void, StdinUnavailable>
  /** End-of-file after the input already written; never waits on the process and is never lost. */
  readonly close: Effect.Effect<void>
  readonly isOpen: Effect.Effect<boolean>
  /** No more input will be taken, for `reason`; the pipe is closed. */
  readonly shutdown: (reason: string) => void
}

const GONE = "the process closed its stdin or has exited"

/** The stdin of a job started with `mode`, over the child's pipe (null when the mode is `null`). @internal */
export const makeStdinPipe = (mode: StdinMode, pipe: Writable | null): StdinPipe => {
  let closedReason: string | undefined = mode === "null" || pipe === null ? "it was started with stdin set to null" : undefined
  if (pipe !== null) {
    // EPIPE once the process has closed its end: a reason, never a crash.
    pipe.on("error", () => {
      closedReason ??= GONE
    })
    pipe.on("close", () => {
      closedReason ??= GONE
    })
  }
  const unavailable = () => new StdinUnavailable({ reason: closedReason ?? GONE })

  /** Resumes once the pipe has room again or can take nothing more. */
  const roomOrEnd = (writable: Writable) =>
    Effect.async<void, StdinUnavailable>((resume) => {
      const done = () => {
        writable.off("drain", done)
        writable.off("close", done)
        resume(closedReason === undefined ? Effect.void : Effect.fail(unavailable()))
      }
      writable.on("drain", done)
      writable.on("close", done)
      return Effect.sync(() => {
        writable.off("drain", done)
        writable.off("close", done)
      })
    })

  const write = (chunk: Uint8Array) =>
    Effect.suspend(() => {
      if (chunk.length === 0) return Effect.void
      if (closedReason !== undefined || pipe === null) return Effect.fail(unavailable())
      return pipe.write(chunk) ? Effect.void : roomOrEnd(pipe)
    })

  const close = Effect.sync(() => {
    if (closedReason !== undefined || pipe === null) return
    closedReason = "its stdin was closed"
    pipe.end()
  })

  const shutdown = (reason: string) => {
    closedReason ??= reason
    pipe?.destroy()
  }

  return { write, close, isOpen: Effect.sync(() => closedReason === undefined), shutdown }
}
