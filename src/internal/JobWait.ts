/**
 * Waiting on a job (or on several at once): until it ends, a line of new output matches a pattern, it has
 * been quiet for a while, or a deadline passes — without polling, and without a wake-up per output chunk
 * unless the wait needs to look at output.
 *
 * @since 0.1.0
 */
import * as Clock from "effect/Clock"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import * as Queue from "effect/Queue"
import type { WaitReason } from "../domain/JobStatus.js"
import type { Job } from "./Job.js"
import { LineScanner, readSince, yieldToEventLoop } from "./JobOutput.js"
import { cutLine } from "./ResultBudget.js"
import type { LinePattern } from "./LinePattern.js"
import type { Position } from "../OutputBuffer.js"

/**
 * When a wait returns.
 *
 * @internal
 */
export interface WaitBounds {
  readonly timeout: Duration.Duration
  /** Return when a line of output after the start position matches. */
  readonly until?: LinePattern | undefined
  /** Return once no output arrived for this long. */
  readonly idle?: Duration.Duration | undefined
  /** Return once the job listens on this TCP or UDP port, or on any (`true`). */
  readonly untilPort?: PortWanted | undefined
  /** The result budget of the output returned. */
  readonly budget: number
  readonly raw?: boolean | undefined
}

const totalSeen = (job: Job) => job.buffer.bytesSeen("stdout") + job.buffer.bytesSeen("stderr")

/**
 * A port to wait for: a number, or `true` for any.
 *
 * @internal
 */
export type PortWanted = true | number

/** Whether the job listens on the port wanted. @internal */
export const listensOn = (job: Job, wanted: PortWanted): boolean => {
  const ports = job.ports
  if (ports === null) return false
  // "Any port" means a server listening: a bound UDP socket may be a client's (DNS, mDNS).
  return wanted === true ? ports.tcp.length > 0 : [...ports.tcp, ...ports.udp].some((port) => port.port === wanted)
}

/** The most of a matched line a result carries. */
const MATCHED_LINE_BUDGET = 1024

/**
 * Waits on `job` within `bounds`, then reads what arrived after `from`.
 *
 * @internal
 */
export const awaitJob = Effect.fnUntraced(function*(job: Job, from: Position, bounds: WaitBounds) {
  const scanner = bounds.until === undefined ? undefined : new LineScanner(job, from, bounds.until, bounds.raw)
  const [reason, matchedLine] = yield* waitFor(job, scanner, bounds)
  return resultOf(job, from, reason, matchedLine, bounds)
})

/** What a wait tells about `job` once it returned: its state, why, and the output after `from`. */
const resultOf = (job: Job, from: Position, reason: WaitReason, matchedLine: string | undefined, bounds: WaitBounds) => {
  const view = readSince(job, from, { raw: bounds.raw, budget: bounds.budget })
  return {
    ...view,
    status: job.status,
    exitCode: job.exit?.code ?? null,
    reason,
    // The line is output too: one that is megabytes long is cut to fit (a small max_bytes, for the output only,
    // must not hide what matched).
    matchedLine: Option.map(Option.fromNullable(matchedLine), (line) => cutLine(line, MATCHED_LINE_BUDGET)),
    ...(bounds.untilPort === undefined ? {} : { ports: job.ports })
  }
}

