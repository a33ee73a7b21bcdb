/**
 * Scripts for `TestSpawner`: what a fake process does over virtual time. A script is a list of steps run in
 * order — print, sleep, read a line of stdin and answer, start a child in the group, exit or die of a
 * signal — plus how the process reacts to signals. A script that runs out of steps exits with code 0.
 *
 * @since 0.1.0
 */
import * as Duration from "effect/Duration"
import type { SignalName, SpawnRequest } from "../Spawner.js"

/**
 * Steps of a script, run in order.
 *
 * @since 0.1.0
 * @category models
 */
export type Steps = ReadonlyArray<Step>

/**
 * What a process does when a signal arrives: die of it, ignore it, or run these steps instead of the rest
 * of its script (then exit 0 if they do not exit). `SIGKILL` always kills.
 *
 * @since 0.1.0
 * @category models
 */
export type SignalAction = "die" | "ignore" | Steps

/**
 * One thing a scripted process does.
 *
 * @since 0.1.0
 * @category models
 */
export type Step =
  | { readonly _tag: "Write"; readonly stream: "stdout" | "stderr"; readonly bytes: Uint8Array }
  | { readonly _tag: "Sleep"; readonly duration: Duration.Duration }
  | {
    readonly _tag: "ReadLine"
    readonly answer: (line: string) => Steps
    readonly onEof: Steps
    readonly repeat: boolean
  }
  | { readonly _tag: "SpawnChild"; readonly child: ChildOptions }
  | { readonly _tag: "Repeat"; readonly steps: Steps; readonly times: number }
  | { readonly _tag: "Exit"; readonly code: number }
  | { readonly _tag: "Die"; readonly signal: SignalName }
  | { readonly _tag: "Hang" }

/**
 * A process left in the job's process group (a background child of the shell): it outlives the shell, so
 * the runtime's sweep has to stop it.
 *
 * @since 0.1.0
 * @category models
 */
export interface ChildOptions {
  /** Whether the child ignores SIGTERM (then only SIGKILL, after the grace period, ends it). Default false. */
  readonly ignoresSigterm?: boolean | undefined
  /** The child exits by itself after this long; default never. */
  readonly exitsAfter?: Duration.DurationInput | undefined
}

/**
 * Which command a script is for, and what the process does.
 *
 * @since 0.1.0
 * @category models
 */
export interface Script {
  /** The exact command, or a pattern it must match. The first matching script is used. */
  readonly match: string | RegExp
  readonly steps: Steps | ((request: SpawnRequest) => Steps)
  /** Reactions to signals, by name; a signal not listed does what it does by default (most kill). */
  readonly signals: Readonly<Partial<Record<SignalName, SignalAction>>>
  /** When set, starting the command fails with `SpawnFailed` and this reason. */
  readonly spawnFailure: string | undefined
}

/**
 * How a script reacts to signals.
 *
 * @since 0.1.0
 * @category models
 */
export interface ScriptOptions {
  readonly signals?: Readonly<Partial<Record<SignalName, SignalAction>>> | undefined
}

const afterSteps = (after: Duration.DurationInput | undefined): Steps =>
  after === undefined ? [] : [sleep(after)]

const encoder = new TextEncoder()

/**
 * A script for commands equal to `match` (a string) or matching it (a pattern).
 *
 * @since 0.1.0
 * @category constructors
 */
export const on = (
  match: string | RegExp,
  steps: Steps | ((request: SpawnRequest) => Steps),
  options: ScriptOptions = {}
): Script => ({ match, steps, signals: options.signals ?? {}, spawnFailure: undefined })

/**
 * A command that cannot be started: `execute` fails with `SpawnFailed` carrying `reason`.
 *
 * @since 0.1.0
 * @category constructors
 */
export const failToSpawn = (match: string | RegExp, reason: string): Script => ({
  match,
  steps: [],
  signals: {},
  spawnFailure: reason
})

/**
 * Waits this long (virtual time).
 *
 * @since 0.1.0
 * @category steps
 */
export const sleep = (duration: Duration.DurationInput): Step => ({ _tag: "Sleep", duration: Duration.decode(duration) })

const write = (stream: "stdout" | "stderr", data: string | Uint8Array, after?: Duration.DurationInput): Steps => [
  ...afterSteps(after),
  { _tag: "Write", stream, bytes: typeof data === "string" ? encoder.encode(data) : data }
]

/**
 * Writes to stdout, optionally after a delay.
 *
 * @since 0.1.0
 * @category steps
 */
export const stdout = (data: string | Uint8Array, options: { readonly after?: Duration.DurationInput } = {}): Step =>
  group(write("stdout", data, options.after))

/**
 * Writes to stderr, optionally after a delay.
 *
 * @since 0.1.0
 * @category steps
 */
export const stderr = (data: string | Uint8Array, options: { readonly after?: Duration.DurationInput } = {}): Step =>
  group(write("stderr", data, options.after))

/** Several steps as one (a `Repeat` once). */
const group = (steps: Steps): Step => (steps.length === 1 ? steps[0]! : { _tag: "Repeat", steps, times: 1 })

/**
 * Reads one line of stdin (waiting for it) and runs the steps `answer` returns for it. At end-of-file
 * without a line, runs `onEof` (default: nothing) and goes on with the script.
 *
 * @since 0.1.0
 * @category steps
 */
export const readLine = (answer: (line: string) => Steps, options: { readonly onEof?: Steps } = {}): Step => ({
  _tag: "ReadLine",
  answer,
  onEof: options.onEof ?? [],
  repeat: false
})

/**
 * Answers every line of stdin until end-of-file (a REPL, or `cat`), then runs `onEof` and goes on.
 *
 * @since 0.1.0
 * @category steps
 */
export const readLines = (answer: (line: string) => Steps, options: { readonly onEof?: Steps } = {}): Step => ({
  _tag: "ReadLine",
  answer,
  onEof: options.onEof ?? [],
  repeat: true
})

/**
 * Starts a child in the process group that stays when the process exits.
 *
 * @since 0.1.0
 * @category steps
 */
export const spawnChild = (child: ChildOptions = {}): Step => ({ _tag: "SpawnChild", child })

/**
 * Runs `steps` `times` times (default: forever).
 *
 * @since 0.1.0
 * @category steps
 */
export const repeat = (steps: Steps, options: { readonly times?: number } = {}): Step => ({
  _tag: "Repeat",
  steps,
  times: options.times ?? Infinity
})

/**
 * Exits with `code`, optionally after a delay.
 *
 * @since 0.1.0
 * @category steps
 */
export const exit = (code: number, options: { readonly after?: Duration.DurationInput } = {}): Step =>
  group([...afterSteps(options.after), { _tag: "Exit", code }])

/**
 * Dies of `signal` (as if it sent it to itself), optionally after a delay.
 *
 * @since 0.1.0
 * @category steps
 */
export const die = (signal: SignalName, options: { readonly after?: Duration.DurationInput } = {}): Step =>
  group([...afterSteps(options.after), { _tag: "Die", signal }])

/**
 * Waits forever: the process runs until a signal ends it.
 *
 * @since 0.1.0
 * @category steps
 */
export const hang: Step = { _tag: "Hang" }
