/**
 * What waiting on several jobs tells: the job the wait returned for, with the fields of a one-job wait, and
 * when waiting for all of them, how each one stands.
 *
 * @since 0.1.0
 */
import * as Schema from "effect/Schema"
import { JobStatus, WaitReason } from "./JobStatus.js"
import { WaitResult } from "./JobViews.js"

/**
 * The result of `waitAny`: the first job that ended (or printed a line matching `until`), or at the
 * timeout the first job named, with its status, why the wait returned and its output since the call.
 *
 * @since 0.1.0
 * @category schemas
 */
export const WaitAnyResult = Schema.Struct({
  id: Schema.String,
  ...WaitResult.fields
})

/**
 * @since 0.1.0
 * @category models
 */
export interface WaitAnyResult extends Schema.Schema.Type<typeof WaitAnyResult> {}

/**
 * How one job stands when a wait for several returns: done (`exited`, `matched`) or not (`timeout`).
 *
 * @since 0.1.0
 * @category schemas
 */
export const JobWaitEntry = Schema.Struct({
  id: Schema.String,
  status: JobStatus,
  exitCode: Schema.NullOr(Schema.Number),
  reason: WaitReason
})

/**
 * @since 0.1.0
 * @category models
 */
export interface JobWaitEntry extends Schema.Schema.Type<typeof JobWaitEntry> {}

/**
 * The result of `waitAll`: `reason` is `exited` when every job is done and `timeout` otherwise; the job
 * fields are those of the job the wait ended on (the last one done, or at the timeout the first one not
 * done); `jobs` has an entry per job, in the order given.
 *
 * @since 0.1.0
 * @category schemas
 */
export const WaitAllResult = Schema.Struct({
  ...WaitAnyResult.fields,
  jobs: Schema.Array(JobWaitEntry)
})

/**
 * @since 0.1.0
 * @category models
 */
export interface WaitAllResult extends Schema.Schema.Type<typeof WaitAllResult> {}
