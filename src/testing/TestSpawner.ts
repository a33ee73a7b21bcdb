/**
 * `TestSpawner`: a `Spawner` whose processes are scripts (see `Script`) running on Effect's clock, so that
 * under a `TestClock` a test drives minutes of job time in milliseconds, with no real process. It keeps the
 * whole `JobProcess` contract: both streams end when the process exits, stdin has a bounded buffer (writes
 * wait while the script does not read), signals go to the whole group, and children can outlive the
 * process in its group. Commands without a script fail to start with `SpawnFailed` naming the command.
 * A scripted process has no wrapping shell: a signal meant for the group's programs reaches it as one for
 * the whole group.
 *
 * @since 0.1.0
 */
import * as Clock from "effect/Clock"
import * as Context from "effect/Context"
import * as Deferred from "effect/Deferred"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Fiber from "effect/Fiber"
import * as FiberId from "effect/FiberId"
import * as Layer from "effect/Layer"
import * as Mailbox from "effect/Mailbox"
import * as Option from "effect/Option"
import * as Scope from "effect/Scope"
import type * as ConfigError from "effect/ConfigError"
import { SpawnFailed } from "../domain/errors.js"
import { JobConfig, type JobConfigInput } from "../JobConfig.js"
import { JobManager } from "../JobManager.js"
import type { ExitInfo, JobProcess, SignalName, SpawnRequest } from "../Spawner.js"
import { Spawner, StdinUnavailable } from "../Spawner.js"
import type * as Script from "./Script.js"
import * as VirtualTime from "./VirtualTime.js"

/**
 * A signal that reached a scripted process group, and when (clock milliseconds).
 *
 * @since 0.1.0
 * @category models
 */
export interface SignalRecord {
  readonly signal: SignalName
  readonly at: number
}

/**
 * What a scripted process has done so far, for assertions.
 *
 * @since 0.1.0
 * @category models
 */
export interface ProcessRecord {
  readonly pid: number
  readonly command: string
  readonly request: SpawnRequest
  /** Clock time (milliseconds) of the spawn. */
  readonly startedAt: number
  /** Signals that reached the group while something in it was alive, in order. */
  readonly signals: ReadonlyArray<SignalRecord>
  /** The lines (or final partial line) the script has read from stdin. */
  readonly linesRead: ReadonlyArray<string>
  /** How the process ended, once it has. */
  readonly exit: ExitInfo | undefined
  /** Clock time (milliseconds) of the exit, once it has exited. */
  readonly exitedAt: number | undefined
  /** Children started with `Script.spawnChild` that are still alive. */
  readonly liveChildren: number
}

/**
 * Options of the scripted spawner.
 *
 * @since 0.1.0
 * @category models
 */
export interface Options {
  /** Bytes of stdin a script may leave unread before writes wait (a pipe's buffer); default 64 KiB. */
  readonly stdinCapacity?: number | undefined
}

/** Signals whose default action is not to terminate (job control stops are not modelled). */
const ignoredByDefault = new Set<string>(["SIGCHLD", "SIGCONT", "SIGURG", "SIGWINCH", "SIGSTOP", "SIGTSTP", "SIGTTIN", "SIGTTOU"])
const NEWLINE = 0x0a
const FIRST_PID = 100_000
const decoder = new TextDecoder()

const concat = (a: Uint8Array, b: Uint8Array): Uint8Array => {
  const joined = new Uint8Array(a.length + b.length)
  joined.set(a, 0)
  joined.set(b, a.length)
  return joined
}

/** Wakes every fiber waiting on it at the next `fire` (stdin became readable or writable). */
class Wakeup {
  private current: Deferred.Deferred<void> | undefined

  next(): Effect.Effect<void> {
    this.current ??= Deferred.unsafeMake<void>(FiberId.none)
    return Deferred.await(this.current)
  }

  fire(): void {
    const current = this.current
    this.current = undefined
    if (current !== undefined) Deferred.unsafeDone(current, Exit.void)
  }
}

interface Child {
  alive: boolean
  readonly ignoresSigterm: boolean
}

type Outcome = "continue" | "ended"

