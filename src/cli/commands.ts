/**
 * The client commands: each turns its command line into tool calls on a running server and prints the
 * answer for people (tables, plain text) or, with `--json`, as the server's JSON.
 *
 * @since 0.1.0
 */
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Option from "effect/Option"
import * as Schema from "effect/Schema"
import * as os from "node:os"
import { compileLinePattern } from "../internal/LinePattern.js"
import * as Wire from "../mcp/wire.js"
import { type ParsedCommand, readyArgument } from "./args.js"
import { ClientError, type Connection, ExitCode } from "./connection.js"
import { ago, bytes, duration, fields, localTime, ports as portsText, shortId, table } from "./format.js"

// ---- answers of the tools: the wire schemas the tools answer with, decoded to domain values ----

type JobDetails = typeof Wire.JobDetails.Type
type OutputView = typeof Wire.OutputView.Type

// ---- output ----

/** Writes and waits until the text is handed to the OS, so nothing is lost when the process exits. */
const write = (stream: NodeJS.WriteStream, text: string): Effect.Effect<void, ClientError> =>
  text === "" ?
    Effect.void :
    Effect.async<void, ClientError>((resume) => {
      stream.write(text, (error) => {
        // A reader that went away (`| head`) ends the command quietly.
        resume(error === undefined || error === null ? Effect.void : Effect.fail(new ClientError({ text: "", code: ExitCode.ok })))
      })
    })

const out = (text: string) => write(process.stdout, text)
const err = (text: string) => write(process.stderr, text)
const line = (text: string) => out(text.endsWith("\n") || text === "" ? text : text + "\n")
const json = (value: unknown) => out(JSON.stringify(value, null, 2) + "\n")
/** A decoded answer printed as the server's JSON, fields this client does not know included. */
const jsonOf = <A, I>(schema: Schema.Schema<A, I>, value: A, extra: Record<string, unknown> = {}) =>
  Schema.encode(schema, { onExcessProperty: "preserve" })(value).pipe(Effect.orDie, Effect.flatMap((encoded) => json({ ...encoded, ...extra })))

/** Which of a job's streams to print: both (each on its own), or one of them on stdout. */
type Streams = "both" | "stdout" | "stderr"

const printStreams = (view: { readonly stdout: string; readonly stderr: string }, streams: Streams) =>
  streams === "stderr" ?
    out(view.stderr) :
    Effect.zipRight(out(view.stdout), streams === "both" ? err(view.stderr) : Effect.void)

const reportDropped = (view: Pick<OutputView, "droppedStdoutBytes" | "droppedStderrBytes">) => {
  const dropped = view.droppedStdoutBytes + view.droppedStderrBytes
  return dropped > 0 ?
    err(`[mcp-background-job: ${bytes(dropped)} of output were dropped by the server's output cap before they could be read]\n`) :
    Effect.void
}

// ---- options ----

const flag = (command: ParsedCommand, name: string) => command.options.has(name)
const option = (command: ParsedCommand, name: string) => command.options.get(name)?.[0]

const usage = (text: string) => new ClientError({ text, code: ExitCode.usage })

const positiveSeconds = (command: ParsedCommand, name: string, max: number) =>
  Effect.suspend(() => {
    const raw = option(command, name)
    if (raw === undefined) return Effect.succeed(undefined)
    const value = Number(raw)
    return /^\d+(\.\d+)?$/.test(raw) && value > 0 && value <= max ?
      Effect.succeed(value) :
      Effect.fail(usage(`${command.spec.name}: --${name} must be a number of seconds from more than 0 to ${max}, got ${JSON.stringify(raw)}`))
  })

const streamsOf = (command: ParsedCommand): Effect.Effect<Streams, ClientError> =>
  flag(command, "stdout") && flag(command, "stderr") ?
    Effect.fail(usage(`${command.spec.name}: pass --stdout or --stderr, not both (neither prints both streams)`)) :
    Effect.succeed(flag(command, "stderr") ? "stderr" : flag(command, "stdout") ? "stdout" : "both")

/** Checks `--until` as the server will compile it (RE2 syntax), before any call. */
const compile = (pattern: string) => Either.mapLeft(compileLinePattern("--until", pattern), (error) => usage(error.message))

// ---- jobs ----

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i

