/**
 * Waiting for a condition on real processes: poll it until it holds or a deadline passes, never a fixed sleep.
 * Promise forms for plain vitest tests, Effect forms for `it.live` tests.
 */
import * as Clock from "effect/Clock"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"

const INTERVAL_MS = 25

/** Polls `check` until it returns true or the deadline passes; returns the last result. */
export const eventually = async (check: () => boolean | Promise<boolean>, timeoutMs = 10_000, intervalMs = INTERVAL_MS): Promise<boolean> => {
  const deadline = Date.now() + timeoutMs
  while (true) {
    if (await check()) return true
    if (Date.now() >= deadline) return false
    await new Promise((resolve) => setTimeout(resolve, intervalMs))
  }
}

/** Waits until `check` holds, failing the test with `what` when the deadline passes. */
export const expectEventually = async (what: string, check: () => boolean | Promise<boolean>, timeoutMs = 15_000): Promise<void> => {
  if (!(await eventually(check, timeoutMs))) throw new Error(timedOut(what, timeoutMs))
}

const timedOut = (what: string, timeoutMs: number) => `timed out after ${timeoutMs} ms waiting until ${what}`

/** A condition as a function of the moment, or as an effect (a look at the job runtime). */
export type Check<E, R> = (() => boolean) | Effect.Effect<boolean, E, R>

/** `eventually` as an effect, on the clock of the test (`it.live`: the real one). */
export const eventuallyEffect = Effect.fnUntraced(function*<E = never, R = never>(check: Check<E, R>, timeoutMs = 10_000) {
  const look = typeof check === "function" ? Effect.sync(check) : check
  const deadline = (yield* Clock.currentTimeMillis) + timeoutMs
  while (true) {
    if (yield* look) return true
    if ((yield* Clock.currentTimeMillis) >= deadline) return false
    yield* Effect.sleep(Duration.millis(INTERVAL_MS))
  }
})

/** `expectEventually` as an effect: dies with `what` when the deadline passes. */
export const expectEventuallyEffect = <E = never, R = never>(what: string, check: Check<E, R>, timeoutMs = 15_000): Effect.Effect<void, E, R> =>
  Effect.flatMap(eventuallyEffect(check, timeoutMs), (held) => (held ? Effect.void : Effect.dieMessage(timedOut(what, timeoutMs))))
