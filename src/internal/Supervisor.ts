/**
 * One job's life after its process started: drain both output streams into the ring, enforce the time
 * limit, decide the end on the shell's exit, sweep what the shell left in its group, and keep the record
 * readable for the cleanup interval.
 *
 * @since 0.1.0
 */
import * as Clock from "effect/Clock"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Fiber from "effect/Fiber"
import * as Option from "effect/Option"
import * as Stream from "effect/Stream"
import type { Job, StopReason } from "./Job.js"
import type { StreamName } from "../OutputBuffer.js"
import type { ExitInfo, JobProcess, OutputSink } from "../Spawner.js"

/**
 * The timings a supervisor follows.
 *
 * @internal
 */
export interface SupervisorSettings {
  readonly killGrace: Duration.Duration
  readonly cleanupInterval: Duration.Duration
}

/**
 * What a supervisor reports to its manager.
 *
 * @internal
 */
export interface SupervisorHooks {
  /** What to do with a chunk besides storing it, at once; the chunk is valid during the call only. */
  readonly onOutput: (job: Job, stream: StreamName, chunk: Uint8Array) => void
  readonly onExit: (job: Job) => Effect.Effect<void>
  /**
   * A restart policy: whether the run that ended with this exit is followed by another, and the step that
   * starts it (after its back-off) as the job's new process; false when none was started (stopped meanwhile,
   * or the spawn failed), and the job ends with the exit.
   */
  readonly restart?: {
    readonly wanted: (job: Job, exit: ExitInfo) => Effect.Effect<boolean>
    readonly start: (job: Job, exit: ExitInfo) => Effect.Effect<boolean>
  } | undefined
}

const POLL = Duration.millis(50)
/** After SIGKILL a process is gone at once, unless stuck in the kernel; don't wait on it forever. */
const AFTER_KILL_BOUND = Duration.seconds(2)
/** After the shell exits, output it wrote may still sit in the pipe: read until quiet, within a bound. */
const SETTLE_QUIET = Duration.millis(25)
const SETTLE_ROUNDS = 12
/** With no process left to hold the pipes, end-of-file is due at once; this only guards against the odd case. */
const SETTLE_EOF_BOUND = Duration.seconds(2)

/**
 * Polls until no live process of the job is left (the shell included) or `bound` has passed; true when none
 * is left. It waits by polling, never by interruption, so its bound holds inside finalizers, and in a fiber
 * that is being interrupted (where an interruptible region would be cut short at once).
 *
 * @internal
 */
export const awaitGone = Effect.fnUntraced(function*(process: JobProcess, bound: Duration.Duration) {
  const deadline = (yield* Clock.currentTimeMillis) + Duration.toMillis(bound)
  while (yield* process.groupAlive) {
    if ((yield* Clock.currentTimeMillis) >= deadline) return false
    yield* Effect.sleep(POLL)
  }
  return true
})

/**
 * Stops a process group: SIGTERM, then SIGKILL once `grace` has passed if the shell or anything else in
 * the group is still alive. Safe in finalizers and during shutdown: it always runs its course.
 *
 * @internal
 */
export const stopGroup = Effect.fnUntraced(function*(process: JobProcess, grace: Duration.Duration) {
  if (!(yield* process.groupAlive)) return
  yield* process.signal("SIGTERM")
  if (yield* awaitGone(process, grace)) return
  yield* Effect.logDebug("process group outlived the grace period; sending SIGKILL").pipe(
    Effect.annotateLogs("pid", process.pid)
  )
  yield* process.signal("SIGKILL")
  yield* awaitGone(process, AFTER_KILL_BOUND)
})

/**
 * Decides that the runtime stops the job (its final status), and stops its group in the background: the
 * caller does not wait for the grace period.
 *
 * @internal
 */
export const stopJob = (job: Job, reason: StopReason, grace: Duration.Duration): Effect.Effect<boolean> =>
  Effect.suspend(() =>
    job.markStopping(reason) ?
      stopGroup(job.process, grace).pipe(Effect.forkIn(job.scope), Effect.as(true)) :
      Effect.succeed(false)
  )

/**
 * Decides that the runtime stops the job, and sends SIGKILL to its group at once, with no SIGTERM first: a
 * caller that asked for SIGKILL gets that signal alone, so no `trap … TERM` runs. Whatever survives (a
 * process stuck in the kernel) is left to the supervisor's sweep when the shell's exit is seen.
 *
 * @internal
 */
export const killJob = (job: Job, reason: StopReason): Effect.Effect<boolean> =>
  Effect.uninterruptible(Effect.suspend(() =>
    job.markStopping(reason) ? Effect.as(job.process.signal("SIGKILL"), true) : Effect.succeed(false)
  ))

