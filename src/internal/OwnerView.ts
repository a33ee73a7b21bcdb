/**
 * One owner's view of the runtime: the same operations restricted to the jobs that owner started. Ownership
 * is checked by id before each operation, so another owner's job answers exactly like one that never existed;
 * a view asked for another owner (`permitted: false`) sees no job and starts none.
 *
 * @internal
 */
import * as Effect from "effect/Effect"
import * as PubSub from "effect/PubSub"
import * as Stream from "effect/Stream"
import { InvalidArgument, JobNotFound, JobsNotFound } from "../domain/errors.js"
import type { JobEvent } from "../domain/JobEvent.js"
import type { JobManagerService } from "../JobManager.js"
import { type EventHub, EVENT_BUFFER } from "./EventHub.js"
import { checkSignal } from "./jobArguments.js"
import type { JobTable } from "./JobTable.js"

/** @internal */
export const ownedView = (
  manager: JobManagerService,
  table: JobTable,
  hub: EventHub,
  owner: string,
  permitted: boolean
): JobManagerService => {
  const owns = (id: string) => permitted && table.get(id)?.spec.owner === owner
  const ifOwned = <A, E>(id: string, operation: () => Effect.Effect<A, E>): Effect.Effect<A, E | JobNotFound> =>
    Effect.suspend((): Effect.Effect<A, E | JobNotFound> => (owns(id) ? operation() : Effect.fail(new JobNotFound({ jobId: id }))))
  const ifOwnsAll = <A, E>(ids: ReadonlyArray<string>, operation: () => Effect.Effect<A, E>): Effect.Effect<A, E | JobsNotFound> =>
    Effect.suspend((): Effect.Effect<A, E | JobsNotFound> => {
      const foreign = Array.from(new Set(ids)).filter((id) => !owns(id))
      return foreign.length === 0 ? operation() : Effect.fail(new JobsNotFound({ jobIds: foreign }))
    })
  // A removed job is gone from the table, so its removal is recognised by the ids this subscriber saw.
  const ownEvents = (stream: Stream.Stream<JobEvent>) =>
    Stream.suspend(() => {
      const seen = new Set(Array.from(table.all(), (job) => job.id).filter(owns))
      return Stream.filter(stream, (event) => {
        if (event._tag === "Removed") return seen.delete(event.jobId)
        if (!owns(event.jobId)) return false
        seen.add(event.jobId)
        return true
      })
    })
  const view: JobManagerService = {
    maxResultSize: manager.maxResultSize,
    execute: (options) =>
      permitted ?
        manager.execute({ ...options, owner }) :
        Effect.fail(new InvalidArgument({ argument: "owner", reason: `this view cannot start jobs for ${JSON.stringify(owner)}.` })),
    list: Effect.map(manager.list, (summaries) => summaries.filter((job) => owns(job.id))),
    status: (id) => ifOwned(id, () => manager.status(id)),
    output: (id, options) => ifOwned(id, () => manager.output(id, options)),
    transcript: (id, options) => ifOwned(id, () => manager.transcript(id, options)),
    tail: (id, lines, options) => ifOwned(id, () => manager.tail(id, lines, options)),
    interact: (id, input, options) => ifOwned(id, () => manager.interact(id, input, options)),
    kill: (id, options) =>
      Effect.suspend(() => (owns(id) ? manager.kill(id, options) : Effect.as(checkSignal(options?.signal), "not_found" as const))),
    wait: (id, options) => ifOwned(id, () => manager.wait(id, options)),
    waitAny: (ids, options) => ifOwnsAll(ids, () => manager.waitAny(ids, options)),
    waitAll: (ids, options) => ifOwnsAll(ids, () => manager.waitAll(ids, options)),
    awaitPortsFree: manager.awaitPortsFree,
    restart: (id) => ifOwned(id, () => manager.restart(id)),
    events: ownEvents(hub.stream(true)),
    lifecycleEvents: ownEvents(hub.stream(false)),
    // The owner's events, forwarded into a queue of its own (same bound, same drop-oldest rule).
    subscribe: Effect.gen(function*() {
      const own = yield* Effect.acquireRelease(PubSub.sliding<JobEvent>(EVENT_BUFFER), PubSub.shutdown)
      const queue = yield* PubSub.subscribe(own)
      const source = yield* hub.subscription(true)
      yield* ownEvents(Stream.fromQueue(source)).pipe(
        Stream.runForEach((event) => PubSub.publish(own, event)),
        Effect.forkScoped
      )
      return queue
    }),
    ownedBy: (other) => (other === owner ? view : ownedView(manager, table, hub, other, false))
  }
  return view
}
