/**
 * The wire contract: the snake_case JSON that the MCP tools answer with and the command-line client reads,
 * derived once from the domain schemas (`domain/`). Each wire schema's type is the domain value and its
 * encoded form is the JSON on the wire, so the tools encode with it and the client decodes with it.
 *
 * @since 0.1.0
 */
import * as Schema from "effect/Schema"
import { JobStatus, KillResult, WaitReason } from "../domain/JobStatus.js"
import * as Notice from "../domain/JobNotice.js"
import * as Views from "../domain/JobViews.js"
import * as Many from "../domain/WaitMany.js"
import { cursorFor } from "../internal/Job.js"

/**
 * The cursor before a job's first byte: waiting or reading from it misses nothing the job printed.
 *
 * @since 0.1.0
 * @category cursors
 */
export const startCursor = (jobId: string): string => cursorFor(jobId, { stdout: 0, stderr: 0 })

/**
 * A field whose wire name is not the snake_case of its name, or whose wire form differs (another unit).
 *
 * @since 0.1.0
 * @category derivation
 */
export type WireName = string | { readonly key: string; readonly schema: Schema.Struct.Field }

/**
 * A schema whose type is a domain value and whose encoded form is its JSON on the wire.
 *
 * @since 0.1.0
 * @category derivation
 */
export interface WireSchema<A> extends Schema.Schema<A, { readonly [key: string]: unknown }> {}

const snakeCase = (name: string): string => name.replace(/[A-Z]/g, (letter) => `_${letter.toLowerCase()}`)

const underKey = (field: Schema.Struct.Field, key: string): Schema.Struct.Field =>
  // The `never`-typed members of `PropertySignature.All` defeat `fromKey`'s inference; any signature takes a key.
  Schema.fromKey(Schema.isPropertySignature(field) ? field as Schema.PropertySignature.Any : Schema.propertySignature(field), key)

/**
 * The wire schema of a struct of domain fields: every field under its snake_case name, or under the name (and
 * in the form) `names` gives it.
 *
 * @since 0.1.0
 * @category derivation
 */
export const wireStruct = <Fields extends Schema.Struct.Fields>(
  fields: Fields,
  names: { readonly [K in keyof Fields]?: WireName } = {}
): WireSchema<Schema.Struct.Type<Fields>> => {
  const wireFields: Record<string, Schema.Struct.Field> = {}
  for (const [name, field] of Object.entries(fields)) {
    const given: WireName | undefined = names[name]
    const key = given === undefined ? snakeCase(name) : typeof given === "string" ? given : given.key
    const schema = given === undefined || typeof given === "string" ? field : given.schema
    wireFields[name] = key === name && schema === field ? field : underKey(schema, key)
  }
  // Renaming keys changes the encoded form only: the type is the domain's, field for field.
  return Schema.Struct(wireFields) as unknown as WireSchema<Schema.Struct.Type<Fields>>
}

/** Milliseconds in the domain, seconds on the wire. */
const SecondsFromMillis = Schema.transform(Schema.Number, Schema.Number, {
  strict: true,
  decode: (seconds) => seconds * 1000,
  encode: (millis) => millis / 1000
})

const jobNames = { id: "job_id", startedAt: "started", endedAt: "ended" } as const

const optional = <S extends Schema.Schema.Any>(schema: S) => Schema.optionalWith(schema, { exact: true })

/**
 * One line of `list`: `job_id`, `status`, `command`, `started`, `ended`, `exit_code`.
 *
 * @since 0.1.0
 * @category schemas
 */
export const JobSummary = wireStruct(Views.JobSummary.fields, jobNames)

/**
 * `status`: the summary and everything else known about the job (`timeout_s` in seconds).
 *
 * @since 0.1.0
 * @category schemas
 */
export const JobDetails = wireStruct(Views.JobDetails.fields, {
  ...jobNames,
  runs: { key: "runs", schema: Schema.Array(wireStruct(Views.JobRun.fields, { startedAt: "started", endedAt: "ended" })) },
  timeoutMs: { key: "timeout_s", schema: Schema.NullOr(SecondsFromMillis) }
})

/**
 * `list`.
 *
 * @since 0.1.0
 * @category schemas
 */
