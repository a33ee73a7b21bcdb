/**
 * The job tools as MCP sees them: snake_case arguments and results (the seed's contract), descriptions
 * written for agents, and handlers that call the `JobManager`.
 *
 * @since 0.1.0
 */
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import * as Schema from "effect/Schema"
import { InvalidArgument } from "../domain/errors.js"
import { RestartMode, StdinMode } from "../domain/JobStatus.js"
import { shortenCommand } from "../domain/JobNotice.js"
import type { JobSummary, WaitResult } from "../domain/JobViews.js"
import { MAX_RESULT_BUDGET } from "../internal/jobArguments.js"
import { MAX_RESTARTS_LIMIT } from "../internal/RestartPolicy.js"
import { JobManager } from "../JobManager.js"
import * as McpTool from "./McpTool.js"
import * as Wire from "./wire.js"

// ---- argument schemas ----

const JobIdArg = Schema.String.annotations({ description: "From execute or list." })
const cursorArg = McpTool.optional(
  Schema.String,
  "From an earlier result: read on after it."
)
const rawArg = McpTool.optional(
  Schema.Boolean,
  "Keep ANSI escapes, carriage returns and control bytes."
)
const maxBytesArg = McpTool.optional(
  McpTool.intBetween(1, MAX_RESULT_BUDGET, "bytes"),
  "Output budget of this result (default 32 KiB)."
)
const untilArg = McpTool.optional(
  Schema.String,
  "RE2 pattern matched per new line, e.g. \"ready|error\"."
)

const portArg = McpTool.intBetween(1, 65535, "port")

/** How long execute and restart wait for a job started with ready, unless wait_ms says otherwise. */
const DEFAULT_READY_WAIT_MS = 60_000

/** What a wait for readiness tells besides the output: the matching line and the ports the job listens on. */
const readiness = (jobs: JobManager["Type"], id: string, result: WaitResult) =>
  Effect.map(
    result.ports === undefined ?
      Effect.map(jobs.status(id), (details) => details.ports).pipe(Effect.orElseSucceed(() => null)) :
      Effect.succeed(result.ports),
    (ports) => ({ matchedLine: Option.getOrNull(result.matchedLine), ports })
  )

/** Sends a progress notification every second while `effect` runs, when the client asked for progress. */
const withProgress = <A, E, R>(
  effect: Effect.Effect<A, E, R>,
  context: McpTool.ToolContext,
  message: (elapsedSeconds: number) => string
): Effect.Effect<A, E, R> => {
  if (!context.hasProgressToken) return effect
  let elapsed = 0
  const ticker = Effect.sleep(Duration.seconds(1)).pipe(
    Effect.zipRight(Effect.suspend(() => context.progress(++elapsed, message(elapsed)))),
    Effect.forever
  )
  return Effect.raceFirst(effect, ticker)
}

const encodeSummary = Schema.encodeSync(Wire.JobSummary)

/** A command as `list` shows it: long ones shortened (status has the whole command). */
const LIST_COMMAND_LENGTH = 200

/** The newest jobs whose entries fit the result budget, commands shortened, and how many older ones were left out. */
const listWithin = (summaries: ReadonlyArray<JobSummary>, budget: number) => {
  const jobs: Array<JobSummary> = []
  let size = 0
  for (const summary of summaries) {
    const command = summary.command.length > LIST_COMMAND_LENGTH ? shortenCommand(summary.command, LIST_COMMAND_LENGTH) : summary.command
    const entry = { ...summary, command }
    size += Buffer.byteLength(JSON.stringify(encodeSummary(entry))) + 1
    if (size > budget && jobs.length > 0) return { jobs, omittedJobs: summaries.length - jobs.length }
    jobs.push(entry)
  }
  return { jobs }
}

// ---- tools ----