/** One running script: the fake process and everything the runtime can observe of it. */
class ScriptedProcess {
  readonly stdout: Mailbox.Mailbox<Uint8Array>
  readonly stderr: Mailbox.Mailbox<Uint8Array>
  readonly exited = Deferred.unsafeMake<ExitInfo>(FiberId.none)
  readonly signals: Array<SignalRecord> = []
  readonly linesRead: Array<string> = []
  readonly children: Array<Child> = []
  readonly startedAt: number
  exit: ExitInfo | undefined
  exitedAt: number | undefined
  main: Fiber.RuntimeFiber<void> | undefined
  private input: Uint8Array = new Uint8Array(0)
  private inputEnded: boolean
  private stdinReason: string | undefined
  private readonly stdinChanged = new Wakeup()
  private readonly handling = new Set<string>()

  constructor(
    readonly pid: number,
    readonly request: SpawnRequest,
    readonly script: Script.Script,
    private readonly scope: Scope.Scope,
    private readonly clock: Clock.Clock,
    private readonly stdinCapacity: number,
    mailboxes: readonly [Mailbox.Mailbox<Uint8Array>, Mailbox.Mailbox<Uint8Array>]
  ) {
    this.stdout = mailboxes[0]
    this.stderr = mailboxes[1]
    this.startedAt = clock.unsafeCurrentTimeMillis()
    this.stdinReason = request.stdin === "null" ? "it was started with stdin set to null" : undefined
    this.inputEnded = request.stdin === "null"
  }

  get alive(): boolean {
    return this.exit === undefined
  }

  get groupAlive(): boolean {
    return this.alive || this.children.some((child) => child.alive)
  }

  record(): ProcessRecord {
    return {
      pid: this.pid,
      command: this.request.command,
      request: this.request,
      startedAt: this.startedAt,
      signals: [...this.signals],
      linesRead: [...this.linesRead],
      exit: this.exit,
      exitedAt: this.exitedAt,
      liveChildren: this.children.filter((child) => child.alive).length
    }
  }

  /** The shell has ended: streams end, stdin stops accepting input, waiters on `exit` wake. */
  terminate(info: ExitInfo): void {
    if (!this.alive) return
    this.exit = info
    this.exitedAt = this.clock.unsafeCurrentTimeMillis()
    this.stdout.unsafeDone(Exit.void)
    this.stderr.unsafeDone(Exit.void)
    this.closeInput("the process closed its stdin or has exited")
    Deferred.unsafeDone(this.exited, Exit.succeed(info))
  }

  closeInput(reason: string): void {
    this.stdinReason ??= reason
    this.inputEnded = true
    this.stdinChanged.fire()
  }

  readonly write = (chunk: Uint8Array): Effect.Effect<void, StdinUnavailable> =>
    Effect.gen(this, function*() {
      let offset = 0
      while (offset < chunk.length) {
        if (this.stdinReason !== undefined) return yield* new StdinUnavailable({ reason: this.stdinReason })
        const free = this.stdinCapacity - this.input.length
        if (free <= 0) {
          yield* this.stdinChanged.next()
          continue
        }
        const piece = chunk.subarray(offset, offset + free)
        this.input = concat(this.input, piece)
        offset += piece.length
        this.stdinChanged.fire()
      }
    })

  readonly closeStdin: Effect.Effect<void> = Effect.sync(() => {
    if (this.stdinReason === undefined) this.closeInput("its stdin was closed")
  })

  readonly stdinOpen: Effect.Effect<boolean> = Effect.sync(() => this.stdinReason === undefined)

  /** The next line of stdin, the rest at end-of-file, or `undefined` at end-of-file with nothing left. */
  private readonly readLine: Effect.Effect<string | undefined> = Effect.gen(this, function*() {
    while (true) {
      const newline = this.input.indexOf(NEWLINE)
      if (newline >= 0 || (this.inputEnded && this.input.length > 0)) {
        const end = newline >= 0 ? newline : this.input.length
        const line = decoder.decode(this.input.subarray(0, end))
        this.input = this.input.subarray(Math.min(this.input.length, end + 1))
        this.linesRead.push(line)
        this.stdinChanged.fire()
        return line
      }
      if (this.inputEnded) return undefined
      yield* this.stdinChanged.next()
    }
  })

