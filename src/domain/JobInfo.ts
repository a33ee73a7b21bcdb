/**
 * What the runtime tells about a job: its status and the views of its output.
 *
 * @since 0.1.0
 */
import type * as Option from "effect/Option"

/**
 * A job's status. `killed` (by `kill` or shutdown) and `timed_out` are final as soon as they are decided,
 * whatever the process does while it dies; `failed` is a non-zero exit or a signal the runtime did not send.
 *
 * @since 0.1.0
 * @category models
 */
export type JobStatus = "running" | "completed" | "failed" | "killed" | "timed_out"

/**
 * Every status, in the order above.
 *
 * @since 0.1.0
 * @category models
 */
export const jobStatuses: ReadonlyArray<JobStatus> = ["running", "completed", "failed", "killed", "timed_out"]

/**
 * Whether a job is connected to its stdin pipe, or started with stdin at end-of-file.
 *
 * @since 0.1.0
 * @category models
 */
export type StdinMode = "pipe" | "null"

/**
 * One line of `list`.
 *
 * @since 0.1.0
 * @category models
 */
export interface JobSummary {
  readonly id: string
  readonly status: JobStatus
  readonly command: string
  readonly startedAt: Date
  readonly endedAt: Date | null
  readonly exitCode: number | null
}

/**
 * Everything known about one job.
 *
 * @since 0.1.0
 * @category models
 */
export interface JobDetails extends JobSummary {
  /** Signal that ended the shell, if a signal did. */
  readonly signal: string | null
  readonly pid: number
  readonly cwd: string
  readonly durationMs: number
  readonly timeoutMs: number | null
  readonly stdin: StdinMode
  readonly stdinOpen: boolean
  readonly stdoutBytes: number
  readonly stderrBytes: number
  readonly droppedStdoutBytes: number
  readonly droppedStderrBytes: number
  readonly retainedBytes: number
}

/**
 * Text read from a job's output, with the cursor to read on from and what the cap dropped on the way.
 *
 * @since 0.1.0
 * @category models
 */
export interface OutputView {
  readonly stdout: string
  readonly stderr: string
  /** Pass this back to read only what comes after. */
  readonly cursor: string
  /** Bytes between the given cursor and the oldest retained byte that the output cap dropped. */
  readonly droppedStdoutBytes: number
  readonly droppedStderrBytes: number
  /** Bytes left out to honour `maxBytes` (the oldest ones). */
  readonly omittedBytes: number
}

/**
 * The last lines of each stream.
 *
 * @since 0.1.0
 * @category models
 */
export interface TailView {
  readonly stdout: string
  readonly stderr: string
  readonly cursor: string
}

/**
 * Why a `wait` or `interact` returned: the job ended, `until` matched, the time bound passed, or (for
 * `interact`) the job went quiet after answering.
 *
 * @since 0.1.0
 * @category models
 */
export type WaitReason = "exited" | "matched" | "timeout" | "idle"

/**
 * The result of `wait` and of `interact`: the job's status, why the call returned, and the output that
 * arrived meanwhile.
 *
 * @since 0.1.0
 * @category models
 */
export interface WaitResult extends OutputView {
  readonly status: JobStatus
  readonly exitCode: number | null
  readonly reason: WaitReason
  /** The line that matched `until`, when one did. */
  readonly matchedLine: Option.Option<string>
}