/** A full id, or the one job whose id starts with the given prefix. */
const resolveId = (conn: Connection, given: string): Effect.Effect<string, ClientError> =>
  UUID.test(given) ?
    Effect.succeed(given.toLowerCase()) :
    Effect.flatMap(conn.call("list", {}, Wire.JobList), ({ jobs }) => {
      const matches = jobs.filter((job) => job.id.startsWith(given.toLowerCase()))
      if (matches.length === 1) return Effect.succeed(matches[0]!.id)
      return Effect.fail(
        new ClientError({
          text: matches.length === 0 ?
            `no job matches ${JSON.stringify(given)}: run mcp-background-job ls to see the jobs` :
            `${JSON.stringify(given)} matches ${matches.length} jobs (${matches.map((j) => shortId(j.id)).join(", ")}): give more of the id`,
          code: ExitCode.refused
        })
      )
    })

/** The exit code that stands for an ended job: its own, or 128 + the number of the signal that ended it. */
const jobExitCode = (job: JobDetails): number => {
  if (job.exitCode !== null) return job.exitCode
  const number = job.signal === null ? undefined : os.constants.signals[job.signal as keyof typeof os.constants.signals]
  if (number !== undefined) return 128 + number
  return job.status === "completed" ? 0 : 1
}

const describeEnd = (job: JobDetails): string => {
  const how = job.exitCode !== null ? `exit code ${job.exitCode}` : job.signal !== null ? `signal ${job.signal}` : "no exit code"
  return `job ${job.id} ${job.status} (${how}) after ${duration(job.durationMs)}`
}

const POLL = Duration.millis(200)
/** How long the client waits for a stopped job's processes to finish dying before it reports anyway. */
const END_BOUND = 60_000

/** Prints every page after `cursor` (each byte once); returns the cursor after the last. */
const printPages = Effect.fnUntraced(function*(conn: Connection, id: string, cursor: string, print: (view: OutputView) => Effect.Effect<void, ClientError>, raw: boolean) {
  let position = cursor
  while (true) {
    const page = yield* conn.call("output", { job_id: id, cursor: position, raw }, Wire.OutputView)
    yield* print(page)
    position = page.cursor
    if (page.remainingBytes === 0) return position
  }
})

/**
 * Reads what is left once the job's status is final: a killed job's processes may still be writing
 * while they die. Returns the final status and the cursor after the last byte.
 */
const drainUntilEnded = Effect.fnUntraced(function*(conn: Connection, id: string, cursor: string, print: (view: OutputView) => Effect.Effect<void, ClientError>, raw: boolean) {
  const deadline = Date.now() + END_BOUND
  let position = cursor
  while (true) {
    // Status first: once it says ended, the output read next is complete.
    const details = yield* conn.call("status", { job_id: id }, Wire.JobDetails)
    position = yield* printPages(conn, id, position, print, raw)
    if (details.endedAt !== null || Date.now() >= deadline) return details
    yield* Effect.sleep(POLL)
  }
})

/** Seconds each `wait` call of a follow may last; the loop goes on after each. */
const FOLLOW_SLICE = 30
/** Headroom over a tool's own bound before the request itself times out. */
const REQUEST_HEADROOM_MS = 30_000

/**
 * Prints a job's output from the start, then new output as it arrives, until the job has ended. Output is
 * read in pages with a cursor (no byte twice, none left out); a `wait` that returns on any new text (and
 * carries almost none itself) says when to read again.
 */
const follow = Effect.fnUntraced(function*(conn: Connection, id: string, streams: Streams, raw: boolean, asJson: boolean) {
  const print = (view: OutputView) =>
    Effect.zipRight(
      reportDropped(view),
      asJson ?
        (view.stdout === "" && view.stderr === "" ? Effect.void : out(JSON.stringify({ stdout: view.stdout, stderr: view.stderr }) + "\n")) :
        printStreams(view, streams)
    )
  let cursor = yield* printPages(conn, id, Wire.startCursor(id), print, raw)
  while (true) {
    const next = yield* conn.call(
      "wait",
      { job_id: id, cursor, until: "", timeout_s: FOLLOW_SLICE, raw, max_bytes: 1 },
      Wire.WaitResult,
      FOLLOW_SLICE * 1000 + REQUEST_HEADROOM_MS
    )
    const before = cursor
    cursor = yield* printPages(conn, id, cursor, print, raw)
    if (next.status !== "running") break
    // An incomplete character is held back by the server but still matches: do not spin on it.
    if (cursor === before) yield* Effect.sleep(POLL)
  }
  return yield* drainUntilEnded(conn, id, cursor, print, raw)
})

