/**
 * The errors the job runtime can fail with. Each is tagged (catch it with `Effect.catchTag`) and its
 * `message` is a sentence that says what happened and what to do, shown as is to an agent.
 *
 * @since 0.1.0
 */
import * as Schema from "effect/Schema"

/**
 * No job has this id: it never existed, or it finished and was cleaned up.
 *
 * @since 0.1.0
 * @category errors
 */
export class JobNotFound extends Schema.TaggedError<JobNotFound>()("JobNotFound", {
  jobId: Schema.String
}) {
  override get message(): string {
    return `Job ${this.jobId} not found. Call list to see current jobs; finished jobs are removed after the cleanup interval.`
  }
}

/**
 * Some of the jobs an operation on several jobs names do not exist (or belong to another owner).
 *
 * @since 0.1.0
 * @category errors
 */
export class JobsNotFound extends Schema.TaggedError<JobsNotFound>()("JobsNotFound", {
  jobIds: Schema.Array(Schema.String)
}) {
  override get message(): string {
    const [first, ...rest] = this.jobIds
    const what = rest.length === 0 ? `Job ${first} not found` : `Jobs ${this.jobIds.join(", ")} not found`
    return `${what}. Call list to see current jobs; finished jobs are removed after the cleanup interval.`
  }
}

/**
 * As many jobs as allowed are running.
 *
 * @since 0.1.0
 * @category errors
 */
export class JobLimitReached extends Schema.TaggedError<JobLimitReached>()("JobLimitReached", {
  limit: Schema.Number
}) {
  override get message(): string {
    return `Job limit reached: ${this.limit} jobs are running (MCP_BG_MAX_JOBS=${this.limit}). Wait for one to finish or kill one, then try again.`
  }
}

/**
 * The command was refused before it ran: empty, too long, or not allowed by the command policy.
 *
 * @since 0.1.0
 * @category errors
 */
export class CommandRejected extends Schema.TaggedError<CommandRejected>()("CommandRejected", {
  command: Schema.String,
  reason: Schema.String,
  /** The policy rule that refused it (`not-allowed`, `denied`, `wrapper`, `syntax`, …). */
  rule: Schema.optional(Schema.String),
  /** The simple command (or statement, variable, directory) that was refused, as written. */
  refused: Schema.optional(Schema.String)
}) {
  override get message(): string {
    return `Command rejected: ${this.reason}`
  }
}

/**
 * The operation needs a running job and this one has ended.
 *
 * @since 0.1.0
 * @category errors
 */
export class JobNotRunning extends Schema.TaggedError<JobNotRunning>()("JobNotRunning", {
  jobId: Schema.String,
  status: Schema.String
}) {
  override get message(): string {
    return `Job ${this.jobId} is not running (status: ${this.status}), so it cannot take input. Read its output with output or tail, or start it again with execute.`
  }
}

/**
 * The job's stdin does not accept input: it was closed, the job was started with `stdin: "null"`, or the
 * process closed its end.
 *
 * @since 0.1.0
 * @category errors
 */
export class StdinClosed extends Schema.TaggedError<StdinClosed>()("StdinClosed", {
  jobId: Schema.String,
  reason: Schema.String
}) {
  override get message(): string {
    return `Job ${this.jobId} does not accept input: ${this.reason}. Read its output with output or wait; to type into a command, start it with stdin "pipe" (the default) and leave stdin open.`
  }
}

/**
 * The job did not read its input in time: only part of it was accepted.
 *
 * @since 0.1.0
 * @category errors
 */
export class InputNotAccepted extends Schema.TaggedError<InputNotAccepted>()("InputNotAccepted", {
  jobId: Schema.String,
  accepted: Schema.Number,
  total: Schema.Number
}) {
  override get message(): string {
    return `Job ${this.jobId} is not reading its stdin: only ${this.accepted} of ${this.total} bytes were accepted (the rest was not sent). Check that the program reads input, or send less at once.`
  }
}

/**
 * The process could not be started (missing shell, inaccessible directory, too long a command, ...).
 *
 * @since 0.1.0
 * @category errors
 */
export class SpawnFailed extends Schema.TaggedError<SpawnFailed>()("SpawnFailed", {
  command: Schema.String,
  reason: Schema.String
}) {
  override get message(): string {
    return `Could not start the job: ${this.reason}`
  }
}

/**
 * An argument was well-typed but unusable: a bad pattern, a cursor of another job, a missing directory.
 *
 * @since 0.1.0
 * @category errors
 */
export class InvalidArgument extends Schema.TaggedError<InvalidArgument>()("InvalidArgument", {
  argument: Schema.String,
  reason: Schema.String
}) {
  override get message(): string {
    return `Invalid ${this.argument}: ${this.reason}`
  }
}

/**
 * Every error a job operation can fail with.
 *
 * @since 0.1.0
 * @category errors
 */
export type JobError =
  | JobNotFound
  | JobsNotFound
  | JobLimitReached
  | CommandRejected
  | JobNotRunning
  | StdinClosed
  | InputNotAccepted
  | SpawnFailed
  | InvalidArgument