const execute = McpTool.make({
  name: "execute",
  title: "Start a background job",
  description:
    "Start a shell command (sh -c: pipes, && and $VARS work) as a background job; returns job_id and a cursor at once. " +
    "With wait_ms, also its status and output if it ends in time.",
  input: Schema.Struct({
    command: Schema.String.annotations({ description: "e.g. \"npm run dev\" or \"cd app && make test\"." }),
    cwd: McpTool.optional(Schema.String, "Working directory."),
    env: McpTool.optional(
      Schema.Record({
        key: Schema.String,
        value: Schema.String.annotations({
          message: (issue) => `expected a string value, got ${JSON.stringify("actual" in issue ? issue.actual : undefined)}: quote numbers and booleans, e.g. "3000"`
        })
      }).annotations({ message: () => "expected an object of variable names to string values, e.g. {\"PORT\": \"3000\"}" }),
      "Extra environment variables, e.g. {\"PORT\": \"3001\"}."
    ),
    timeout_s: McpTool.optional(
      McpTool.numberBetween(0.001, 7 * 24 * 3600, "seconds"),
      "Time limit; then the job is stopped as timed_out."
    ),
    wait_ms: McpTool.optional(
      McpTool.intBetween(0, 60_000, "milliseconds"),
      "Wait this long for the job to end."
    ),
    stdin: McpTool.optional(
      StdinMode.annotations({
        message: (issue) => ({
          message: `expected "pipe" or "null", got ${JSON.stringify("actual" in issue ? issue.actual : undefined)}`,
          override: true
        })
      }),
      "pipe (default) for interact; null gives end-of-file."
    ),
    max_bytes: maxBytesArg,
    ready: McpTool.optional(
      Schema.Union(Schema.String, Schema.Struct({ port: Schema.Union(portArg, Schema.Literal("any")) })),
      "Return once a line matches this RE2 pattern, or it listens on {\"port\": N or \"any\"} (wait_ms default 60000)."
    ),
    restart: McpTool.optional(
      RestartMode,
      "Run it again when it exits (not after kill), same job_id, back-off 1-60 s."
    ),
    max_restarts: McpTool.optional(
      McpTool.intBetween(0, MAX_RESTARTS_LIMIT, "restarts"),
      "Consecutive restarts allowed (default 5)."
    )
  }),
  output: Wire.Started,
  annotations: { readOnlyHint: false, destructiveHint: true, openWorldHint: true },
  handler: (input, context) =>
    Effect.gen(function*() {
      const jobs = yield* JobManager
      const job = yield* jobs.execute({
        command: input.command,
        cwd: input.cwd,
        env: input.env,
        timeout: input.timeout_s === undefined ? undefined : Duration.millis(input.timeout_s * 1000),
        stdin: input.stdin,
        ready: input.ready,
        restart: input.restart,
        maxRestarts: input.max_restarts
      })
      const base = { id: job.id, status: job.status, pid: job.pid, startedAt: job.startedAt, cursor: Wire.startCursor(job.id) }
      if (input.wait_ms === undefined && input.ready === undefined) return base
      const waitMs = input.wait_ms ?? DEFAULT_READY_WAIT_MS
      const result = yield* withProgress(
        jobs.wait(job.id, { timeout: Duration.millis(waitMs), fromStart: true, maxBytes: input.max_bytes, untilReady: true }),
        context,
        (elapsed) => `waiting for job ${job.id} to ${input.ready === undefined ? "end" : "be ready"}: ${elapsed}s`
      )
      return {
        ...base,
        status: result.status,
        exitCode: result.exitCode,
        reason: result.reason,
        ...(input.ready === undefined ? {} : yield* readiness(jobs, job.id, result)),
        stdout: result.stdout,
        stderr: result.stderr,
        cursor: result.cursor,
        truncated: result.truncated,
        omittedBytes: result.omittedBytes,
        omittedCursor: result.omittedCursor
      }
    })
})

const list = McpTool.make({
  name: "list",
  title: "List jobs",
  description:
    "Jobs, running or recently ended, newest first, with status and exit code. Jobs that end also come as notices in the next result of any tool.",
  input: Schema.Struct({}),
  output: Wire.JobList,
  annotations: { readOnlyHint: true, openWorldHint: false },
  handler: () => Effect.flatMap(JobManager, (jobs) => Effect.map(jobs.list, (summaries) => listWithin(summaries, jobs.maxResultSize)))
})

const status = McpTool.make({
  name: "status",
  title: "Job status",
  description:
    "One job's status, exit code or signal, pid, times and byte counts. To wait for a change, call wait instead of polling.",
  input: Schema.Struct({ job_id: JobIdArg }),
  output: Wire.JobDetails,
  annotations: { readOnlyHint: true, openWorldHint: false },
  handler: (input) => Effect.flatMap(JobManager, (jobs) => jobs.status(input.job_id))
})