// ---- commands ----

const run = Effect.fnUntraced(function*(conn: Connection, command: ParsedCommand) {
  const env: Record<string, string> = {}
  for (const pair of command.options.get("env") ?? []) {
    const eq = pair.indexOf("=")
    if (eq <= 0) return yield* usage(`run: --env needs NAME=VALUE, got ${JSON.stringify(pair)}`)
    env[pair.slice(0, eq)] = pair.slice(eq + 1)
  }
  const timeout = yield* positiveSeconds(command, "timeout", 7 * 24 * 3600)
  const ready = option(command, "ready") === undefined ? undefined : readyArgument(option(command, "ready")!)
  if (typeof ready === "string") yield* compile(ready).pipe(Either.mapLeft((error) => usage(error.text.replace("--until", "--ready"))))
  const restart = option(command, "restart")
  if (restart !== undefined && restart !== "no" && restart !== "on-failure" && restart !== "always") {
    return yield* usage(`run: --restart must be no, on-failure or always, got ${JSON.stringify(restart)}`)
  }
  const maxRestarts = option(command, "max-restarts")
  if (maxRestarts !== undefined && !/^\d{1,4}$/.test(maxRestarts)) {
    return yield* usage(`run: --max-restarts must be a whole number from 0 to 1000, got ${JSON.stringify(maxRestarts)}`)
  }
  const started = yield* conn.call(
    "execute",
    {
      command: command.operands.get("command")!,
      ...(option(command, "cwd") === undefined ? {} : { cwd: option(command, "cwd") }),
      ...(Object.keys(env).length === 0 ? {} : { env }),
      ...(timeout === undefined ? {} : { timeout_s: timeout }),
      ...(flag(command, "no-stdin") ? { stdin: "null" } : {}),
      ...(ready === undefined ? {} : { ready }),
      ...(restart === undefined ? {} : { restart }),
      ...(maxRestarts === undefined ? {} : { max_restarts: Number(maxRestarts) })
    },
    Wire.Started
  )
  yield* flag(command, "json") ? jsonOf(Wire.Started, started) : line(started.id)
  if (ready !== undefined && !flag(command, "json")) {
    if (started.reason === "exited") {
      const code = started.exitCode ?? null
      yield* err(`not ready: the job ended (${started.status}, exit code ${code ?? "-"})\n`)
      return code === null || code === 0 ? ExitCode.refused : code
    }
    if (started.reason === "timeout") {
      yield* err("not ready after 60 s: the job still runs\n")
      return ExitCode.timeout
    }
    const urls = started.ports?.tcp.map((port) => port.url ?? port.address) ?? []
    yield* err(`ready${urls.length > 0 ? `: ${[...new Set(urls)].join(" ")}` : ""}\n`)
  }
  if (!flag(command, "follow")) return ExitCode.ok
  const ended = yield* follow(conn, started.id, "both", false, flag(command, "json"))
  return jobExitCode(ended)
})

const ls = Effect.fnUntraced(function*(conn: Connection, command: ParsedCommand) {
  const answer = yield* conn.call("list", {}, Wire.JobList)
  if (flag(command, "json")) return yield* jsonOf(Wire.JobList, answer).pipe(Effect.as(ExitCode.ok))
  if (answer.jobs.length === 0) return yield* err("no jobs\n").pipe(Effect.as(ExitCode.ok))
  const now = Date.now()
  const rows = answer.jobs.map((job) => [
    shortId(job.id),
    job.status,
    job.exitCode === null ? "-" : String(job.exitCode),
    ago(job.startedAt, now),
    duration((job.endedAt?.getTime() ?? now) - job.startedAt.getTime()),
    portsText(job.ports),
    job.command.replace(/\s+/g, " ")
  ])
  const width = process.stdout.isTTY ? process.stdout.columns : undefined
  yield* line(table(["ID", "STATUS", "EXIT", "STARTED", "DURATION", "PORTS", "COMMAND"], rows, width))
  return ExitCode.ok
})

