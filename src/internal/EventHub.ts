/**
 * The runtime's event hub: one sliding `PubSub` of `JobEvent`s, with each subscriber's buffer bounded (the
 * oldest events dropped, a job never blocked). Output chunks are published only while someone subscribed to
 * them, since building an event per chunk costs on every read of a flood.
 *
 * @internal
 */
import * as Effect from "effect/Effect"
import * as PubSub from "effect/PubSub"
import type * as Queue from "effect/Queue"
import type * as Scope from "effect/Scope"
import * as Stream from "effect/Stream"
import { JobEvent } from "../domain/JobEvent.js"
import type { StreamName } from "../OutputBuffer.js"
import type { Job } from "./Job.js"

/** Events kept for a subscriber that has not read them yet; beyond this the oldest are dropped. @internal */
export const EVENT_BUFFER = 512

/** @internal */
export interface EventHub {
  /** Publishes a lifecycle event (free when nobody subscribed). */
  readonly publish: (event: JobEvent) => Effect.Effect<void>
  /**
   * Publishes an output chunk at once, when a subscriber wants output (otherwise it costs a comparison). The
   * chunk is copied: the caller's may be a view of a reused read buffer.
   */
  readonly publishOutput: (job: Job, stream: StreamName, bytes: Uint8Array) => void
  /** A queue subscribed at once, for the scope's lifetime. */
  readonly subscription: (withOutput: boolean) => Effect.Effect<Queue.Dequeue<JobEvent>, never, Scope.Scope>
  /** The events as a stream (subscribed when the stream starts); without output chunks unless `withOutput`. */
  readonly stream: (withOutput: boolean) => Stream.Stream<JobEvent>
}

/** @internal */
export const makeEventHub: Effect.Effect<EventHub> = Effect.gen(function*() {
  const events = yield* PubSub.sliding<JobEvent>(EVENT_BUFFER)
  /** Subscribers of any kind, and those that want output chunks. */
  let subscribers = 0
  let outputSubscribers = 0

  const subscription = (withOutput: boolean) =>
    Effect.acquireRelease(
      Effect.sync(() => {
        subscribers++
        if (withOutput) outputSubscribers++
      }),
      () =>
        Effect.sync(() => {
          subscribers--
          if (withOutput) outputSubscribers--
        })
    ).pipe(Effect.zipRight(PubSub.subscribe(events)))

  return {
    publish: (event) => (subscribers > 0 ? PubSub.publish(events, event) : Effect.void),
    publishOutput: (job, stream, bytes) => {
      if (outputSubscribers === 0) return
      // Published through the sliding strategy, which drops a slow subscriber's oldest events; it never waits.
      Effect.runSync(PubSub.publish(
        events,
        JobEvent.Output({ jobId: job.id, stream, bytes: Uint8Array.prototype.slice.call(bytes), cursor: job.cursorAt(job.buffer.position) })
      ))
    },
    subscription,
    stream: (withOutput) =>
      Stream.unwrapScoped(
        subscription(withOutput).pipe(
          Effect.map((queue) => {
            const stream = Stream.fromQueue(queue)
            return withOutput ? stream : Stream.filter(stream, (event) => event._tag !== "Output")
          })
        )
      )
  }
})