export const JobList = wireStruct({
  jobs: Schema.Array(JobSummary),
  /** Older jobs left out to keep the list within the result budget. */
  omittedJobs: Schema.optionalWith(Schema.Number, { exact: true })
})

/**
 * `output`.
 *
 * @since 0.1.0
 * @category schemas
 */
export const OutputView = wireStruct(Views.OutputView.fields)

/**
 * `tail`.
 *
 * @since 0.1.0
 * @category schemas
 */
export const TailView = wireStruct(Views.TailView.fields)

/**
 * `wait` and `interact`.
 *
 * @since 0.1.0
 * @category schemas
 */
export const WaitResult = wireStruct(Views.WaitResult.fields)

/**
 * How one job stands in `wait` with `job_ids` and `all`: `job_id`, `status`, `exit_code`, `reason`.
 *
 * @since 0.1.0
 * @category schemas
 */
export const JobWaitEntry = wireStruct(Many.JobWaitEntry.fields, { id: "job_id" })

/**
 * `wait`: a one-job wait's fields, and with `job_ids` the job they are about and, with `all`, each job's entry.
 *
 * @since 0.1.0
 * @category schemas
 */
export const WaitAnswer = Schema.extend(
  WaitResult,
  wireStruct({
    id: optional(Schema.String).annotations({ description: "With job_ids: the job this result is about." }),
    jobs: optional(Schema.Array(JobWaitEntry)).annotations({ description: "With all: each job's status and reason." })
  }, { id: "job_id" })
)

/**
 * `kill`.
 *
 * @since 0.1.0
 * @category schemas
 */
export const KillAnswer = wireStruct({
  status: KillResult,
  portsFree: optional(Schema.NullOr(Schema.Boolean)).annotations({
    description: "When the job listened on ports: whether they are free again (null: cannot be read here)."
  })
})

/**
 * `execute`: the new job, and with `wait_ms` how it ended and what it printed.
 *
 * @since 0.1.0
 * @category schemas
 */
export const Started = wireStruct({
  id: Schema.String,
  status: JobStatus,
  pid: Schema.Number,
  startedAt: Views.Timestamp,
  cursor: Schema.String.annotations({
    description:
      "Pass to wait or output to read on from here: without wait_ms the start of the job's output, with wait_ms the end of what this result returned."
  }),
  exitCode: optional(Schema.NullOr(Schema.Number)),
  reason: optional(WaitReason),
  matchedLine: optional(Schema.NullOr(Schema.String)),
  ports: optional(Schema.NullOr(Views.JobPorts)),
  stdout: optional(Schema.String),
  stderr: optional(Schema.String),
  truncated: optional(Schema.Boolean),
  omittedBytes: optional(Schema.Number),
  omittedCursor: optional(Schema.NullOr(Schema.String))
}, jobNames)

/**
 * `restart`: the new job and the one it replaces.
 *
 * @since 0.1.0
 * @category schemas
 */
export const Restarted = wireStruct({
  id: Schema.String,
  previousId: Schema.String,
  status: JobStatus,
  pid: Schema.Number,
  startedAt: Views.Timestamp,
  cursor: Schema.String.annotations({
    description: "The start of the new job's output: pass it to wait (e.g. with until \"ready\") so nothing it printed is missed."
  }),
  reason: optional(WaitReason),
  matchedLine: optional(Schema.NullOr(Schema.String)),
  ports: optional(Schema.NullOr(Views.JobPorts))
}, { ...jobNames, previousId: "previous_job_id" })

/**
 * A job that ended since the session's previous result: `job_id`, `command` (shortened), `status`,
 * `exit_code`, `signal`, `ended`.
 *
 * @since 0.1.0
 * @category schemas
 */
export const JobNotice = wireStruct(Notice.JobNotice.fields, { id: "job_id", endedAt: "ended" })

/**
 * What every tool result may carry besides its own fields: `notices`, and `notices_omitted` when more jobs
 * ended than a result lists.
 *
 * @since 0.1.0
 * @category schemas
 */
export const ResultNotices = wireStruct({
  notices: optional(Schema.Array(JobNotice)).annotations({
    description: "Jobs of this session that ended since the previous result, each reported once."
  }),
  noticesOmitted: optional(Schema.Number).annotations({
    description: "How many more jobs ended than notices lists (see list)."
  })
})
