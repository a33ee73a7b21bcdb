/**
 * The client's entry: `mcp-background-job <command> …` parses the command line, finds the server and the
 * token, opens a session, runs the command, ends the session, and returns the exit code. Ctrl-C ends the
 * command (not the job) with exit code 130.
 *
 * @since 0.1.0
 */
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Exit from "effect/Exit"
import * as Fiber from "effect/Fiber"
import { clientHelp, commandHelp, commandSpecs, parseCommand } from "./args.js"
import { runCommand } from "./commands.js"
import { ClientError, connect, describeFailure, ExitCode, resolveToken, resolveUrl, type Target } from "./connection.js"

export { isClientCommand } from "./args.js"

const PROBE_TIMEOUT_MS = 3000

/** Without a token, asks `/healthz` whether a server is there at all, to say which problem it is. */
const probe = (url: URL): Effect.Effect<void, ClientError> =>
  Effect.tryPromise({
    try: (signal) => fetch(new URL("/healthz", url), { signal: AbortSignal.any([signal, AbortSignal.timeout(PROBE_TIMEOUT_MS)]) }),
    catch: (error) => describeFailure({ url, token: "", tokenSource: "" }, error)
  }).pipe(Effect.asVoid)

const program = (argv: ReadonlyArray<string>, version: string): Effect.Effect<number, ClientError> =>
  Effect.gen(function*() {
    if (argv[0] === "help") {
      const spec = commandSpecs.find((s) => s.name === argv[1])
      yield* Effect.sync(() => process.stdout.write((spec === undefined ? clientHelp() : commandHelp(spec)) + "\n"))
      return ExitCode.ok
    }
    const command = yield* Either.mapLeft(parseCommand(argv), (text) => new ClientError({ text, code: ExitCode.usage }))
    if (command.options.has("help")) {
      yield* Effect.sync(() => process.stdout.write(commandHelp(command.spec) + "\n"))
      return ExitCode.ok
    }
    const url = yield* resolveUrl(command.options.get("url")?.[0], process.env)
    const token = yield* Either.match(
      resolveToken(url, { token: command.options.get("token")?.[0], tokenFile: command.options.get("token-file")?.[0] }, process.env),
      {
        onLeft: (missing) => probe(url).pipe(Effect.zipRight(Effect.fail(missing))),
        onRight: Effect.succeed
      }
    )
    const target: Target = { url, token: token.token, tokenSource: token.source }
    return yield* Effect.scoped(Effect.flatMap(connect(target, version), (conn) => runCommand(conn, command)))
  })

/**
 * Runs a client command line (`argv[0]` is the command) and resolves to its exit code.
 *
 * @since 0.1.0
 * @category main
 */
export const runClient = (argv: ReadonlyArray<string>, version: string): Promise<number> =>
  new Promise((resolve) => {
    let interrupted = false
    const fiber = Effect.runFork(program(argv, version))
    const stop = () => {
      interrupted = true
      Effect.runFork(Fiber.interrupt(fiber))
    }
    process.once("SIGINT", stop)
    process.once("SIGTERM", stop)
    fiber.addObserver((exit) => {
      process.off("SIGINT", stop)
      process.off("SIGTERM", stop)
      if (Exit.isSuccess(exit)) return resolve(exit.value)
      if (interrupted) return resolve(ExitCode.interrupted)
      const failure = exit.cause._tag === "Fail" ? exit.cause.error : undefined
      const error = failure ?? new ClientError({ text: `unexpected failure: ${String(exit.cause)}`, code: ExitCode.refused })
      if (error.text !== "") process.stderr.write(`mcp-background-job: ${error.text}\n`)
      resolve(error.code)
    })
  })