  private runSteps(steps: Script.Steps): Effect.Effect<Outcome> {
    return Effect.gen(this, function*() {
      for (const step of steps) {
        switch (step._tag) {
          case "Write": {
            yield* (step.stream === "stdout" ? this.stdout : this.stderr).offer(step.bytes)
            break
          }
          case "Sleep": {
            yield* Effect.sleep(step.duration)
            break
          }
          case "ReadLine": {
            do {
              const line = yield* this.readLine
              if (line === undefined) {
                if ((yield* this.runSteps(step.onEof)) === "ended") return "ended"
                break
              }
              if ((yield* this.runSteps(step.answer(line))) === "ended") return "ended"
            } while (step.repeat)
            break
          }
          case "SpawnChild": {
            const child: Child = { alive: true, ignoresSigterm: step.child.ignoresSigterm === true }
            this.children.push(child)
            if (step.child.exitsAfter !== undefined) {
              yield* Effect.sleep(step.child.exitsAfter).pipe(
                Effect.zipRight(Effect.sync(() => {
                  child.alive = false
                })),
                Effect.interruptible,
                Effect.forkIn(this.scope)
              )
            }
            break
          }
          case "Repeat": {
            for (let round = 0; round < step.times; round++) {
              if ((yield* this.runSteps(step.steps)) === "ended") return "ended"
            }
            break
          }
          case "Exit": {
            this.terminate({ code: step.code, signal: null })
            return "ended"
          }
          case "Die": {
            this.terminate({ code: null, signal: step.signal })
            return "ended"
          }
          case "Hang": {
            return yield* Effect.never
          }
        }
      }
      return "continue"
    })
  }

  /** Runs steps as the process's main line; running out of steps exits with 0. */
  start(steps: Script.Steps): Effect.Effect<void> {
    return this.runSteps(steps).pipe(
      Effect.flatMap((outcome) =>
        Effect.sync(() => {
          if (outcome === "continue") this.terminate({ code: 0, signal: null })
        })
      ),
      // Spawning happens in an uninterruptible region of the manager: the script itself must stay interruptible.
      Effect.interruptible,
      Effect.forkIn(this.scope),
      Effect.map((fiber) => {
        this.main = fiber
      })
    )
  }

  private stopMain: Effect.Effect<void> = Effect.suspend(() => (this.main === undefined ? Effect.void : Fiber.interrupt(this.main)))

  readonly signal = (signal: SignalName): Effect.Effect<void> =>
    Effect.gen(this, function*() {
      if (!this.groupAlive) return
      this.signals.push({ signal, at: this.clock.unsafeCurrentTimeMillis() })
      const kills = (ignoresSigterm: boolean) =>
        signal === "SIGKILL" || (signal === "SIGTERM" ? !ignoresSigterm : !ignoredByDefault.has(signal))
      for (const child of this.children) if (child.alive && kills(child.ignoresSigterm)) child.alive = false
      if (!this.alive) return
      const action: Script.SignalAction = signal === "SIGKILL"
        ? "die"
        : this.script.signals[signal] ?? (ignoredByDefault.has(signal) ? "ignore" : "die")
      if (action === "ignore") return
      if (action === "die") {
        yield* this.stopMain
        this.terminate({ code: null, signal })
        return
      }
      // A handler runs once; the same signal while it runs is ignored, as a trap that is already busy.
      if (this.handling.has(signal)) return
      this.handling.add(signal)
      yield* this.stopMain
      yield* this.start(action)
    })
}

const matches = (script: Script.Script, command: string): boolean =>
  typeof script.match === "string" ? script.match === command : new RegExp(script.match).test(command)

const describeScripts = (scripts: ReadonlyArray<Script.Script>): string =>
  scripts.length === 0 ? "there are none" : scripts.map((script) => String(script.match)).join(", ")

/**
 * The record of the processes a scripted `Spawner` started; provided with it by `TestSpawner.layer`.
 *
 * @since 0.1.0
 * @category services
 */
export class TestSpawner extends Context.Tag("mcp-background-job/testing/TestSpawner")<
  TestSpawner,
  {
    /** Every process started so far, oldest first. */
    readonly processes: Effect.Effect<ReadonlyArray<ProcessRecord>>
    /** The latest process whose command is `command` or matches it; dies if there is none. */
    readonly process: (command: string | RegExp) => Effect.Effect<ProcessRecord>
  }
>() {
  /**
   * A `Spawner` running `scripts` (the first one matching a command is used), and the `TestSpawner` record.
   *
   * @since 0.1.0
   * @category layers
   */
  static layer(scripts: ReadonlyArray<Script.Script>, options: Options = {}): Layer.Layer<Spawner | TestSpawner> {
    return Layer.effectContext(make(scripts, options))
  }

  /**
   * A `JobManager` on scripted processes, with the `TestSpawner` record. Closing it moves a `TestClock`
   * forward as needed, so that jobs whose scripts ignore SIGTERM are still stopped (SIGKILL after the
   * grace period) and the scope finishes closing instead of waiting for virtual time that never comes.
   *
   * @since 0.1.0
   * @category layers
   */
  static layerJobManager(
    scripts: ReadonlyArray<Script.Script>,
    config: JobConfig | JobConfigInput = {},
    options: Options = {}
  ): Layer.Layer<JobManager | TestSpawner, ConfigError.ConfigError> {
    const jobConfig = config instanceof JobConfig ? config : JobConfig.make(config)
    const layer = JobManager.layer(jobConfig).pipe(Layer.provideMerge(TestSpawner.layer(scripts, options)))
    return Layer.scopedContext(
      Effect.gen(function*() {
        const inner = yield* Scope.make()
        yield* Effect.addFinalizer(() => closeOnVirtualClock(inner))
        return yield* Layer.buildWithScope(layer, inner)
      })
    )
  }
}