const waitFor = (
  job: Job,
  scanner: LineScanner | undefined,
  bounds: WaitBounds
): Effect.Effect<readonly [WaitReason, string | undefined]> =>
  Effect.gen(function*() {
    // Most waits on an ended job, or on output already there, need no machinery at all.
    const early = scanner?.scan()
    if (early !== undefined) return ["matched", early] as const
    // Output not looked at yet may hold the line: the job's end or its port do not decide before it has been.
    if (scanner?.behind !== true) {
      if (bounds.untilPort !== undefined && listensOn(job, bounds.untilPort)) return ["listening", undefined] as const
      if (job.settled) return ["exited", undefined] as const
    }
    const startedAt = yield* Clock.currentTimeMillis
    const deadline = startedAt + Duration.toMillis(bounds.timeout)
    const idleMillis = bounds.idle === undefined ? undefined : Duration.toMillis(bounds.idle)
    let lastActivity = startedAt
    let lastSeen = totalSeen(job)

    // One slot: wake-ups that come while the waiter is busy collapse into one.
    const wakeups = yield* Queue.sliding<void>(1)
    const wake = () => {
      Queue.unsafeOffer(wakeups, undefined)
    }
    const watchesOutput = scanner !== undefined || idleMillis !== undefined
    const unlisten = [
      job.stateChanged.listen(wake),
      ...(watchesOutput ? [job.outputArrived.listen(wake)] : []),
      ...(bounds.untilPort === undefined ? [] : [job.portsChanged.listen(wake)])
    ]

    // One timer at a time wakes the waiter when the deadline or the quiet window may have passed. The moment only
    // moves later (activity pushes the quiet window out), so a pending timer is never replaced: when it fires
    // early, the waiter looks again and sets the next one. Output alone costs no timer.
    let timerAt = Number.POSITIVE_INFINITY
    const wakeAt = (at: number, now: number) =>
      timerAt <= at ?
        Effect.void :
        Effect.sync(() => {
          timerAt = at
        }).pipe(
          Effect.zipRight(
            Effect.sleep(Duration.millis(at - now)).pipe(
              Effect.zipRight(Effect.sync(() => {
                timerAt = Number.POSITIVE_INFINITY
                wake()
              })),
              Effect.forkScoped
            )
          )
        )

    const decide = Effect.gen(function*() {
      while (true) {
        const matched = scanner?.scan()
        if (matched !== undefined) return ["matched", matched] as const
        if (scanner?.behind === true) {
          // Megabytes to scan: a step at a time, letting other calls and the pipes run in between.
          if ((yield* Clock.currentTimeMillis) >= deadline) return ["timeout", undefined] as const
          yield* yieldToEventLoop
          continue
        }
        if (bounds.untilPort !== undefined && listensOn(job, bounds.untilPort)) return ["listening", undefined] as const
        if (job.settled) return ["exited", undefined] as const
        const now = yield* Clock.currentTimeMillis
        const seen = totalSeen(job)
        if (seen !== lastSeen) {
          lastSeen = seen
          lastActivity = now
        }
        if (now >= deadline) return ["timeout", undefined] as const
        if (idleMillis !== undefined && now - lastActivity >= idleMillis) return ["idle", undefined] as const
        yield* wakeAt(idleMillis === undefined ? deadline : Math.min(deadline, lastActivity + idleMillis), now)
        yield* Queue.take(wakeups)
      }
    })

    return yield* decide.pipe(Effect.scoped, Effect.ensuring(Effect.sync(() => unlisten.forEach((remove) => remove()))))
  })

/**
 * A job waited on together with others, and where its new output starts.
 *
 * @internal
 */
export interface Watched {
  readonly job: Job
  readonly from: Position
}

/** Why a job's wait is over, once it is. */
interface Outcome {
  readonly reason: "exited" | "matched"
  readonly matchedLine?: string | undefined
}

/** Where a wait on several jobs stands: each job's outcome so far, and which job was done last (-1: none). */
interface Progress {
  readonly outcomes: ReadonlyArray<Outcome | undefined>
  readonly last: number
}

/**
 * Waits until the first of `watched` ends or prints a line matching `until`, or the timeout passes; then
 * reads that job's output (at the timeout, the first job's).
 *
 * @internal
 */
export const awaitAnyJob = Effect.fnUntraced(function*(watched: ReadonlyArray<Watched>, bounds: WaitBounds) {
  const { last, outcomes } = yield* waitForJobs(watched, bounds, false)
  const index = Math.max(last, 0)
  const { from, job } = watched[index]!
  const outcome = outcomes[index]
  return { id: job.id, ...resultOf(job, from, outcome?.reason ?? "timeout", outcome?.matchedLine, bounds) }
})

