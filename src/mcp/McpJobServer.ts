/**
 * The MCP adapter: registers the job tools and the job output resources on an MCP SDK `Server` — ours in
 * the `bin`, or one an application already has, next to its own tools.
 *
 * @since 0.1.0
 */
import type { Server } from "@modelcontextprotocol/sdk/server/index.js"
import {
  CallToolRequestSchema,
  ErrorCode,
  ListResourcesRequestSchema,
  ListResourceTemplatesRequestSchema,
  ListToolsRequestSchema,
  McpError,
  ReadResourceRequestSchema,
  SubscribeRequestSchema,
  UnsubscribeRequestSchema
} from "@modelcontextprotocol/sdk/types.js"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Fiber from "effect/Fiber"
import * as FiberId from "effect/FiberId"
import * as FiberSet from "effect/FiberSet"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import type * as Scope from "effect/Scope"
import * as Stream from "effect/Stream"
import { JobManager } from "../JobManager.js"
import { jobTools } from "./jobTools.js"
import type * as McpTool from "./McpTool.js"
import { jobResourceUris, parseJobUri, readJobResource, resourceTemplates } from "./jobResources.js"

/**
 * Options of the adapter.
 *
 * @since 0.1.0
 * @category models
 */
export interface Options<R> {
  /** Tools of the application, served next to the job tools. */
  readonly tools?: ReadonlyArray<McpTool.Any<R>> | undefined
}

/** Resource update notifications for a job are sent at most this often while its output grows. */
const UPDATE_INTERVAL = Duration.millis(250)

/**
 * Registers the tools and resources on `server` (call before `server.connect`). The handlers run in the
 * calling scope's runtime; closing the scope stops the resource notifications.
 *
 * @since 0.1.0
 * @category registration
 */
