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
import { RestartMode, StdinMode } from "../domain/JobStatus.js"
import type { WaitResult } from "../domain/JobViews.js"
import { MAX_RESULT_BUDGET } from "../internal/jobArguments.js"
import { MAX_RESTARTS_LIMIT } from "../internal/RestartPolicy.js"
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
    max_bytes: maxBytesArg,
    ready: McpTool.optional(
      Schema.Union(Schema.String, Schema.Struct({ port: Schema.Union(portArg, Schema.Literal("any")) })),
      "Return once ready: an RE2 pattern for a line of output, or {\"port\": N} or {\"port\": \"any\"} once it listens; waits up to wait_ms (default 60000)."
    ),
    restart: McpTool.optional(
      RestartMode,
      "Run the command again when it exits: on-failure or always (never after kill), same job_id, back-off 1 s doubling to 60 s."
    ),
    max_restarts: McpTool.optional(
      McpTool.intBetween(0, MAX_RESTARTS_LIMIT, "restarts"),
      "Consecutive restarts before the job ends with its last exit (default 5)."
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
    "List every job, running or recently finished, newest first, with its status and exit code. " +
    "Use it to find a job_id; finished jobs are removed after the cleanup interval.",
  input: Schema.Struct({}),
  output: Wire.JobList,
  annotations: { readOnlyHint: true, openWorldHint: false },
  handler: () => Effect.map(Effect.flatMap(JobManager, (jobs) => jobs.list), (jobs) => ({ jobs }))
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
    "Wait until a job ends, a line of its new output matches until, or timeout_s passes; returns the status, the reason " +
    "(exited, matched or timeout), the matching line, the new output and the next cursor. " +
    "Prefer this over polling status or sleeping: e.g. until \"ready\" for a dev server (pass the cursor from execute so an early line counts), " +
    "or no until for a test run to finish.",
  input: Schema.Struct({
    job_id: JobIdArg,
    timeout_s: McpTool.optional(McpTool.numberBetween(0, 600, "seconds"), "Longest wait in seconds, 0 to 600 (default 30)."),
    until: untilArg,
    until_port: McpTool.optional(
      Schema.Union(Schema.Boolean, portArg),
      "Return once the job listens on this port, or on any port with true."
    ),
    cursor: McpTool.optional(
      Schema.String,
      "Look for until in, and return, output after this cursor (e.g. the one from execute, to include what the job already printed); " +
        "default: only output that arrives after the call."
    ),
    max_bytes: maxBytesArg,
    raw: rawArg
  }),
  output: Wire.WaitResult,
  annotations: { readOnlyHint: true, openWorldHint: false },
  handler: (input, context) =>
    Effect.flatMap(JobManager, (jobs) =>
      withProgress(
        jobs.wait(input.job_id, {
          timeout: Duration.millis((input.timeout_s ?? 30) * 1000),
          until: input.until,
          untilPort: input.until_port,
          cursor: input.cursor,
          maxBytes: input.max_bytes,
          raw: input.raw
        }),
        context,
        (elapsed) => `waiting for job ${input.job_id}: ${elapsed}s`
      ))
})

const restart = McpTool.make({
  name: "restart",
  title: "Restart a job",
  description:
    "Start a job again with the same command, cwd, env and timeout, after stopping it and all its processes if it still runs. " +
    "Returns the new job_id; the old job stays readable until cleanup.",
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