/**
 * Waits until every one of `watched` has ended or printed a line matching `until`, or the timeout passes;
 * then tells how each stands, with the output of the job the wait ended on (the last one done, or at the
 * timeout the first one not done).
 *
 * @internal
 */
export const awaitAllJobs = Effect.fnUntraced(function*(watched: ReadonlyArray<Watched>, bounds: WaitBounds) {
  const { last, outcomes } = yield* waitForJobs(watched, bounds, true)
  const pending = outcomes.findIndex((outcome) => outcome === undefined)
  const index = pending >= 0 ? pending : Math.max(last, 0)
  const { from, job } = watched[index]!
  const jobs = watched.map(({ job }, i) => ({
    id: job.id,
    status: job.status,
    exitCode: job.exit?.code ?? null,
    reason: outcomes[i]?.reason ?? "timeout" as const
  }))
  const result = resultOf(job, from, outcomes[index]?.reason ?? "timeout", outcomes[index]?.matchedLine, bounds)
  const everyMatched = pending < 0 && outcomes.every((outcome) => outcome?.reason === "matched")
  return { id: job.id, ...result, reason: pending >= 0 ? "timeout" as const : everyMatched ? "matched" as const : "exited" as const, jobs }
})

/**
 * Waits on several jobs until the first is done (or, with `all`, every one), or the deadline passes. Each
 * job's state changes (and its output, when `until` looks at it) wake the one waiter; one timer ends it.
 */
const waitForJobs = (watched: ReadonlyArray<Watched>, bounds: WaitBounds, all: boolean): Effect.Effect<Progress> =>
  Effect.gen(function*() {
    const until = bounds.until
    const scanners = watched.map(({ from, job }) => (until === undefined ? undefined : new LineScanner(job, from, until, bounds.raw)))
    const outcomes: Array<Outcome | undefined> = watched.map(() => undefined)
    let last = -1
    /** Looks at each job not done yet; true when the wait is over. */
    const look = (): boolean => {
      let pending = 0
      for (let i = 0; i < watched.length; i++) {
        if (outcomes[i] !== undefined) continue
        const matched = scanners[i]?.scan()
        const outcome: Outcome | undefined = matched !== undefined ?
          { reason: "matched", matchedLine: matched } :
          scanners[i]?.behind !== true && watched[i]!.job.settled ?
          { reason: "exited" } :
          undefined
        if (outcome === undefined) {
          pending++
          continue
        }
        outcomes[i] = outcome
        last = i
        if (!all) return true
      }
      return all && pending === 0
    }
    const progress = (): Progress => ({ outcomes, last })
    if (look()) return progress()

    const deadline = (yield* Clock.currentTimeMillis) + Duration.toMillis(bounds.timeout)
    // One slot: wake-ups that come while the waiter is busy collapse into one.
    const wakeups = yield* Queue.sliding<void>(1)
    const wake = () => {
      Queue.unsafeOffer(wakeups, undefined)
    }
    const unlisten = watched.flatMap(({ job }) => [
      job.stateChanged.listen(wake),
      ...(until === undefined ? [] : [job.outputArrived.listen(wake)])
    ])

    const decide = Effect.gen(function*() {
      const now = yield* Clock.currentTimeMillis
      if (now < deadline) {
        yield* Effect.sleep(Duration.millis(deadline - now)).pipe(Effect.zipRight(Effect.sync(wake)), Effect.forkScoped)
      }
      // Looked at again once listening: nothing that happened since the first look goes unseen.
      while (!look() && (yield* Clock.currentTimeMillis) < deadline) {
        // Megabytes to scan: a step at a time, letting other calls and the pipes run in between.
        if (scanners.some((scanner) => scanner?.behind === true)) yield* yieldToEventLoop
        else yield* Queue.take(wakeups)
      }
      return progress()
    })

    return yield* decide.pipe(Effect.scoped, Effect.ensuring(Effect.sync(() => unlisten.forEach((remove) => remove()))))
  })