/** Stores a chunk and hands it on: synchronous, since it runs for every chunk of a flood. */
const outputSink = (job: Job, hooks: SupervisorHooks): OutputSink => (stream, chunk) => {
  job.append(stream, chunk)
  hooks.onOutput(job, stream, chunk)
}

/** Drains both output streams of one run into the job until both have ended: by the spawner's `drain` where it has one. */
const drainOutput = (job: Job, process: JobProcess, hooks: SupervisorHooks): Effect.Effect<void> => {
  const sink = outputSink(job, hooks)
  if (process.drain !== undefined) return process.drain(sink)
  const pump = (name: StreamName, stream: Stream.Stream<Uint8Array>) =>
    Stream.runForEachChunk(stream, (chunks) => Effect.sync(() => {
      for (const chunk of chunks) sink(name, chunk)
    }))
  return Effect.all([pump("stdout", process.stdout), pump("stderr", process.stderr)], { concurrency: 2, discard: true })
}

/**
 * Lets the pumps read what the shell wrote before it exited. With nothing left in the group the pipes reach
 * end-of-file at once: wait for that (within a bound). Background children may keep the pipes open: then
 * read until the output has been quiet for a moment, within a bound.
 */
const settle = Effect.fnUntraced(function*(job: Job, process: JobProcess, pumps: Fiber.Fiber<unknown>) {
  if (Option.isSome(yield* Fiber.poll(pumps))) return
  if (!(yield* process.groupAlive)) {
    yield* Fiber.await(pumps).pipe(Effect.timeout(SETTLE_EOF_BOUND), Effect.ignore)
    return
  }
  for (let round = 0; round < SETTLE_ROUNDS; round++) {
    const before = job.buffer.retained + job.buffer.bytesDropped("stdout") + job.buffer.bytesDropped("stderr")
    const done = yield* Fiber.await(pumps).pipe(Effect.timeout(SETTLE_QUIET), Effect.option)
    if (Option.isSome(done)) return
    const after = job.buffer.retained + job.buffer.bytesDropped("stdout") + job.buffer.bytesDropped("stderr")
    if (after === before) return
  }
})

/**
 * Runs a started job to its end and through its cleanup interval. Interrupting it (shutdown) marks a
 * running job `killed`; the job's scope then stops its group.
 *
 * @internal
 */
export const supervise = (
  job: Job,
  settings: SupervisorSettings,
  hooks: SupervisorHooks
): Effect.Effect<void> =>
  Effect.gen(function*() {
    const drain = (process: JobProcess) => Effect.fork(drainOutput(job, process, hooks))
    let pumps = yield* drain(job.process)
    // The time limit is the job's, across the runs of a restart policy.
    const timer = yield* Option.match(job.spec.timeout, {
      onNone: () => Effect.succeed(Option.none<Fiber.RuntimeFiber<boolean>>()),
      onSome: (timeout) =>
        Effect.sleep(timeout).pipe(
          Effect.zipRight(stopJob(job, "timed_out", settings.killGrace)),
          Effect.fork,
          Effect.map(Option.some)
        )
    })

    let exit = yield* job.process.exit
    // Under a restart policy, a run's output is read and its group swept before the next run starts.
    while (hooks.restart !== undefined && (yield* hooks.restart.wanted(job, exit))) {
      yield* settle(job, job.process, pumps)
      if (yield* job.process.groupAlive) yield* stopGroup(job.process, settings.killGrace)
      if (!(yield* hooks.restart.start(job, exit))) break
      pumps = yield* drain(job.process)
      exit = yield* job.process.exit
    }
    const process = job.process
    if (Option.isSome(timer)) yield* Fiber.interrupt(timer.value)
    // The end is decided on the shell's exit: the status is final and the slot is free at once.
    job.markExited(exit, new Date(yield* Clock.currentTimeMillis))
    // Waiters return once the output the shell wrote has been read.
    yield* settle(job, process, pumps)
    job.markDrained()
    yield* hooks.onExit(job)
    yield* Effect.logDebug("job ended").pipe(
      Effect.annotateLogs({ job: job.id, status: job.status, exitCode: exit.code, signal: exit.signal })
    )

    // The shell is gone; whatever it left running in its group goes too.
    if (yield* process.groupAlive) yield* stopGroup(process, settings.killGrace)
    yield* Effect.sleep(settings.cleanupInterval)
  }).pipe(
    Effect.onInterrupt(() => Effect.sync(() => job.markStopping("killed")))
  )
