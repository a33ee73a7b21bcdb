/**
 * A notice that a job ended, or that its restart policy started it again: what an MCP session tells its agent
 * in the next result, so that it learns a build failed or a dev server crashed without polling.
 *
 * @since 0.1.0
 */
import * as Schema from "effect/Schema"
import type { JobEvent } from "./JobEvent.js"
import { JobStatus } from "./JobStatus.js"
import { Timestamp } from "./JobViews.js"

/**
 * One job that ended (or one run of it, when its restart policy started it again): its id, its command
 * (shortened), how it ended and when.
 *
 * @since 0.1.0
 * @category schemas
 */
export const JobNotice = Schema.Struct({
  id: Schema.String,
  command: Schema.String.annotations({ description: "The job's command, shortened to at most 120 characters." }),
  status: JobStatus,
  exitCode: Schema.NullOr(Schema.Number),
  signal: Schema.NullOr(Schema.String),
  endedAt: Timestamp,
  /** The run ended and the restart policy started the job again: `"2 of 5"`. The job is still running. */
  restarted: Schema.optionalWith(Schema.String, { exact: true }),
  /** A killed job that listened on ports: whether they were free again once its processes were gone. */
  portsFree: Schema.optionalWith(Schema.Boolean, { exact: true })
})

/**
 * @since 0.1.0
 * @category models
 */
export interface JobNotice extends Schema.Schema.Type<typeof JobNotice> {}

/**
 * The most characters of a command a notice carries.
 *
 * @since 0.1.0
 * @category constants
 */
export const NOTICE_COMMAND_LENGTH = 120

/**
 * A command as a notice shows it: runs of whitespace (newlines of a script) as one space, and at most
 * `max` characters, the cut marked with "…" and never inside a surrogate pair.
 *
 * @since 0.1.0
 * @category constructors
 */
export const shortenCommand = (command: string, max: number = NOTICE_COMMAND_LENGTH): string => {
  const flat = command.replace(/\s+/g, " ").trim()
  if (flat.length <= max) return flat
  let end = max - 1
  const last = flat.charCodeAt(end - 1)
  // A high surrogate without its low half would be a broken character.
  if (last >= 0xd800 && last <= 0xdbff) end--
  return `${flat.slice(0, end)}…`
}

/**
 * The notice for a `Restarted` event: the run that ended, and which restart this is.
 *
 * @since 0.1.0
 * @category constructors
 */
export const restartNoticeOf = (event: Extract<JobEvent, { readonly _tag: "Restarted" }>, command: string): JobNotice => ({
  id: event.jobId,
  command: shortenCommand(command),
  status: "running",
  exitCode: event.exitCode,
  signal: event.signal,
  endedAt: event.endedAt,
  restarted: `${event.attempt} of ${event.maxRestarts}`
})

/**
 * The notice for a job's `Exited` event.
 *
 * @since 0.1.0
 * @category constructors
 */
export const noticeOf = (event: Extract<JobEvent, { readonly _tag: "Exited" }>): JobNotice => ({
  id: event.jobId,
  command: shortenCommand(event.command),
  status: event.status,
  exitCode: event.exitCode,
  signal: event.signal,
  endedAt: event.endedAt
})