export const register = <R = never>(
  server: Server,
  options: Options<R> = {}
): Effect.Effect<void, never, JobManager | Scope.Scope | R> =>
  Effect.gen(function*() {
    const jobs = yield* JobManager
    // Request handlers run as fibers of this scope: closing it (server shutdown, a closed HTTP session) ends
    // the calls still in flight, such as a long wait.
    const runFork = yield* FiberSet.makeRuntime<JobManager | R>()
    const runPromise = <A, E>(effect: Effect.Effect<A, E, JobManager | R>, options?: { readonly signal?: AbortSignal }) => {
      const fiber = runFork(effect)
      const signal = options?.signal
      if (signal !== undefined) {
        const cancel = () => fiber.unsafeInterruptAsFork(FiberId.none)
        if (signal.aborted) cancel()
        else signal.addEventListener("abort", cancel, { once: true })
      }
      return Effect.runPromise(Fiber.join(fiber))
    }
    const tools = new Map<string, McpTool.Any<JobManager | R>>()
    for (const tool of [...jobTools, ...(options.tools ?? [])]) tools.set(tool.name, tool)

    server.registerCapabilities({ tools: {}, resources: { subscribe: true, listChanged: true } })

    server.setRequestHandler(ListToolsRequestSchema, () =>
      Promise.resolve({ tools: Array.from(tools.values(), (tool) => tool.definition) }))

    server.setRequestHandler(CallToolRequestSchema, (request, extra) => {
      const tool = tools.get(request.params.name)
      if (tool === undefined) {
        return Promise.reject(
          new McpError(ErrorCode.InvalidParams, `Unknown tool ${JSON.stringify(request.params.name)}. Call tools/list to see the tools.`)
        )
      }
      const progressToken = request.params._meta?.progressToken
      const context: McpTool.ToolContext = {
        hasProgressToken: progressToken !== undefined,
        progress: (progress, message) =>
          progressToken === undefined ?
            Effect.void :
            Effect.tryPromise(() =>
              extra.sendNotification({
                method: "notifications/progress",
                params: { progressToken, progress, ...(message === undefined ? {} : { message }) }
              })
            ).pipe(Effect.ignore)
      }
      return runPromise(tool.call(request.params.arguments, context), { signal: extra.signal })
    })

    // ---- resources ----

    const subscriptions = new Set<string>()
    /** Output size last reported per subscribed URI. */
    const notifiedSizes = new Map<string, number>()
    const currentSize = (uri: string) => {
      const parsed = parseJobUri(uri)
      if (parsed === undefined) return Effect.succeed(Option.none<number>())
      return Effect.option(jobs.status(parsed.jobId)).pipe(
        Effect.map(Option.map((job) =>
          parsed.view === "stdout" ?
            job.stdoutBytes :
            parsed.view === "stderr" ?
            job.stderrBytes :
            job.stdoutBytes + job.stderrBytes
        ))
      )
    }

    server.setRequestHandler(ListResourcesRequestSchema, () =>
      runPromise(
        Effect.map(jobs.list, (all) => ({
          resources: all.map((job) => ({
            uri: jobResourceUris(job.id).output,
            name: `job ${job.id}`,
            title: job.command,
            description: `Output of \`${job.command}\` (${job.status})`,
            mimeType: "text/plain"
          }))
        }))
      ))

    server.setRequestHandler(ListResourceTemplatesRequestSchema, () => Promise.resolve({ resourceTemplates }))

    server.setRequestHandler(ReadResourceRequestSchema, (request) =>
      runPromise(
        readJobResource(request.params.uri).pipe(
          Effect.catchAll((error) => Effect.fail(new McpError(-32002, error.message, { uri: request.params.uri }))),
          Effect.either
        )
      ).then((result) => (result._tag === "Right" ? result.right : Promise.reject(result.left))))

    server.setRequestHandler(SubscribeRequestSchema, (request) => {
      if (parseJobUri(request.params.uri) === undefined) {
        return Promise.reject(
          new McpError(ErrorCode.InvalidParams, `Cannot subscribe to ${request.params.uri}: use job://<job_id>/output, /stdout or /stderr.`)
        )
      }
      const uri = request.params.uri
      subscriptions.add(uri)
      // Growth is reported from the size the subscriber could read when it subscribed.
      return runPromise(
        Effect.map(currentSize(uri), (size) => {
          notifiedSizes.set(uri, Option.getOrElse(size, () => 0))
          return {}
        })
      )
    })

    server.setRequestHandler(UnsubscribeRequestSchema, (request) => {
      subscriptions.delete(request.params.uri)
      notifiedSizes.delete(request.params.uri)
      return Promise.resolve({})
    })

    const notify = (send: () => Promise<void>) => Effect.tryPromise(send).pipe(Effect.ignore)
    let listChanged = false

    // Exits and the job list are reported from lifecycle events, at once for exits; output growth is
    // checked every UPDATE_INTERVAL for subscribed URIs only, so a flooding job costs a few notifications
    // a second and unsubscribed output costs nothing.
    yield* jobs.lifecycleEvents.pipe(
      Stream.runForEach((event) => {
        if (event._tag === "Removed") {
          // The job is gone: so are its subscriptions.
          for (const uri of Object.values(jobResourceUris(event.jobId))) {
            subscriptions.delete(uri)
            notifiedSizes.delete(uri)
          }
        }
        if (event._tag !== "Exited") {
          listChanged = true
          return Effect.void
        }
        const uris = Object.values(jobResourceUris(event.jobId)).filter((uri) => subscriptions.has(uri))
        return Effect.forEach(uris, (uri) => notify(() => server.sendResourceUpdated({ uri })), { discard: true })
      }),
      Effect.forkScoped
    )

    const flush = Effect.gen(function*() {
      for (const uri of subscriptions) {
        const size = yield* currentSize(uri)
        if (Option.isSome(size) && notifiedSizes.get(uri) !== size.value) {
          notifiedSizes.set(uri, size.value)
          yield* notify(() => server.sendResourceUpdated({ uri }))
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
 * The adapter as a layer: registers on `server` for the layer's lifetime.
 *
 * @since 0.1.0
 * @category layers
 */
export const layer = <R = never>(server: Server, options: Options<R> = {}): Layer.Layer<never, never, JobManager | R> =>
  Layer.scopedDiscard(register(server, options))
