/**
 * Events of the job runtime, published on `JobManager.events`.
 *
 * @since 0.1.0
 */
import * as Data from "effect/Data"
import type { JobStatus } from "./JobStatus.js"
import type { JobPorts } from "./JobViews.js"

/**
 * A job started, produced output, was restarted by its restart policy, changed the ports it listens on, or
 * ended. `Output.cursor` is the cursor just after the chunk, so a subscriber that fell behind can read what it
 * missed with `output`. `Exited` comes once the job's output is complete, and tells what a follower reports
 * without a lookup (the job may be removed soon after).
 *
 * @since 0.1.0
 * @category models
 */
export type JobEvent = Data.TaggedEnum<{
  Started: { readonly jobId: string; readonly command: string; readonly pid: number }
  Output: {
    readonly jobId: string
    readonly stream: "stdout" | "stderr"
    readonly bytes: Uint8Array
    readonly cursor: string
  }
  Exited: {
    readonly jobId: string
    readonly command: string
    readonly status: JobStatus
    readonly exitCode: number | null
    readonly signal: string | null
    readonly endedAt: Date
  }
  Removed: { readonly jobId: string }
  /**
   * The job's restart policy started its command again after the run that ended with `exitCode` or `signal`:
   * `pid` is the new run's, `attempt` counts the restarts since the last stable run (up to `maxRestarts`).
   */
  Restarted: {
    readonly jobId: string
    readonly pid: number
    readonly restarts: number
    readonly attempt: number
    readonly maxRestarts: number
    readonly exitCode: number | null
    readonly signal: string | null
    /** When the run before this one ended. */
    readonly endedAt: Date
  }
  /** The job started or stopped listening on a port: `ports` is what it listens on now. */
  PortsChanged: { readonly jobId: string; readonly ports: JobPorts }
}>

/**
 * Constructors and matchers for `JobEvent`.
 *
 * @since 0.1.0
 * @category constructors
 */
export const JobEvent = Data.taggedEnum<JobEvent>()