const output = McpTool.make({
  name: "output",
  title: "Read job output",
  description:
    "Read a job's stdout and stderr: with cursor, the next page after it (call again with the new cursor while remaining_bytes > 0); " +
    "without, the head and tail. filter searches all retained output.",
  input: Schema.Struct({
    job_id: JobIdArg,
    cursor: cursorArg,
    filter: McpTool.optional(Schema.String, "RE2 pattern: only matching lines, e.g. \"FAIL|Error\"."),
    context: McpTool.optional(McpTool.intBetween(0, 100, "lines"), "Lines around each filter match (grep -C)."),
    max_bytes: maxBytesArg,
    raw: rawArg
  }),
  output: Wire.OutputView,
  annotations: { readOnlyHint: true, openWorldHint: false },
  handler: (input) =>
    Effect.flatMap(JobManager, (jobs) =>
      jobs.output(input.job_id, {
        cursor: input.cursor,
        filter: input.filter,
        context: input.context,
        maxBytes: input.max_bytes,
        raw: input.raw
      }))
})

const tail = McpTool.make({
  name: "tail",
  title: "Last lines of a job",
  description:
    "The last lines of a job's stdout and stderr: the quickest look at what it is doing or why it failed.",
  input: Schema.Struct({
    job_id: JobIdArg,
    lines: McpTool.optional(McpTool.intBetween(1, 1000, "lines"), "Lines of each stream (default 50)."),
    max_bytes: maxBytesArg,
    raw: rawArg
  }),
  output: Wire.TailView,
  annotations: { readOnlyHint: true, openWorldHint: false },
  handler: (input) => Effect.flatMap(JobManager, (jobs) => jobs.tail(input.job_id, input.lines ?? 50, { raw: input.raw, maxBytes: input.max_bytes }))
})

const interact = McpTool.make({
  name: "interact",
  title: "Send input to a job",
  description:
    "Write to a running job's stdin and return the output that follows: when until matches, the job exits, timeout_ms passes, " +
    "or (without until) it is quiet for 500 ms. For REPLs and prompts.",
  input: Schema.Struct({
    job_id: JobIdArg,
    input: Schema.String.annotations({ description: "Text to write; a newline is added if missing." }),
    until: McpTool.optional(Schema.String, "RE2 pattern: return when a line of the reply matches."),
    timeout_ms: McpTool.optional(
      McpTool.intBetween(1, 600_000, "milliseconds"),
      "Longest wait for the reply (default 5000)."
    ),
    eof: McpTool.optional(Schema.Boolean, "Close stdin after writing."),
    max_bytes: maxBytesArg,
    raw: rawArg
  }),
  output: Wire.WaitResult,
  annotations: { readOnlyHint: false, destructiveHint: true, openWorldHint: true },
  handler: (input) =>
    Effect.flatMap(JobManager, (jobs) =>
      jobs.interact(input.job_id, input.input, {
        until: input.until,
        timeout: input.timeout_ms === undefined ? undefined : Duration.millis(input.timeout_ms),
        eof: input.eof,
        maxBytes: input.max_bytes,
        raw: input.raw
      }))
})

const kill = McpTool.make({
  name: "kill",
  title: "Stop a job",
  description:
    "Stop a job and everything it started (SIGTERM, then SIGKILL after a grace period); for a job that listened, says when its ports are free.",
  input: Schema.Struct({
    job_id: JobIdArg,
    signal: McpTool.optional(Schema.String, "Send only this signal, once, e.g. SIGINT (Ctrl-C).")
  }),
  output: Wire.KillAnswer,
  annotations: { readOnlyHint: false, destructiveHint: true, idempotentHint: true, openWorldHint: false },
  handler: (input) =>
    Effect.gen(function*() {
      const jobs = yield* JobManager
      // The ports the job held before the kill are the ones to see freed.
      const held = yield* jobs.status(input.job_id).pipe(Effect.map((details) => details.ports), Effect.orElseSucceed(() => null))
      const status = yield* jobs.kill(input.job_id, { signal: input.signal })
      if (status !== "killed" || held === null || held.tcp.length + held.udp.length === 0) return { status }
      return { status, portsFree: yield* jobs.awaitPortsFree(held) }
    })
})

