/**
 * Writing input to a job's stdin within a time bound: in pieces, so that a process that stops reading is
 * noticed within the bound, and with errors that say how much was accepted.
 *
 * @internal
 */
import type * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import { InputNotAccepted, StdinClosed } from "../domain/errors.js"
import type { Job } from "./Job.js"

/** Input is handed to the process in pieces this big, so a stalled reader is noticed within a bound. */
const INPUT_PIECE = 16 * 1024

/**
 * Writes `bytes` to the job's stdin within `timeout`: a closed stdin is `StdinClosed`, a process that does not
 * take it all in time is `InputNotAccepted` (the rest is not sent).
 *
 * @internal
 */
export const writeInput = (
  job: Job,
  bytes: Uint8Array,
  timeout: Duration.Duration
): Effect.Effect<void, StdinClosed | InputNotAccepted> =>
  Effect.suspend(() => {
    let accepted = 0
    const writeAll = Effect.gen(function*() {
      for (let offset = 0; offset < bytes.length; offset += INPUT_PIECE) {
        const piece = bytes.subarray(offset, offset + INPUT_PIECE)
        yield* job.process.write(piece)
        accepted += piece.length
      }
    })
    return writeAll.pipe(
      Effect.mapError((error) =>
        new StdinClosed({
          jobId: job.id,
          reason: accepted === 0 ? error.reason : `${error.reason}, after ${accepted} of ${bytes.length} bytes were accepted`
        })
      ),
      // Only the bound becomes InputNotAccepted: a closed stdin stays a StdinClosed error.
      Effect.timeoutOption(timeout),
      Effect.flatMap(Option.match({
        onNone: () => Effect.fail(new InputNotAccepted({ jobId: job.id, accepted, total: bytes.length })),
        onSome: () => Effect.void
      }))
    )
  })
