/**
 * The closed sets of values the runtime speaks in: job statuses, stdin modes, why a wait returned, what a
 * kill did. Each is a `Schema.Literal`, the one source of its values for the library, the MCP tools and the
 * command-line client.
 *
 * @since 0.1.0
 */
import * as Schema from "effect/Schema"

/**
 * A job's status. `killed` (by `kill` or shutdown) and `timed_out` are final as soon as they are decided,
 * whatever the process does while it dies; `failed` is a non-zero exit or a signal the runtime did not send.
 *
 * @since 0.1.0
 * @category schemas
 */
export const JobStatus = Schema.Literal("running", "completed", "failed", "killed", "timed_out").annotations({
  description:
    "running; completed (exit 0); failed (non-zero exit, or a signal the server did not send); killed (by kill, a signal sent with kill, or shutdown); timed_out."
})

/**
 * @since 0.1.0
 * @category models
 */
export type JobStatus = typeof JobStatus.Type

/**
 * Every status, in order.
 *
 * @since 0.1.0
 * @category models
 */
export const jobStatuses: ReadonlyArray<JobStatus> = JobStatus.literals

/**
 * Whether a job is connected to its stdin pipe, or started with stdin at end-of-file.
 *
 * @since 0.1.0
 * @category schemas
 */
export const StdinMode = Schema.Literal("pipe", "null")

/**
 * @since 0.1.0
 * @category models
 */
export type StdinMode = typeof StdinMode.Type

/**
 * Why a `wait` or `interact` returned: the job ended, `until` matched, the job listens on the port waited
 * for, the time bound passed, or (for `interact`) the job went quiet after answering.
 *
 * @since 0.1.0
 * @category schemas
 */
export const WaitReason = Schema.Literal("exited", "matched", "listening", "timeout", "idle").annotations({
  description:
    "exited: the job ended; matched: until matched (see matched_line); listening: the job listens on the port waited for; timeout: the bound passed; idle: the job went quiet."
})

/**
 * @since 0.1.0
 * @category models
 */
export type WaitReason = typeof WaitReason.Type

/**
 * What `kill` did: `killed` (stopped, with escalation), `signalled` when a specific signal was sent once (no
 * escalation), `already_terminated`, or `not_found` (not an error, so that killing twice is harmless).
 *
 * @since 0.1.0
 * @category schemas
 */
export const KillResult = Schema.Literal("killed", "signalled", "already_terminated", "not_found")

/**
 * @since 0.1.0
 * @category models
 */
export type KillResult = typeof KillResult.Type

/**
 * Whether a job's command runs again when it exits: `no`, `on-failure` (a non-zero exit or a signal the runtime
 * did not send) or `always` (any exit the runtime did not cause).
 *
 * @since 0.1.0
 * @category schemas
 */
export const RestartMode = Schema.Literal("no", "on-failure", "always")

/**
 * @since 0.1.0
 * @category models
 */
export type RestartMode = typeof RestartMode.Type
