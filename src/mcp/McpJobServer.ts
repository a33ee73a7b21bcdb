/**
 * The MCP adapter: registers the job tools and the job output resources on an MCP SDK `Server` — ours in
 * the `bin`, or one an application already has, next to its own tools.
 *
 * @since 0.1.0
 */
import type { Server } from "@modelcontextprotocol/sdk/server/index.js"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import type * as Scope from "effect/Scope"
import { JobManager } from "../JobManager.js"
import * as HandlerRuntime from "./handlerRuntime.js"
import { jobTools } from "./jobTools.js"
import type * as McpTool from "./McpTool.js"
import { registerResources } from "./resourceHandlers.js"
import * as SessionNotices from "./SessionNotices.js"
import { registerTools, toolTable } from "./toolHandlers.js"

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

/**
 * Registers the tools and resources on `server` (call before `server.connect`), for one session: every
 * tool result carries the jobs that ended since the session's previous result, and each job that ends is
 * sent as a logging notification. The handlers run in the calling scope's runtime; closing the scope ends
 * the calls in flight and stops the notifications. Construct the `Server` with the `logging` capability
 * so that the SDK answers `logging/setLevel` itself (otherwise the adapter does, for its notices alone).
 *
 * @since 0.1.0
 * @category registration
 */
export const register = <R = never>(
  server: Server,
  options: Options<R> = {}
): Effect.Effect<void, never, JobManager | Scope.Scope | R> =>
  Effect.gen(function*() {
    const runtime = yield* HandlerRuntime.make<JobManager | R>()
    const jobs = yield* JobManager
    server.registerCapabilities({ tools: {}, resources: { subscribe: true, listChanged: true }, logging: {} })
    const notices = yield* SessionNotices.follow(server)
    registerTools(server, toolTable<JobManager | R>([...jobTools, ...(options.tools ?? [])]), runtime, {
      maxResultSize: jobs.maxResultSize,
      notices
    })
    yield* registerResources(server, runtime)
  })

/**
 * The adapter as a layer: registers on `server` for the layer's lifetime.
 *
 * @since 0.1.0
 * @category layers
 */
export const layer = <R = never>(server: Server, options: Options<R> = {}): Layer.Layer<never, never, JobManager | R> =>
  Layer.scopedDiscard(register(server, options))
