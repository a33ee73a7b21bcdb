/**
 * What the runtime tells about a job: its summary and details, and the views of its output. Each view is a
 * `Schema.Struct` whose type is what the library returns (times as `Date`, an absent line as `Option`) and
 * whose encoded form is plain JSON; the MCP wire format (`mcp/wire.ts`) is derived from these.
 *
 * @since 0.1.0
 */
import * as Option from "effect/Option"
import * as ParseResult from "effect/ParseResult"
import * as Schema from "effect/Schema"
import { JobStatus, RestartMode, StdinMode, WaitReason } from "./JobStatus.js"

/**
 * A point in time: a `Date`, encoded as an ISO-8601 UTC string.
 *
 * @since 0.1.0
 * @category schemas
 */
export const Timestamp: Schema.Schema<Date, string> = Schema.transformOrFail(
  Schema.String,
  // Described on the type side: that is the description JSON Schema keeps for a renamed field.
  Schema.DateFromSelf.annotations({ description: "ISO-8601 UTC time" }),
  {
    strict: true,
    decode: (text, _, ast) => {
      const date = new Date(text)
      return Number.isNaN(date.getTime()) ?
        ParseResult.fail(new ParseResult.Type(ast, text, `expected an ISO-8601 time, got ${JSON.stringify(text)}`)) :
        ParseResult.succeed(date)
    },
    encode: (date) => ParseResult.succeed(date.toISOString())
  }
)

/**
 * A port a job listens on: its local address (`127.0.0.1:5173`, `[::]:3000`), and for TCP the URL to open.
 *
 * @since 0.1.0
 * @category schemas
 */
export const ListeningPort = Schema.Struct({
  address: Schema.String,
  port: Schema.Number,
  url: Schema.optionalWith(Schema.String, { exact: true }).annotations({ description: "http://localhost:<port> for a wildcard or loopback bind." })
})

/**
 * @since 0.1.0
 * @category models
 */
export interface ListeningPort extends Schema.Schema.Type<typeof ListeningPort> {}

/**
 * The ports any process of a job listens on: TCP (`LISTEN`) and UDP (bound) apart.
 *
 * @since 0.1.0
 * @category schemas
 */
export const JobPorts = Schema.Struct({
  tcp: Schema.Array(ListeningPort),
  udp: Schema.Array(ListeningPort)
})

/**
 * @since 0.1.0
 * @category models
 */
export interface JobPorts extends Schema.Schema.Type<typeof JobPorts> {}

/**
 * One line of `list`.
 *
 * @since 0.1.0
 * @category schemas
 */
export const JobSummary = Schema.Struct({
  id: Schema.String,
  status: JobStatus,
  command: Schema.String,
  startedAt: Timestamp,
  endedAt: Schema.NullOr(Timestamp),
  exitCode: Schema.NullOr(Schema.Number),
  ports: Schema.NullOr(JobPorts).annotations({ description: "Ports the job's processes listen on; null when they cannot be read here." })
})

/**
 * @since 0.1.0
 * @category models
 */
export interface JobSummary extends Schema.Schema.Type<typeof JobSummary> {}

/**
 * One earlier run of a job restarted by its restart policy: its process and how it ended.
 *
 * @since 0.1.0
 * @category schemas
 */
export const JobRun = Schema.Struct({
  pid: Schema.Number,
  startedAt: Timestamp,
  endedAt: Timestamp,
  exitCode: Schema.NullOr(Schema.Number),
  signal: Schema.NullOr(Schema.String)
})

/**
 * @since 0.1.0
 * @category models
 */
export interface JobRun extends Schema.Schema.Type<typeof JobRun> {}

/**
 * Everything known about one job.
 *
 * @since 0.1.0
 * @category schemas
 */
