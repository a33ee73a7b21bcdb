/**
 * The job tools as MCP sees them: snake_case arguments and results (the seed's contract), descriptions
 * written for agents, and handlers that call the `JobManager`.
 *
 * @since 0.1.0
 */
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Schema from "effect/Schema"
import { InvalidArgument } from "../domain/errors.js"
import { StdinMode } from "../domain/JobStatus.js"
import type { JobSummary } from "../domain/JobViews.js"
import { MAX_RESULT_BUDGET } from "../internal/jobArguments.js"
import { JobManager } from "../JobManager.js"
import * as McpTool from "./McpTool.js"
import * as Wire from "./wire.js"

// ---- argument schemas ----

const JobIdArg = Schema.String.annotations({ description: "The job_id returned by execute (see list)." })
const cursorArg = McpTool.optional(
  Schema.String,
  "The cursor from a previous result for this job: only output after it is returned."
)
const rawArg = McpTool.optional(
  Schema.Boolean,
  "Keep ANSI escape sequences and carriage returns exactly as written (default false: stripped and collapsed)."
)
const maxBytesArg = McpTool.optional(
  McpTool.intBetween(1, MAX_RESULT_BUDGET, "bytes"),
  "Most bytes of output text in this result (default: the server's result size, 32 KiB unless configured)."
)
const untilArg = McpTool.optional(
  Schema.String,
  "An RE2 pattern (linear time; no backreferences or lookaround) searched in each new line of output (stdout or stderr), e.g. \"ready|listening on\"."
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

/** A command as `list` shows it: long ones shortened (status has the whole command). */
const LIST_COMMAND_LENGTH = 200

/** The newest jobs whose entries fit the result budget, commands shortened, and how many older ones were left out. */
const listWithin = (summaries: ReadonlyArray<JobSummary>, budget: number) => {
  const jobs: Array<JobSummary> = []
  let size = 0
  for (const summary of summaries) {
    const command = summary.command.length > LIST_COMMAND_LENGTH ? summary.command.slice(0, LIST_COMMAND_LENGTH - 1) + "…" : summary.command
    // An entry's JSON is its command plus about 200 bytes of id, status and times.
    size += Buffer.byteLength(command) + 200
    if (size > budget && jobs.length > 0) return { jobs, omittedJobs: summaries.length - jobs.length }
    jobs.push({ ...summary, command })
  }
  return { jobs }
}

// ---- tools ----

const execute = McpTool.make({
  name: "execute",
  title: "Start a background job",
  description:
    "Start a shell command as a background job and get its job_id and a cursor at once; it runs through /bin/sh -c, so pipes, && and $VARS work. " +
    "Pass wait_ms to get the status, exit code and output of a short command in the same call. " +
    "For long commands follow up with wait (with the cursor, and until for a line such as \"ready\"), not with repeated status calls.",
  input: Schema.Struct({
    command: Schema.String.annotations({ description: "The shell command, e.g. \"npm run dev\" or \"cd app && make test\"." }),
    cwd: McpTool.optional(Schema.String, "Working directory; relative paths start at the server's working directory."),
    env: McpTool.optional(
      Schema.Record({
        key: Schema.String,
        value: Schema.String.annotations({
          message: (issue) => `expected a string value, got ${JSON.stringify("actual" in issue ? issue.actual : undefined)}: quote numbers and booleans, e.g. "3000"`
        })
      }).annotations({ message: () => "expected an object of variable names to string values, e.g. {\"PORT\": \"3000\"}" }),
      "Environment variables to add to the inherited environment, e.g. {\"PORT\": \"3001\"}."
    ),
    timeout_s: McpTool.optional(
      McpTool.numberBetween(0.001, 7 * 24 * 3600, "seconds"),
      "Time limit in seconds; the job is stopped and ends as timed_out. Default: the server's MCP_BG_JOB_TIMEOUT."
    ),
    wait_ms: McpTool.optional(
      McpTool.intBetween(0, 60_000, "milliseconds"),
      "Wait up to this many milliseconds (max 60000) for the job to end and return its status and output with the id."
    ),
    stdin: McpTool.optional(
      StdinMode.annotations({
        message: (issue) => ({
          message: `expected "pipe" or "null", got ${JSON.stringify("actual" in issue ? issue.actual : undefined)}`,
          override: true
        })
      }),
      "pipe (default) keeps stdin open for interact; null gives end-of-file, so a program that asks a question does not hang."
    ),
    max_bytes: maxBytesArg
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
        stdin: input.stdin
      })
      const base = { id: job.id, status: job.status, pid: job.pid, startedAt: job.startedAt, cursor: Wire.startCursor(job.id) }
      if (input.wait_ms === undefined) return base
      const result = yield* withProgress(
        jobs.wait(job.id, { timeout: Duration.millis(input.wait_ms), fromStart: true, maxBytes: input.max_bytes }),
        context,
        (elapsed) => `waiting for job ${job.id} to end: ${elapsed}s`
      )
      return {
        ...base,
        status: result.status,
        exitCode: result.exitCode,
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
    "List every job, running or recently finished, newest first, with its status and exit code. " +
    "Use it to find a job_id; finished jobs are removed after the cleanup interval.",
  input: Schema.Struct({}),
  output: Wire.JobList,
  annotations: { readOnlyHint: true, openWorldHint: false },
  handler: () => Effect.flatMap(JobManager, (jobs) => Effect.map(jobs.list, (summaries) => listWithin(summaries, jobs.maxResultSize)))
})

const status = McpTool.make({
  name: "status",
  title: "Job status",
  description:
    "Get one job's status (running, completed, failed, killed, timed_out), exit code or signal, pid, times and output byte counts. " +
    "To wait for a job to finish or to print something, call wait instead of polling this.",
  input: Schema.Struct({ job_id: JobIdArg }),
  output: Wire.JobDetails,
  annotations: { readOnlyHint: true, openWorldHint: false },
  handler: (input) => Effect.flatMap(JobManager, (jobs) => jobs.status(input.job_id))
})

const output = McpTool.make({
  name: "output",
  title: "Read job output",
  description:
    "Read a job's captured stdout and stderr. Pass the cursor from the previous result to get only new output, never the same byte twice; " +
    "filter keeps matching lines and max_bytes keeps the newest text. ANSI escapes are stripped and progress bars collapsed unless raw is true.",
  input: Schema.Struct({
    job_id: JobIdArg,
    cursor: cursorArg,
    filter: McpTool.optional(
      Schema.String,
      "An RE2 pattern (linear time; no backreferences or lookaround): only lines matching it are returned, e.g. \"(?i)error|fail\"."
    ),
    context: McpTool.optional(McpTool.intBetween(0, 100, "lines"), "Lines shown before and after each filter match, as grep -C."),
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
    "Get the last lines (default 50) of a job's stdout and stderr, and a cursor to read on from. " +
    "It is the quickest look at what a job is doing or why it failed; to read everything exactly once, use output with a cursor.",
  input: Schema.Struct({
    job_id: JobIdArg,
    lines: McpTool.optional(McpTool.intBetween(1, 1000, "lines"), "How many lines of each stream, 1 to 1000 (default 50)."),
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
    "Write input to a running job's stdin (a newline is added if missing) and return only the output that arrived after the write, with the reason it returned. " +
    "It returns as soon as until matches, the job exits or timeout_ms passes, or, without until, once the job has been quiet for half a second. " +
    "Use it for REPLs, prompts and programs that read stdin; eof: true closes stdin after writing (to finish cat, sort, ...).",
  input: Schema.Struct({
    job_id: JobIdArg,
    input: Schema.String.annotations({ description: "Text to write, e.g. \"print(1+1)\" or \"y\"; a newline is added if it lacks one." }),
    until: McpTool.optional(
      Schema.String,
      "An RE2 pattern (linear time; no backreferences or lookaround): return as soon as a line of the reply matches it, e.g. \"^>>> \" for a Python prompt. " +
        "Without it the call returns once the job has been quiet for 500 ms."
    ),
    timeout_ms: McpTool.optional(
      McpTool.intBetween(1, 600_000, "milliseconds"),
      "Longest wait for the reply in milliseconds, 1 to 600000 (default 5000)."
    ),
    eof: McpTool.optional(Schema.Boolean, "Close stdin after writing (end-of-file), e.g. to let cat or sort finish."),
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
    "Stop a job and every process it started: SIGTERM to its process group, SIGKILL after the grace period; answers at once. " +
    "Pass signal (e.g. SIGINT, like Ctrl-C) to send only that signal, once. Unknown ids give not_found, ended jobs already_terminated.",
  input: Schema.Struct({
    job_id: JobIdArg,
    signal: McpTool.optional(
      Schema.String,
      "Send just this signal, once, without escalation: SIGINT (Ctrl-C), SIGQUIT, SIGTERM and SIGKILL go to the whole job like a terminal's; SIGHUP, SIGUSR1 and others go to the programs the shell started, so the shell does not die of them."
    )
  }),
  output: Wire.KillAnswer,
  annotations: { readOnlyHint: false, destructiveHint: true, idempotentHint: true, openWorldHint: false },
  handler: (input) =>
    Effect.flatMap(JobManager, (jobs) => jobs.kill(input.job_id, { signal: input.signal })).pipe(
      Effect.map((result) => ({ status: result }))
    )
})

const wait = McpTool.make({
  name: "wait",
  title: "Wait for a job",
  description:
    "Wait until a job ends, a line of its new output matches until, or timeout_s passes; returns the status, the reason " +
    "(exited, matched or timeout), the matching line, the new output and the next cursor. " +
    "Prefer this over polling status or sleeping: e.g. until \"ready\" for a dev server (pass the cursor from execute so an early line counts), " +
    "or no until for a test run to finish. " +
    "Pass job_ids instead of job_id to wait for several jobs: it returns when the first ends, naming it in job_id; with all: true when every one has.",
  input: Schema.Struct({
    job_id: McpTool.optional(JobIdArg, "The job_id returned by execute (see list); or pass job_ids."),
    job_ids: McpTool.optional(
      Schema.Array(Schema.String).pipe(
        Schema.minItems(1),
        Schema.maxItems(64),
        Schema.filter((ids) => new Set(ids).size === ids.length || "expected distinct job ids", {
          title: "job ids (1-64, distinct)",
          jsonSchema: { uniqueItems: true }
        })
      ),
      "1 to 64 distinct job ids to wait on together, instead of job_id."
    ),
    all: McpTool.optional(
      Schema.Boolean,
      "With job_ids: wait until every job has ended (or matched until); jobs then gives each one's status and reason."
    ),
    timeout_s: McpTool.optional(McpTool.numberBetween(0, 600, "seconds"), "Longest wait in seconds, 0 to 600 (default 30)."),
    until: untilArg,
    cursor: McpTool.optional(
      Schema.String,
      "Look for until in, and return, output after this cursor (e.g. the one from execute, to include what the job already printed); " +
        "default: only output that arrives after the call."
    ),
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
      const waiting: Effect.Effect<typeof Wire.WaitAnswer.Type, McpTool.ToolFailure> = target.ids === undefined ?
        jobs.wait(target.id, { ...options, cursor: input.cursor }) :
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
    "Start a job again with the same command, cwd, env and timeout, after stopping it and all its processes if it still runs. " +
    "Returns the new job_id; the old job stays readable until cleanup.",
  input: Schema.Struct({ job_id: JobIdArg }),
  output: Wire.Restarted,
  annotations: { readOnlyHint: false, destructiveHint: true, openWorldHint: true },
  handler: (input) =>
    Effect.flatMap(JobManager, (jobs) => jobs.restart(input.job_id)).pipe(
      Effect.map((job) => ({
        id: job.id,
        previousId: input.job_id,
        status: job.status,
        pid: job.pid,
        startedAt: job.startedAt,
        cursor: Wire.startCursor(job.id)
      }))
    )
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
