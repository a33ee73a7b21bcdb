/**
 * Restart policies: whether a job's command runs again when it exits, and after how long. The back-off
 * doubles from 1 second to 60 seconds; a run that lasted 60 seconds counts as stable, so the back-off and
 * the count of consecutive restarts (what `maxRestarts` bounds) start over after it.
 *
 * @internal
 */
import * as Duration from "effect/Duration"
import type { RestartMode } from "../domain/JobStatus.js"

/** @internal */
export interface RestartPolicy {
  readonly mode: RestartMode
  /** Consecutive restarts allowed before the job ends with its last exit. */
  readonly maxRestarts: number
}

/** @internal */
export const DEFAULT_MAX_RESTARTS = 5
/** The largest `maxRestarts` accepted. @internal */
export const MAX_RESTARTS_LIMIT = 1000
const FIRST_DELAY_MS = 1_000
const LONGEST_DELAY_MS = 60_000
/** A run this long was stable: the back-off starts over. @internal */
export const STABLE_RUN = Duration.seconds(60)

/**
 * Whether a run that ended as `outcome` (the status it would give the job) is restarted: `on-failure` after a
 * failure, `always` after any end the runtime did not cause; never once `consecutive` restarts were used up.
 *
 * @internal
 */
export const restartsAfter = (policy: RestartPolicy, outcome: "completed" | "failed" | "killed", consecutive: number): boolean =>
  consecutive < policy.maxRestarts &&
  (policy.mode === "always" ? outcome !== "killed" : policy.mode === "on-failure" ? outcome === "failed" : false)

/** The wait before the `attempt`-th consecutive restart (1-based): 1 s, 2 s, 4 s, ... up to 60 s. @internal */
export const backoffDelay = (attempt: number): Duration.Duration =>
  Duration.millis(Math.min(LONGEST_DELAY_MS, FIRST_DELAY_MS * 2 ** Math.max(0, Math.min(attempt - 1, 16))))

/** The line a restart adds to the job's output. @internal */
export const restartLine = (exit: { readonly code: number | null; readonly signal: string | null }, attempt: number, maxRestarts: number): string =>
  `[mcp-background-job] restarted after ${exit.code !== null ? `exit code ${exit.code}` : `signal ${exit.signal ?? "unknown"}`} (${attempt} of ${maxRestarts})\n`
