/**
 * The dashboard's live feed: server-sent events that say what changed, never the data itself. A page is
 * told "the job list changed" (from the lifecycle events, which carry no output) and "the job it watches
 * has output beyond N bytes" (from a cheap look at that one job's byte counts), at most a few times a
 * second whatever the jobs do; it then fetches what it needs through the authenticated JSON endpoints.
 * Output chunks are never subscribed to, so an open page costs nothing per chunk of a flood.
 *
 * @since 0.1.0
 */
import * as Effect from "effect/Effect"
import * as Fiber from "effect/Fiber"
import * as Stream from "effect/Stream"
import type * as http from "node:http"
import type { JobManagerService } from "../../JobManager.js"

/**
 * Shortest time between two flushes of one feed (so at most 4 notifications a second per page).
 *
 * @since 0.1.0
 * @category constants
 */
export const FLUSH_INTERVAL_MS = 250

/** A comment line keeps proxies and the browser from closing an idle stream. */
const HEARTBEAT_EVERY = Math.round(15_000 / FLUSH_INTERVAL_MS)

/**
 * What one flush has to say, gathered since the last one.
 *
 * @since 0.1.0
 * @category models
 */
export interface Pending {
  /** Ids of jobs whose state changed; the list is stale. */
  readonly changed: Set<string>
  listStale: boolean
}

/**
 * The events one flush writes: a `jobs` event naming the changed jobs, and an `output` event when the
 * watched job's byte count moved past what was last announced. Pure: the feed's loop calls it.
 *
 * @since 0.1.0
 * @category encoding
 */
export const flushText = (
  pending: Pending,
  watched: { readonly id: string; readonly bytes: number; readonly announced: number } | undefined
): string => {
  let text = ""
  if (pending.listStale) text += `event: jobs\ndata: ${JSON.stringify({ changed: Array.from(pending.changed) })}\n\n`
  if (watched !== undefined && watched.bytes !== watched.announced) {
    text += `event: output\ndata: ${JSON.stringify({ job: watched.id, bytes: watched.bytes })}\n\n`
  }
  return text
}

/**
 * Serves one feed on `res` until the client goes away: `watch` is the job the page shows, if any.
 *
 * @since 0.1.0
 * @category feed
 */
export const serveFeed = (
  view: JobManagerService,
  req: http.IncomingMessage,
  res: http.ServerResponse,
  watch: string | undefined
): Effect.Effect<void> =>
  Effect.gen(function*() {
    res.writeHead(200, {
      "content-type": "text/event-stream; charset=utf-8",
      "cache-control": "no-store",
      "x-accel-buffering": "no"
    })
    res.write(`retry: 2000\nevent: hello\ndata: {}\n\n`)
    const pending: Pending = { changed: new Set(), listStale: false }
    const follower = yield* Stream.runForEach(view.lifecycleEvents, (event) =>
      Effect.sync(() => {
        pending.changed.add(event.jobId)
        pending.listStale = true
      })).pipe(Effect.forkDaemon)
    let announced = -1
    let ticks = 0
    const tick = Effect.gen(function*() {
      ticks++
      let watched: { readonly id: string; readonly bytes: number; readonly announced: number } | undefined
      if (watch !== undefined) {
        const details = yield* Effect.option(view.status(watch))
        if (details._tag === "Some") {
          watched = { id: watch, bytes: details.value.stdoutBytes + details.value.stderrBytes, announced }
        }
      }
      const text = flushText(pending, watched)
      pending.changed.clear()
      pending.listStale = false
      if (watched !== undefined) announced = watched.bytes
      if (text !== "") res.write(text)
      else if (ticks % HEARTBEAT_EVERY === 0) res.write(": keep-alive\n\n")
    })
    const closed = Effect.async<void>((resume) => {
      const onClose = () => resume(Effect.void)
      if (res.destroyed || res.writableEnded) return resume(Effect.void)
      req.once("close", onClose)
      res.once("close", onClose)
      return Effect.sync(() => {
        req.off("close", onClose)
        res.off("close", onClose)
      })
    })
    const loop = tick.pipe(Effect.zipRight(Effect.sleep(FLUSH_INTERVAL_MS)), Effect.forever)
    yield* Effect.raceFirst(loop, closed).pipe(
      Effect.ensuring(Fiber.interrupt(follower)),
      Effect.ensuring(Effect.sync(() => res.end()))
    )
  })
