/**
 * Checks of the arguments of job operations, as pure functions: each returns the usable value or an
 * `InvalidArgument` that says what to pass instead.
 *
 * @internal
 */
import * as Duration from "effect/Duration"
import * as Either from "effect/Either"
import * as Option from "effect/Option"
import * as os from "node:os"
import { InvalidArgument } from "../domain/errors.js"
import type { RestartMode } from "../domain/JobStatus.js"
import type { SignalName, SignalTarget } from "../Spawner.js"
import { isNegativeAmount } from "./settings.js"

/** Variables added to a job's environment: names without "=" or NUL, string values without NUL. @internal */
export const checkEnv = (env: Readonly<Record<string, string>>): Either.Either<Readonly<Record<string, string>>, InvalidArgument> => {
  for (const [name, value] of Object.entries(env)) {
    if (name === "" || name.includes("=") || name.includes("\0")) {
      return Either.left(
        new InvalidArgument({ argument: "env", reason: `${JSON.stringify(name)} is not a valid variable name (no "=", no NUL, not empty).` })
      )
    }
    if (typeof value !== "string" || value.includes("\0")) {
      return Either.left(
        new InvalidArgument({ argument: "env", reason: `the value of ${name} must be a string without NUL characters.` })
      )
    }
  }
  return Either.right(env)
}

/** A duration in any `Duration` form, not negative. @internal */
export const checkDuration = (argument: string, input: Duration.DurationInput): Either.Either<Duration.Duration, InvalidArgument> =>
  typeof input === "number" && Number.isNaN(input) ?
    Either.left(new InvalidArgument({ argument, reason: "NaN is not a duration." })) :
    isNegativeAmount(input) ?
    Either.left(new InvalidArgument({ argument, reason: "it must not be negative." })) :
    Option.match(Duration.decodeUnknown(input), {
      onNone: () => Either.left(new InvalidArgument({ argument, reason: `${String(input)} is not a duration.` })),
      onSome: Either.right
    })

/**
 * The largest result budget one call may ask for: a JSON-RPC message must stay far below the 10 MiB an SDK
 * client accepts, and a result carries its text twice (structured and as JSON text).
 *
 * @internal
 */
export const MAX_RESULT_BUDGET = 1024 * 1024

/** A call's result budget: 1 byte to 1 MiB, or the configured one. @internal */
export const checkMaxBytes = (maxBytes: number | undefined, fallback: number): Either.Either<number, InvalidArgument> =>
  maxBytes === undefined ?
    Either.right(fallback) :
    Number.isSafeInteger(maxBytes) && maxBytes >= 1 && maxBytes <= MAX_RESULT_BUDGET ?
    Either.right(maxBytes) :
    Either.left(
      new InvalidArgument({ argument: "max_bytes", reason: `${maxBytes} is out of range: pass a whole number of bytes from 1 to ${MAX_RESULT_BUDGET}.` })
    )

/** Lines of context around each match: 0 to 100. @internal */
export const checkContext = (lines: number | undefined): Either.Either<number, InvalidArgument> =>
  lines === undefined ?
    Either.right(0) :
    Number.isSafeInteger(lines) && lines >= 0 && lines <= 100 ?
    Either.right(lines) :
    Either.left(new InvalidArgument({ argument: "context", reason: `${lines} is out of range: pass a whole number of lines from 0 to 100.` }))

/** A port to wait for: a whole number from 1 to 65535, or any (`true`, `"any"`). @internal */
export const checkPort = (argument: string, port: number | boolean | "any"): Either.Either<true | number, InvalidArgument> =>
  port === true || port === "any" ?
    Either.right(true) :
    typeof port === "number" && Number.isSafeInteger(port) && port >= 1 && port <= 65535 ?
    Either.right(port) :
    Either.left(
      new InvalidArgument({ argument, reason: `${JSON.stringify(port)} is not a port: pass a whole number from 1 to 65535, or "any".` })
    )

/** A restart policy: its mode, and consecutive restarts from 0 to `limit` (default `fallback`). @internal */
export const checkRestartPolicy = (
  mode: RestartMode,
  maxRestarts: number | undefined,
  fallback: number,
  limit: number
): Either.Either<{ readonly mode: RestartMode; readonly maxRestarts: number }, InvalidArgument> =>
  maxRestarts !== undefined && mode === "no" ?
    Either.left(
      new InvalidArgument({
        argument: "max_restarts",
        reason: `it applies to a restart policy only: pass restart "on-failure" or "always" with it, or leave it out.`
      })
    ) :
    maxRestarts === undefined || (Number.isSafeInteger(maxRestarts) && maxRestarts >= 0 && maxRestarts <= limit) ?
    Either.right({ mode, maxRestarts: maxRestarts ?? fallback }) :
    Either.left(
      new InvalidArgument({ argument: "max_restarts", reason: `${maxRestarts} is out of range: pass a whole number from 0 to ${limit}.` })
    )

/** How many lines `tail` gives of each stream: 1 to 1000. @internal */
export const checkTailLines = (lines: number): Either.Either<number, InvalidArgument> =>
  Number.isSafeInteger(lines) && lines >= 1 && lines <= 1000 ?
    Either.right(lines) :
    Either.left(new InvalidArgument({ argument: "lines", reason: `${lines} is out of range: pass a whole number from 1 to 1000.` }))

/** Signals `kill` accepts by name. */
const signalNames = new Set(Object.keys(os.constants.signals))

const isSignalName = (name: string): name is SignalName => signalNames.has(name)

/** A signal name in any case, as its upper-case name; none for the default stop. @internal */
export const checkSignal = (name: string | undefined): Either.Either<SignalName | undefined, InvalidArgument> => {
  if (name === undefined) return Either.right(undefined)
  const signal = name.toUpperCase()
  return isSignalName(signal) ?
    Either.right(signal) :
    Either.left(
      new InvalidArgument({
        argument: "signal",
        reason: `${JSON.stringify(name)} is not a signal name. Use a name such as SIGINT, SIGTERM, SIGHUP or SIGUSR1.`
      })
    )
}

/**
 * Signals a terminal sends to its whole foreground group (Ctrl-C, Ctrl-\, Ctrl-Z) and the ones meant to stop or
 * resume everything: they go to the shell too, which waits for its program on SIGINT and runs its traps.
 * Any other signal (SIGHUP, SIGUSR1, ...) goes to the programs only, or the shell would die of it and end a
 * job whose program handled it.
 */
const groupSignals = new Set(["SIGINT", "SIGQUIT", "SIGTSTP", "SIGSTOP", "SIGCONT", "SIGTERM", "SIGKILL"])

/** Who a signal sent on request goes to. @internal */
export const signalTarget = (signal: string): SignalTarget => (groupSignals.has(signal) ? "group" : "programs")

/**
 * The bytes `interact` writes: the input with a newline appended unless it has one, `newline` is false, or it
 * is empty and only closes stdin.
 *
 * @internal
 */
export const inputBytes = (input: string, options: { readonly newline?: boolean | undefined; readonly eof?: boolean | undefined }): Buffer => {
  const keepAsIs = options.newline === false || input.endsWith("\n") || (input === "" && options.eof === true)
  return Buffer.from(keepAsIs ? input : input + "\n", "utf8")
}
