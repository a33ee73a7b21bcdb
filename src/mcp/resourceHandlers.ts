/**
 * Job output as MCP resources on a `Server`: `resources/list`, the templates, `resources/read`,
 * subscriptions, and the notifications that follow the jobs (`resources/updated` while a subscribed
 * view grows and when its job ends, `resources/list_changed` when jobs come and go).
 *
 * @since 0.1.0
 */
import type { Server } from "@modelcontextprotocol/sdk/server/index.js"
import {
  ErrorCode,
  ListResourcesRequestSchema,
  ListResourceTemplatesRequestSchema,
  type ListResourcesResult,
  McpError,
  ReadResourceRequestSchema,
  SubscribeRequestSchema,
  UnsubscribeRequestSchema
} from "@modelcontextprotocol/sdk/types.js"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import type * as Scope from "effect/Scope"
import * as Stream from "effect/Stream"
import { JobManager, type JobManagerService } from "../JobManager.js"
import type { HandlerRuntime } from "./handlerRuntime.js"
import { jobResourceUris, parseJobUri, readJobResource, resourceTemplates } from "./jobResources.js"
import { Subscriptions, viewSize } from "./Subscriptions.js"

/** Resource update notifications for a job are sent at most this often while its output grows. */
const UPDATE_INTERVAL = Duration.millis(250)

/** MCP's code for a resource that does not exist. */
const RESOURCE_NOT_FOUND = -32002

const resourceNotFound = (uri: string, message: string) => new McpError(RESOURCE_NOT_FOUND, message, { uri })

const listResources = (jobs: JobManagerService): Effect.Effect<ListResourcesResult> =>
  Effect.map(jobs.list, (all) => ({
    resources: all.map((job) => ({
      uri: jobResourceUris(job.id).output,
      name: `job ${job.id}`,
      title: job.command,
      description: `Output of \`${job.command}\` (${job.status})`,
      mimeType: "text/plain"
    }))
  }))

/** Subscribes to a view of an existing job; growth is reported from the size the client could read now. */
const subscribe = Effect.fnUntraced(function*(jobs: JobManagerService, subscriptions: Subscriptions, uri: string) {
  const parsed = parseJobUri(uri)
  if (parsed === undefined) {
    return yield* Effect.fail(
      new McpError(ErrorCode.InvalidParams, `Cannot subscribe to ${uri}: use job://<job_id>/output, /stdout or /stderr.`)
    )
  }
  const job = yield* Effect.mapError(jobs.status(parsed.jobId), (error) => resourceNotFound(uri, error.message))
  subscriptions.add({ uri, ...parsed }, viewSize(job, parsed.view))
  return {}
})

const notify = (send: () => Promise<void>) => Effect.tryPromise(send).pipe(Effect.ignore)

/**
 * Follows the jobs for the scope's lifetime. Exits and the job list are reported from lifecycle events, at
 * once for exits; output growth is checked every UPDATE_INTERVAL for subscribed URIs only, so a flooding
 * job costs a few notifications a second and unsubscribed output costs nothing. The same check drops the
 * subscriptions whose job has gone, including one added while its job was being removed.
 */
const followJobs = Effect.fnUntraced(function*(server: Server, jobs: JobManagerService, subscriptions: Subscriptions) {
  let listChanged = false

  yield* jobs.lifecycleEvents.pipe(
    Stream.runForEach((event) => {
      if (event._tag === "Removed") subscriptions.removeJob(event.jobId)
      if (event._tag !== "Exited") {
        listChanged = true
        return Effect.void
      }
      return Effect.forEach(subscriptions.urisOf(event.jobId), (uri) => notify(() => server.sendResourceUpdated({ uri })), {
        discard: true
      })
    }),
    Effect.forkScoped
  )

  const flush = Effect.gen(function*() {
    for (const subscription of subscriptions.all()) {
      const job = yield* Effect.option(jobs.status(subscription.jobId))
      const size = Option.match(job, { onNone: () => undefined, onSome: (job) => viewSize(job, subscription.view) })
      if (subscriptions.observe(subscription.uri, size) === "changed") {
        yield* notify(() => server.sendResourceUpdated({ uri: subscription.uri }))
      }
    }
    if (listChanged) {
      listChanged = false
      yield* notify(() => server.sendResourceListChanged())
    }
  })
  yield* flush.pipe(Effect.zipRight(Effect.sleep(UPDATE_INTERVAL)), Effect.forever, Effect.forkScoped)
})

/**
 * Sets the resource handlers of `server` and follows the jobs until the scope closes.
 *
 * @since 0.1.0
 * @category registration
 */
export const registerResources = (
  server: Server,
  runtime: HandlerRuntime<JobManager>
): Effect.Effect<void, never, JobManager | Scope.Scope> =>
  Effect.gen(function*() {
    const jobs = yield* JobManager
    const subscriptions = new Subscriptions()

    server.setRequestHandler(ListResourcesRequestSchema, () => runtime.run(listResources(jobs)))

    server.setRequestHandler(ListResourceTemplatesRequestSchema, () => Promise.resolve({ resourceTemplates }))

    server.setRequestHandler(ReadResourceRequestSchema, (request) =>
      runtime.run(
        Effect.mapError(readJobResource(request.params.uri), (error) => resourceNotFound(request.params.uri, error.message))
      ))

    server.setRequestHandler(SubscribeRequestSchema, (request) => runtime.run(subscribe(jobs, subscriptions, request.params.uri)))

    server.setRequestHandler(UnsubscribeRequestSchema, (request) => {
      subscriptions.remove(request.params.uri)
      return Promise.resolve({})
    })

    yield* followJobs(server, jobs, subscriptions)
  })