const make = (scripts: ReadonlyArray<Script.Script>, options: Options) =>
  Effect.sync(() => {
    const started: Array<ScriptedProcess> = []
    let nextPid = FIRST_PID
    const stdinCapacity = options.stdinCapacity ?? 64 * 1024

    const spawn = Effect.fn("TestSpawner.spawn")(function*(request: SpawnRequest) {
      const script = scripts.find((candidate) => matches(candidate, request.command))
      if (script === undefined) {
        return yield* new SpawnFailed({
          command: request.command,
          reason: `no TestSpawner script matches the command ${JSON.stringify(request.command)} (scripts: ${
            describeScripts(scripts)
          }). Add Script.on(${JSON.stringify(request.command)}, [...]) to the TestSpawner layer.`
        })
      }
      if (script.spawnFailure !== undefined) {
        return yield* new SpawnFailed({ command: request.command, reason: script.spawnFailure })
      }
      const scope = yield* Effect.scope
      const clock = yield* Effect.clock
      const mailboxes = [yield* Mailbox.make<Uint8Array>(), yield* Mailbox.make<Uint8Array>()] as const
      const child = new ScriptedProcess(nextPid++, request, script, scope, clock, stdinCapacity, mailboxes)
      started.push(child)
      yield* child.start(typeof script.steps === "function" ? script.steps(request) : script.steps)
      // As the live spawner: closing the scope ends stdin and kills the group if the shell still runs.
      yield* Effect.addFinalizer(() =>
        Effect.suspend(() => {
          child.closeInput("the job has ended")
          return child.alive ? child.signal("SIGKILL") : Effect.void
        })
      )
      const jobProcess: JobProcess = {
        pid: child.pid,
        stdout: Mailbox.toStream(child.stdout),
        stderr: Mailbox.toStream(child.stderr),
        write: (chunk) => (chunk.length === 0 ? Effect.void : child.write(chunk)),
        closeStdin: child.closeStdin,
        stdinOpen: child.stdinOpen,
        exit: Deferred.await(child.exited),
        signal: child.signal,
        groupAlive: Effect.sync(() => child.groupAlive)
      }
      return jobProcess
    })

    const processes = Effect.sync(() => started.map((child) => child.record()))
    const process = (command: string | RegExp) =>
      Effect.suspend(() => {
        const found = started.findLast((child) =>
          typeof command === "string" ? child.request.command === command : new RegExp(command).test(child.request.command)
        )
        return found === undefined
          ? Effect.dieMessage(`TestSpawner: no process was started for ${String(command)}`)
          : Effect.succeed(found.record())
      })

    return Context.make(Spawner, Spawner.of({ spawn })).pipe(
      Context.add(TestSpawner, TestSpawner.of({ processes, process }))
    )
  })

/** Virtual time that closing may take before it is left to finish by itself (a hang then shows as such). */
const CLOSE_LIMIT = Duration.hours(1)
const CLOSE_STEP = Duration.seconds(1)

/** Closes `scope`; under a `TestClock`, moves virtual time forward while the closing waits on it. */
const closeOnVirtualClock = (scope: Scope.CloseableScope): Effect.Effect<void> =>
  Effect.gen(function*() {
    const testClock = yield* VirtualTime.testClock
    if (Option.isNone(testClock)) return yield* Scope.close(scope, Exit.void)
    const closing = yield* Effect.fork(Scope.close(scope, Exit.void))
    let moved = Duration.zero
    while (Duration.lessThan(moved, CLOSE_LIMIT)) {
      yield* VirtualTime.settle()
      if (Option.isSome(yield* Fiber.poll(closing))) return
      yield* testClock.value.adjust(CLOSE_STEP)
      moved = Duration.sum(moved, CLOSE_STEP)
    }
    yield* Fiber.join(closing)
  })
