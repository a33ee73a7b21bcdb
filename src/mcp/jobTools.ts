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
import type { JobDetails, JobSummary, OutputView, WaitResult } from "../domain/JobInfo.js"
import { jobStatuses } from "../domain/JobInfo.js"
import { cursorFor } from "../internal/Job.js"
import { JobManager } from "../JobManager.js"
import * as McpTool from "./McpTool.js"

const iso = (date: Date | null) => (date === null ? null : date.toISOString())

/** The cursor before a job's first byte: waiting or reading from it misses nothing the job printed. */
const startCursor = (jobId: string) => cursorFor(jobId, { stdout: 0, stderr: 0 })

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
  McpTool.intBetween(1, 100 * 1024 * 1024, "bytes"),
  "Return at most this many bytes of text; the newest is kept and omitted_bytes says how much was left out."
)
const untilArg = McpTool.optional(
  Schema.String,
  "A JavaScript regular expression searched in each new line of output (stdout or stderr), e.g. \"ready|listening on\"."
)

// ---- result schemas ----

const Status = Schema.Literal(...jobStatuses).annotations({
  description:
    "running; completed (exit 0); failed (non-zero exit, or a signal the server did not send); killed (by kill, a signal sent with kill, or shutdown); timed_out."
})
const Nullable = <S extends Schema.Schema.AnyNoContext>(schema: S) => Schema.NullOr(schema)

const OutputFields = {
  stdout: Schema.String,
  stderr: Schema.String,
  cursor: Schema.String.annotations({ description: "Pass back as cursor to read only what comes after." }),
  truncated: Schema.Boolean.annotations({ description: "True when bytes were dropped by the output cap or omitted by max_bytes." }),
  dropped_stdout_bytes: Schema.Number.annotations({
    description: "Bytes of stdout after the given cursor that the output cap dropped before they could be read."
  }),
  dropped_stderr_bytes: Schema.Number.annotations({
    description: "Bytes of stderr after the given cursor that the output cap dropped before they could be read."
  }),
  omitted_bytes: Schema.Number.annotations({ description: "Bytes of text left out to honour max_bytes (the oldest)." })
}

const outputFields = (view: OutputView) => ({
  stdout: view.stdout,
  stderr: view.stderr,
  cursor: view.cursor,
  truncated: view.droppedStdoutBytes > 0 || view.droppedStderrBytes > 0 || view.omittedBytes > 0,
  dropped_stdout_bytes: view.droppedStdoutBytes,
  dropped_stderr_bytes: view.droppedStderrBytes,
  omitted_bytes: view.omittedBytes
})

const WaitFields = {
  status: Status,
  exit_code: Nullable(Schema.Number),
  reason: Schema.Literal("exited", "matched", "timeout", "idle").annotations({
    description: "exited: the job ended; matched: until matched (see matched_line); timeout: the bound passed; idle: the job went quiet."
  }),
  matched_line: Nullable(Schema.String).annotations({ description: "The line that matched until, or null." }),
  ...OutputFields
}

const waitFields = (result: WaitResult) => ({
  status: result.status,
  exit_code: result.exitCode,
  reason: result.reason,
  matched_line: Option.getOrNull(result.matchedLine),
  ...outputFields(result)
})

const SummaryFields = {
  job_id: Schema.String,
  status: Status,
  command: Schema.String,
  started: Schema.String,
  ended: Nullable(Schema.String),
  exit_code: Nullable(Schema.Number)
}

const summaryFields = (job: JobSummary) => ({
  job_id: job.id,
  status: job.status,
  command: job.command,
  started: job.startedAt.toISOString(),
  ended: iso(job.endedAt),
  exit_code: job.exitCode
})

const statusFields = (job: JobDetails) => ({
  ...summaryFields(job),
  signal: job.signal,
  pid: job.pid,
  cwd: job.cwd,
  duration_ms: job.durationMs,
  timeout_s: job.timeoutMs === null ? null : job.timeoutMs / 1000,
  stdin: job.stdin,
  stdin_open: job.stdinOpen,
  stdout_bytes: job.stdoutBytes,
  stderr_bytes: job.stderrBytes,
  dropped_stdout_bytes: job.droppedStdoutBytes,
  dropped_stderr_bytes: job.droppedStderrBytes,
  retained_bytes: job.retainedBytes
})

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
      Schema.Literal("pipe", "null").annotations({
        message: (issue) => ({
          message: `expected "pipe" or "null", got ${JSON.stringify("actual" in issue ? issue.actual : undefined)}`,
          override: true
        })
      }),
      "pipe (default) keeps stdin open for interact; null gives end-of-file, so a program that asks a question does not hang."
    )
  }),
  output: Schema.Struct({
    job_id: Schema.String,
    status: Status,
    pid: Schema.Number,
    started: Schema.String,
    cursor: Schema.String.annotations({
      description: "Pass to wait or output to read on from here: without wait_ms the start of the job's output, with wait_ms the end of what this result returned."
    }),
    exit_code: Schema.optional(Nullable(Schema.Number)),
    stdout: Schema.optional(Schema.String),
    stderr: Schema.optional(Schema.String),
    truncated: Schema.optional(Schema.Boolean)
  }),
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
      const base = {
        job_id: job.id,
        status: job.status,
        pid: job.pid,
        started: job.startedAt.toISOString(),
        cursor: startCursor(job.id)
      }
      if (input.wait_ms === undefined) return base
      const result = yield* withProgress(
        jobs.wait(job.id, { timeout: Duration.millis(input.wait_ms), fromStart: true }),
        context,
        (elapsed) => `waiting for job ${job.id} to end: ${elapsed}s`
      )
      return {
        ...base,
        status: result.status,
        exit_code: result.exitCode,
        stdout: result.stdout,
        stderr: result.stderr,
        cursor: result.cursor,
        truncated: result.droppedStdoutBytes + result.droppedStderrBytes + result.omittedBytes > 0
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
  output: Schema.Struct({ jobs: Schema.Array(Schema.Struct(SummaryFields)) }),
  annotations: { readOnlyHint: true, openWorldHint: false },
  handler: () => Effect.map(Effect.flatMap(JobManager, (jobs) => jobs.list), (all) => ({ jobs: all.map(summaryFields) }))
})