const status = Effect.fnUntraced(function*(conn: Connection, command: ParsedCommand) {
  const id = yield* resolveId(conn, command.operands.get("id")!)
  const job = yield* conn.call("status", { job_id: id }, Wire.JobDetails)
  if (flag(command, "json")) return yield* jsonOf(Wire.JobDetails, job).pipe(Effect.as(ExitCode.ok))
  const dropped = job.droppedStdoutBytes + job.droppedStderrBytes
  yield* line(fields([
    ["job", job.id],
    ["status", job.status],
    ["command", job.command],
    ["pid", String(job.pid)],
    ["cwd", job.cwd],
    ["started", localTime(job.startedAt)],
    ["ended", job.endedAt === null ? "-" : localTime(job.endedAt)],
    ["duration", duration(job.durationMs)],
    ["exit code", job.exitCode === null ? "-" : String(job.exitCode)],
    ["signal", job.signal ?? "-"],
    ["timeout", job.timeoutMs === null ? "none" : `${job.timeoutMs / 1000}s`],
    ["stdin", job.stdinOpen ? "open" : "closed"],
    ["ports", job.ports === null ? "unknown here" : [...job.ports.tcp.map((port) => port.url ?? port.address), ...job.ports.udp.map((port) => `${port.address}/udp`)].join(" ") || "-"],
    ...(job.restartPolicy === "no" ? [] : [["restarts", `${job.restarts} (${job.restartPolicy}; earlier exits: ${job.runs.map((run) => run.exitCode ?? run.signal).join(", ") || "-"})`] as const]),
    ["output", `${bytes(job.stdoutBytes)} stdout, ${bytes(job.stderrBytes)} stderr${dropped > 0 ? `, ${bytes(dropped)} dropped` : ""}`]
  ]))
  return ExitCode.ok
})

const logs = Effect.fnUntraced(function*(conn: Connection, command: ParsedCommand) {
  const id = yield* resolveId(conn, command.operands.get("id")!)
  const streams = yield* streamsOf(command)
  const raw = flag(command, "raw")
  if (flag(command, "follow")) {
    yield* follow(conn, id, streams, raw, flag(command, "json"))
    return ExitCode.ok
  }
  if (flag(command, "json")) {
    const view = yield* conn.call("output", { job_id: id, raw }, Wire.OutputView)
    return yield* jsonOf(Wire.OutputView, view).pipe(Effect.as(ExitCode.ok))
  }
  // Every retained byte, page by page: the CLI is read by a person, not paid for by an agent's context.
  yield* printPages(conn, id, Wire.startCursor(id), (view) => Effect.zipRight(reportDropped(view), printStreams(view, streams)), raw)
  return ExitCode.ok
})

const tail = Effect.fnUntraced(function*(conn: Connection, command: ParsedCommand) {
  const id = yield* resolveId(conn, command.operands.get("id")!)
  const streams = yield* streamsOf(command)
  const raw = option(command, "lines") ?? "10"
  const lines = Number(raw)
  if (!/^\d+$/.test(raw) || lines < 1 || lines > 1000) return yield* usage(`tail: -n must be a whole number from 1 to 1000, got ${JSON.stringify(raw)}`)
  const view = yield* conn.call("tail", { job_id: id, lines, raw: flag(command, "raw") }, Wire.TailView)
  if (flag(command, "json")) return yield* jsonOf(Wire.TailView, view).pipe(Effect.as(ExitCode.ok))
  const ended = (text: string) => (text === "" || text.endsWith("\n") ? text : text + "\n")
  yield* printStreams({ stdout: ended(view.stdout), stderr: ended(view.stderr) }, streams)
  return ExitCode.ok
})

const readStdin = Effect.async<string>((resume) => {
  const chunks: Array<Buffer> = []
  process.stdin.on("data", (chunk: Buffer) => chunks.push(chunk))
  process.stdin.once("end", () => resume(Effect.succeed(Buffer.concat(chunks).toString("utf8"))))
})

const send = Effect.fnUntraced(function*(conn: Connection, command: ParsedCommand) {
  const id = yield* resolveId(conn, command.operands.get("id")!)
  const given = command.operands.get("text")!
  const input = given === "-" ? yield* readStdin : given
  const timeout = yield* positiveSeconds(command, "timeout", 600)
  const until = option(command, "until")
  if (until !== undefined) yield* compile(until)
  const reply = yield* conn.call(
    "interact",
    {
      job_id: id,
      input,
      ...(until === undefined ? {} : { until }),
      ...(timeout === undefined ? {} : { timeout_ms: Math.round(timeout * 1000) }),
      ...(flag(command, "eof") ? { eof: true } : {})
    },
    Wire.WaitResult,
    (timeout ?? 5) * 1000 + REQUEST_HEADROOM_MS
  )
  if (flag(command, "json")) return yield* jsonOf(Wire.WaitResult, reply).pipe(Effect.as(ExitCode.ok))
  yield* printStreams(reply, "both")
  return ExitCode.ok
})