const wait = McpTool.make({
  name: "wait",
  title: "Wait for a job",
  description:
    "Wait until a job ends, a new line matches until, or timeout_s passes; returns status, reason, matched_line, new output and cursor. " +
    "job_ids: return when the first of several does (all: true, every one).",
  input: Schema.Struct({
    job_id: McpTool.optional(JobIdArg, "The job; or job_ids."),
    job_ids: McpTool.optional(
      Schema.Array(Schema.String).pipe(
        Schema.minItems(1),
        Schema.maxItems(64),
        Schema.filter((ids) => new Set(ids).size === ids.length || "expected distinct job ids", {
          title: "job ids (1-64, distinct)",
          jsonSchema: { uniqueItems: true }
        })
      ),
      "Several jobs: return when the first ends (or matches)."
    ),
    all: McpTool.optional(
      Schema.Boolean,
      "With job_ids: wait for every one."
    ),
    timeout_s: McpTool.optional(McpTool.numberBetween(0, 600, "seconds"), "Longest wait (default 30)."),
    until: untilArg,
    until_port: McpTool.optional(Schema.Union(Schema.Boolean, portArg), "Return once the job listens on this port (true: any)."),
    cursor: McpTool.optional(Schema.String, "Include output after this cursor (e.g. execute's); default: only new output."),
    max_bytes: maxBytesArg,
    raw: rawArg
  }),
  output: Wire.WaitAnswer,
  annotations: { readOnlyHint: true, openWorldHint: false },
  handler: (input, context) =>
    Effect.gen(function*() {
      const jobs = yield* JobManager
      const options = {
        timeout: Duration.millis((input.timeout_s ?? 30) * 1000),
        until: input.until,
        maxBytes: input.max_bytes,
        raw: input.raw
      }
      const target = yield* waitTarget(input)
      if (input.until_port !== undefined && target.ids !== undefined) {
        return yield* new InvalidArgument({ argument: "until_port", reason: "it waits for one job: pass job_id, not job_ids." })
      }
      const waiting: Effect.Effect<typeof Wire.WaitAnswer.Type, McpTool.ToolFailure> = target.ids === undefined ?
        jobs.wait(target.id, { ...options, cursor: input.cursor, untilPort: input.until_port }) :
        input.all === true ?
        jobs.waitAll(target.ids, options) :
        jobs.waitAny(target.ids, options)
      const what = target.ids === undefined ? `job ${target.id}` : `${target.ids.length} jobs`
      return yield* withProgress(waiting, context, (elapsed) => `waiting for ${what}: ${elapsed}s`)
    })
})

type WaitTarget = { readonly id: string; readonly ids?: undefined } | { readonly id?: undefined; readonly ids: ReadonlyArray<string> }

/** The job or jobs a wait names: exactly one of job_id and job_ids; all and cursor only where they apply. */
const waitTarget = (input: {
  readonly job_id?: string
  readonly job_ids?: ReadonlyArray<string>
  readonly all?: boolean
  readonly cursor?: string
}): Effect.Effect<WaitTarget, InvalidArgument> => {
  const fail = (argument: string, reason: string) => Effect.fail(new InvalidArgument({ argument, reason }))
  if (input.job_ids !== undefined) {
    if (input.job_id !== undefined) return fail("arguments", "pass job_id for one job or job_ids for several, not both.")
    if (input.cursor !== undefined) {
      return fail("cursor", "a cursor belongs to one job: use it with job_id. With job_ids, output that arrives after the call counts.")
    }
    return Effect.succeed({ ids: input.job_ids })
  }
  if (input.job_id === undefined) return fail("arguments", "pass job_id (the job to wait for) or job_ids (several jobs).")
  if (input.all === true) return fail("all", "all applies to job_ids; with one job_id, wait already waits for that job.")
  return Effect.succeed({ id: input.job_id })
}

const restart = McpTool.make({
  name: "restart",
  title: "Restart a job",
  description:
    "Stop a job if it runs, then start its command again with the same cwd, env and timeout; returns the new job_id.",
  input: Schema.Struct({ job_id: JobIdArg }),
  output: Wire.Restarted,
  annotations: { readOnlyHint: false, destructiveHint: true, openWorldHint: true },
  handler: (input, context) =>
    Effect.gen(function*() {
      const jobs = yield* JobManager
      const job = yield* jobs.restart(input.job_id)
      const base = {
        id: job.id,
        previousId: input.job_id,
        status: job.status,
        pid: job.pid,
        startedAt: job.startedAt,
        cursor: Wire.startCursor(job.id)
      }
      if (job.ready === null) return base
      // A job started with ready is waited for again, as execute did; its output stays for wait and output.
      const result = yield* withProgress(
        jobs.wait(job.id, { timeout: Duration.millis(DEFAULT_READY_WAIT_MS), fromStart: true, untilReady: true }),
        context,
        (elapsed) => `waiting for job ${job.id} to be ready: ${elapsed}s`
      )
      return { ...base, status: result.status, reason: result.reason, ...(yield* readiness(jobs, job.id, result)) }
    })
})

/**
 * Every job tool, in the order `tools/list` shows them.
 *
 * @since 0.1.0
 * @category tools
 */
export const jobTools: ReadonlyArray<McpTool.Any<JobManager>> = [
  execute,
  list,
  status,
  output,
  tail,
  interact,
  kill,
  wait,
  restart
]