const status = McpTool.make({
  name: "status",
  title: "Job status",
  description:
    "Get one job's status (running, completed, failed, killed, timed_out), exit code or signal, pid, times and output byte counts. " +
    "To wait for a job to finish or to print something, call wait instead of polling this.",
  input: Schema.Struct({ job_id: JobIdArg }),
  output: Schema.Struct({
    ...SummaryFields,
    signal: Nullable(Schema.String),
    pid: Schema.Number,
    cwd: Schema.String,
    duration_ms: Schema.Number,
    timeout_s: Nullable(Schema.Number),
    stdin: Schema.Literal("pipe", "null"),
    stdin_open: Schema.Boolean,
    stdout_bytes: Schema.Number,
    stderr_bytes: Schema.Number,
    dropped_stdout_bytes: Schema.Number,
    dropped_stderr_bytes: Schema.Number,
    retained_bytes: Schema.Number
  }),
  annotations: { readOnlyHint: true, openWorldHint: false },
  handler: (input) => Effect.map(Effect.flatMap(JobManager, (jobs) => jobs.status(input.job_id)), statusFields)
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
      "A JavaScript regular expression: only lines matching it are returned, e.g. \"error|FAIL\"."
    ),
    max_bytes: maxBytesArg,
    raw: rawArg
  }),
  output: Schema.Struct(OutputFields),
  annotations: { readOnlyHint: true, openWorldHint: false },
  handler: (input) =>
    Effect.flatMap(JobManager, (jobs) =>
      jobs.output(input.job_id, { cursor: input.cursor, filter: input.filter, maxBytes: input.max_bytes, raw: input.raw })).pipe(
        Effect.map(outputFields)
      )
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
    raw: rawArg
  }),
  output: Schema.Struct({ stdout: Schema.String, stderr: Schema.String, cursor: Schema.String }),
  annotations: { readOnlyHint: true, openWorldHint: false },
  handler: (input) => Effect.flatMap(JobManager, (jobs) => jobs.tail(input.job_id, input.lines ?? 50, { raw: input.raw }))
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
      "A JavaScript regular expression: return as soon as a line of the reply matches it, e.g. \"^>>> \" for a Python prompt. " +
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
  output: Schema.Struct(WaitFields),
  annotations: { readOnlyHint: false, destructiveHint: true, openWorldHint: true },
  handler: (input) =>
    Effect.flatMap(JobManager, (jobs) =>
      jobs.interact(input.job_id, input.input, {
        until: input.until,
        timeout: input.timeout_ms === undefined ? undefined : Duration.millis(input.timeout_ms),
        eof: input.eof,
        maxBytes: input.max_bytes,
        raw: input.raw
      })).pipe(Effect.map(waitFields))
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
      "Send just this signal, once, without escalation: SIGINT (Ctrl-C), SIGQUIT and SIGTERM go to the whole job like a terminal's; SIGHUP, SIGUSR1 and others go to the programs the shell started, so the shell does not die of them."
    )
  }),
  output: Schema.Struct({
    status: Schema.Literal("killed", "signalled", "already_terminated", "not_found")
  }),
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
    "or no until for a test run to finish.",
  input: Schema.Struct({
    job_id: JobIdArg,
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
  output: Schema.Struct(WaitFields),
  annotations: { readOnlyHint: true, openWorldHint: false },
  handler: (input, context) =>
    Effect.flatMap(JobManager, (jobs) =>
      withProgress(
        jobs.wait(input.job_id, {
          timeout: Duration.millis((input.timeout_s ?? 30) * 1000),
          until: input.until,
          cursor: input.cursor,
          maxBytes: input.max_bytes,
          raw: input.raw
        }),
        context,
        (elapsed) => `waiting for job ${input.job_id}: ${elapsed}s`
      )).pipe(Effect.map(waitFields))
})

const restart = McpTool.make({
  name: "restart",
  title: "Restart a job",
  description:
    "Start a job again with the same command, cwd, env and timeout, after stopping it and all its processes if it still runs. " +
    "Returns the new job_id; the old job stays readable until cleanup.",
  input: Schema.Struct({ job_id: JobIdArg }),
  output: Schema.Struct({
    job_id: Schema.String,
    previous_job_id: Schema.String,
    status: Status,
    pid: Schema.Number,
    started: Schema.String,
    cursor: Schema.String.annotations({
      description: "The start of the new job's output: pass it to wait (e.g. with until \"ready\") so nothing it printed is missed."
    })
  }),
  annotations: { readOnlyHint: false, destructiveHint: true, openWorldHint: true },
  handler: (input) =>
    Effect.flatMap(JobManager, (jobs) => jobs.restart(input.job_id)).pipe(
      Effect.map((job) => ({
        job_id: job.id,
        previous_job_id: input.job_id,
        status: job.status,
        pid: job.pid,
        started: job.startedAt.toISOString(),
        cursor: startCursor(job.id)
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