/** The longest single `wait` call the tool accepts; longer waits are several calls. */
const WAIT_SLICE = 600

const wait = Effect.fnUntraced(function*(conn: Connection, command: ParsedCommand) {
  const id = yield* resolveId(conn, command.operands.get("id")!)
  const timeout = yield* positiveSeconds(command, "timeout", Number.MAX_SAFE_INTEGER)
  const until = option(command, "until")
  const asJson = flag(command, "json")
  const deadline = timeout === undefined ? undefined : Date.now() + timeout * 1000
  if (until !== undefined) yield* compile(until)
  // Output printed before the call counts: "wait until ready" must not hang on a server already ready.
  // The server looks from the job's start (its start cursor) and matches exactly as the wait tool does.
  let cursor: string | undefined = until === undefined ? undefined : Wire.startCursor(id)
  while (true) {
    const remaining = deadline === undefined ? WAIT_SLICE : Math.max(0, Math.min(WAIT_SLICE, (deadline - Date.now()) / 1000))
    const result = yield* conn.call(
      "wait",
      { job_id: id, timeout_s: remaining, max_bytes: 1, ...(until === undefined ? {} : { until }), ...(cursor === undefined ? {} : { cursor }) },
      Wire.WaitResult,
      remaining * 1000 + REQUEST_HEADROOM_MS
    )
    cursor = result.cursor
    if (result.reason === "matched") {
      const matched = Option.getOrNull(result.matchedLine)
      yield* asJson ? json({ job_id: id, reason: "matched", matched_line: matched }) : line(`matched: ${matched ?? ""}`)
      return ExitCode.ok
    }
    if (result.reason === "exited") {
      const ended = yield* drainUntilEnded(conn, id, cursor, () => Effect.void, false)
      yield* asJson ? jsonOf(Wire.JobDetails, ended, { reason: "exited" }) : line(describeEnd(ended))
      return jobExitCode(ended)
    }
    if (deadline !== undefined && Date.now() >= deadline) {
      yield* asJson ?
        json({ job_id: id, reason: "timeout", status: result.status }) :
        err(`timed out after ${timeout}s: job ${id} is still ${result.status}\n`)
      return ExitCode.timeout
    }
  }
})

const kill = Effect.fnUntraced(function*(conn: Connection, command: ParsedCommand) {
  const id = yield* resolveId(conn, command.operands.get("id")!)
  const signal = option(command, "signal")
  const answer = yield* conn.call("kill", { job_id: id, ...(signal === undefined ? {} : { signal }) }, Wire.KillAnswer)
  if (flag(command, "json")) yield* json({ job_id: id, ...answer })
  switch (answer.status) {
    case "not_found":
      return yield* new ClientError({ text: `no job ${id}: run mcp-background-job ls to see the jobs`, code: ExitCode.refused })
    case "already_terminated":
      if (!flag(command, "json")) yield* line(`job ${id} had already ended`)
      return ExitCode.ok
    case "signalled":
      if (!flag(command, "json")) yield* line(`sent ${signal!.toUpperCase()} to job ${id}`)
      return ExitCode.ok
    default:
      if (!flag(command, "json")) yield* line(`killed job ${id}`)
      return ExitCode.ok
  }
})

/**
 * Runs a parsed command on an open connection and returns the exit code.
 *
 * @since 0.1.0
 * @category commands
 */
export const runCommand = (conn: Connection, command: ParsedCommand): Effect.Effect<number, ClientError> => {
  const handler = handlers[command.spec.name]
  return handler === undefined ? Effect.fail(usage(`unknown command ${command.spec.name}`)) : handler(conn, command)
}

const handlers: Readonly<Record<string, (conn: Connection, command: ParsedCommand) => Effect.Effect<number, ClientError>>> = {
  run,
  ls,
  status,
  logs,
  tail,
  send,
  wait,
  kill
}
