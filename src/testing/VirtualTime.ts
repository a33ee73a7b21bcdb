/**
 * Moving a `TestClock` without its one pitfall. `TestClock.adjust(d)` fires only the timers that are set
 * when it runs: a fiber that has not reached its `Effect.sleep` yet (just forked, or waiting on real I/O)
 * sets its timer afterwards, relative to the new time, so it fires `d` later than the test expects. And when
 * `adjust` returns, the fibers it woke may not have finished reacting. `adjust` here lets every fiber reach
 * its next timer first and finish reacting afterwards; `awaitUntil` waits for a condition without moving
 * virtual time.
 *
 * @since 0.1.0
 */
import * as Chunk from "effect/Chunk"
import * as Clock from "effect/Clock"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import * as TestClock from "effect/TestClock"
import * as TestServices from "effect/TestServices"

/**
 * One turn of the event loop through its timer phase: every fiber that was ready runs, including those the
 * scheduler deferred with a zero timeout (it does so after long runs of work), and I/O callbacks are
 * delivered. No virtual time passes.
 */
const nextTurn: Effect.Effect<void> = Effect.async<void>((resume) => {
  const handle = setTimeout(() => resume(Effect.void), 0)
  return Effect.sync(() => clearTimeout(handle))
})

/**
 * The fiber's `TestClock`, if its clock is one. (`TestContext` installs the test clock as the `Clock`
 * service; there is no separate `TestClock` entry to look up.)
 *
 * @since 0.1.0
 * @category accessors
 */
export const testClock: Effect.Effect<Option.Option<TestClock.TestClock>> = Effect.clockWith((clock) =>
  Effect.succeed(
    typeof (clock as Partial<TestClock.TestClock>).adjust === "function" &&
      typeof (clock as Partial<TestClock.TestClock>).sleeps === "object"
      ? Option.some(clock as TestClock.TestClock)
      : Option.none()
  )
)

/**
 * File-system requests in flight (`fs` and `fs.promises`): a fiber waiting on one (the runtime checks a
 * job's `cwd`) has not reached its next timer yet.
 */
const pendingFileRequests = (): number =>
  process.getActiveResourcesInfo().filter((resource) => resource.startsWith("FSReq")).length

/** The due times of the pending timers and the file requests in flight, as a comparable key. */
const activityKey = (clock: Option.Option<TestClock.TestClock>): Effect.Effect<string> =>
  Option.match(clock, {
    onNone: () => Effect.sync(() => `io:${pendingFileRequests()}`),
    onSome: (clock) =>
      Effect.map(
        clock.sleeps,
        (due) => `io:${pendingFileRequests()} timers:${Chunk.toReadonlyArray(due).toSorted((a, b) => a - b).join(",")}`
      )
  })

/**
 * Options of `settle`.
 *
 * @since 0.1.0
 * @category models
 */
export interface SettleOptions {
  /** Consecutive event-loop turns without a new timer that count as settled; default 5. */
  readonly quietTurns?: number | undefined
  /** Turns after which `settle` returns even if timers keep changing (a job flooding output); default 2000. */
  readonly maxTurns?: number | undefined
}

/**
 * Lets fibers run, without moving virtual time, until for a few event-loop turns no new timer has been set
 * and no file-system request is in flight: every fiber that waits only on virtual time has reached its
 * `Effect.sleep`. Other real I/O (network, child processes) is not seen; wait for its effect with
 * `awaitUntil`.
 *
 * @since 0.1.0
 * @category combinators
 */
export const settle = (options: SettleOptions = {}): Effect.Effect<void> =>
  Effect.gen(function*() {
    const quietTurns = options.quietTurns ?? 5
    const maxTurns = options.maxTurns ?? 2_000
    const clock = yield* testClock
    let key = yield* activityKey(clock)
    let quiet = 0
    for (let turn = 0; turn < maxTurns && quiet < quietTurns; turn++) {
      yield* nextTurn
      const next = yield* activityKey(clock)
      quiet = next === key && pendingFileRequests() === 0 ? quiet + 1 : 0
      key = next
    }
  })

/**
 * `TestClock.adjust` without the pitfall: settles, moves the clock by `duration` (firing every timer due by
 * then, in order, including timers set by fibers it wakes), and settles again so that what those timers
 * started has happened when it returns. Without a `TestClock` (live time) it only settles.
 *
 * @since 0.1.0
 * @category combinators
 */
export const adjust = (duration: Duration.DurationInput): Effect.Effect<void> =>
  Effect.gen(function*() {
    yield* settle()
    const clock = yield* testClock
    if (Option.isSome(clock)) yield* clock.value.adjust(duration)
    yield* settle()
  })

/**
 * Options of `awaitUntil`.
 *
 * @since 0.1.0
 * @category models
 */
export interface AwaitOptions {
  /** Real time after which the wait gives up with a defect naming `label`; default 5 seconds. */
  readonly timeout?: Duration.DurationInput | undefined
  /** Names the condition in the failure message. */
  readonly label?: string | undefined
}

/**
 * Waits, without moving virtual time, until `condition` holds (checked once per event-loop turn); dies with
 * a message after a real-time bound. Use it for what takes real time (I/O) or to wait for a state before
 * adjusting the clock.
 *
 * @since 0.1.0
 * @category combinators
 */
export const awaitUntil = <E, R>(condition: Effect.Effect<boolean, E, R>, options: AwaitOptions = {}): Effect.Effect<void, E, R> =>
  Effect.gen(function*() {
    const realNow = TestServices.provideLive(Clock.currentTimeMillis)
    const timeout = Duration.toMillis(Duration.decode(options.timeout ?? Duration.seconds(5)))
    const deadline = (yield* realNow) + timeout
    while (!(yield* condition)) {
      if ((yield* realNow) >= deadline) {
        return yield* Effect.dieMessage(
          `VirtualTime.awaitUntil: ${options.label ?? "the condition"} did not hold within ${timeout} ms of real time`
        )
      }
      yield* nextTurn
    }
  })