export const JobDetails = Schema.Struct({
  ...JobSummary.fields,
  /** Signal that ended the shell, if a signal did. */
  signal: Schema.NullOr(Schema.String),
  pid: Schema.Number,
  cwd: Schema.String,
  durationMs: Schema.Number,
  timeoutMs: Schema.NullOr(Schema.Number),
  stdin: StdinMode,
  stdinOpen: Schema.Boolean,
  ready: Schema.NullOr(Schema.String).annotations({ description: "The ready condition it was started with: a pattern, port N or any port." }),
  restartPolicy: RestartMode,
  restarts: Schema.Number,
  /** The runs before the current one (the latest 20), each with its exit; the current run's is the job's. */
  runs: Schema.Array(JobRun),
  stdoutBytes: Schema.Number,
  stderrBytes: Schema.Number,
  droppedStdoutBytes: Schema.Number,
  droppedStderrBytes: Schema.Number,
  retainedBytes: Schema.Number
})

/**
 * @since 0.1.0
 * @category models
 */
export interface JobDetails extends Schema.Schema.Type<typeof JobDetails> {}

/**
 * Text read from a job's output within a result budget, with the cursor to read on from, what the output cap
 * dropped on the way, and what the budget left out.
 *
 * @since 0.1.0
 * @category schemas
 */
export const OutputText = Schema.Struct({
  stdout: Schema.String,
  stderr: Schema.String,
  cursor: Schema.String.annotations({ description: "Pass back as cursor to read on after this result." }),
  truncated: Schema.Boolean.annotations({ description: "True when output was dropped by the output cap or left out by the result budget." }),
  droppedStdoutBytes: Schema.Number,
  droppedStderrBytes: Schema.Number,
  /** Bytes left out between the head and the tail of a result that did not fit its budget. */
  omittedBytes: Schema.Number,
  omittedLines: Schema.Number,
  /** Where the left-out bytes start: `output` with this cursor pages through them. */
  omittedCursor: Schema.NullOr(Schema.String),
  /** Bytes still retained after `cursor` (a page of `output` that did not reach the end). */
  remainingBytes: Schema.Number
})

/**
 * @since 0.1.0
 * @category models
 */
export interface OutputText extends Schema.Schema.Type<typeof OutputText> {}

/**
 * What `output` returns: a page after a cursor, a head and tail summary, or search results.
 *
 * @since 0.1.0
 * @category schemas
 */
export const OutputView = Schema.Struct({
  ...OutputText.fields,
  /** With a filter: matching lines in everything retained after the cursor; otherwise null. */
  matches: Schema.NullOr(Schema.Number)
})

/**
 * @since 0.1.0
 * @category models
 */
export interface OutputView extends Schema.Schema.Type<typeof OutputView> {}

/**
 * The last lines of each stream.
 *
 * @since 0.1.0
 * @category schemas
 */
export const TailView = Schema.Struct({
  stdout: Schema.String,
  stderr: Schema.String,
  cursor: Schema.String,
  /** True when older lines were left out, or a line cut in its middle, to fit the result budget. */
  truncated: Schema.Boolean
})

/**
 * @since 0.1.0
 * @category models
 */
export interface TailView extends Schema.Schema.Type<typeof TailView> {}

/**
 * The result of `wait` and of `interact`: the job's status, why the call returned, and the output that
 * arrived meanwhile.
 *
 * @since 0.1.0
 * @category schemas
 */
export const WaitResult = Schema.Struct({
  status: JobStatus,
  exitCode: Schema.NullOr(Schema.Number),
  reason: WaitReason,
  /** The line that matched `until`, when one did. */
  matchedLine: Schema.transform(
    Schema.NullOr(Schema.String),
    Schema.OptionFromSelf(Schema.String).annotations({ description: "The line that matched until, or null." }),
    { strict: true, decode: Option.fromNullable, encode: Option.getOrNull }
  ),
  /** With a wait for a port: the ports the job listens on when the wait returned. */
  ports: Schema.optionalWith(Schema.NullOr(JobPorts), { exact: true }),
  ...OutputText.fields
})

/**
 * @since 0.1.0
 * @category models
 */
export interface WaitResult extends Schema.Schema.Type<typeof WaitResult> {}
