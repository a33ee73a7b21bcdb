/**
 * Serving the job tools over stdio: an MCP SDK `Server` with the adapter registered, on the SDK's stdio
 * transport. Runs until stdin closes (which the SDK transport does not notice by itself).
 *
 * @since 0.1.0
 */
import { Server } from "@modelcontextprotocol/sdk/server/index.js"
import type { JSONRPCMessage } from "@modelcontextprotocol/sdk/types.js"
import { ErrorCode } from "@modelcontextprotocol/sdk/types.js"
import * as Deferred from "effect/Deferred"
import * as Effect from "effect/Effect"
import type * as Scope from "effect/Scope"
import type { JobManager } from "../JobManager.js"
import { stderrLogger } from "../main/logging.js"
import { errorWithoutId } from "./jsonRpc.js"
import * as McpJobServer from "./McpJobServer.js"

/**
 * What the server says about itself in `initialize`.
 *
 * @since 0.1.0
 * @category models
 */
export interface ServerInfo {
  readonly name: string
  readonly version: string
}

/**
 * Guidance sent to the client in `initialize`, for the agent's context.
 *
 * @since 0.1.0
 * @category models
 */
export const instructions =
  "Run long shell commands (dev servers, builds, test suites, REPLs) as background jobs. " +
  "execute starts one and returns its job_id and a cursor at once (add wait_ms for a short command). " +
  "Then call wait with until, an RE2 pattern such as \"ready|error\", to block until the job prints that line or ends: " +
  "never poll status or sleep. Pass the cursor from the previous result to wait or output to get only what came after it. " +
  "A result carries a bounded amount of output (32 KiB by default; max_bytes sets it for one call): output with a cursor pages through everything " +
  "(call again with the new cursor while remaining_bytes > 0); other results show the head and the tail around a marker, " +
  "and omitted_cursor reads the middle. output's filter (with context) searches a log; tail shows the last lines; " +
  "interact writes to stdin and returns the reply; kill stops a job and everything it started; restart runs it again. " +
  "Every result carries notices: your jobs that ended since your previous call, each reported once."

/** The most a single JSON-RPC message may hold; large `interact` inputs must fit. */
const MAX_MESSAGE_BYTES = 128 * 1024 * 1024

/**
 * A JSON-RPC error for a line that is not a message: -32700 when it is not JSON, -32600 when it is JSON
 * but not JSON-RPC. The SDK only reports these to `onerror`; the spec wants an answer.
 */
const protocolErrorFor = (error: Error): JSONRPCMessage | undefined => {
  if (error instanceof SyntaxError) {
    return errorWithoutId(ErrorCode.ParseError, "Parse error: the line is not valid JSON.")
  }
  if (error.name === "ZodError") {
    return errorWithoutId(ErrorCode.InvalidRequest, "Invalid request: the message is not a JSON-RPC 2.0 request, notification or response.")
  }
  return undefined
}

/**
 * Serves the job tools on stdin/stdout until stdin closes or stdout breaks. Logs go to stderr.
 *
 * @since 0.1.0
 * @category transports
 */
export const serveStdio = (info: ServerInfo): Effect.Effect<void, never, JobManager | Scope.Scope> =>
  Effect.gen(function*() {
    const server = new Server({ name: info.name, version: info.version }, { capabilities: { logging: {} }, instructions })
    yield* McpJobServer.register(server)
    // Imported here, not at the top: the SDK module imports node:process, and Node then creates the
    // stdin/stdout/stderr streams at import time, which a library import must not do.
    const { StdioServerTransport } = yield* Effect.promise(() => import("@modelcontextprotocol/sdk/server/stdio.js"))
    const transport = new StdioServerTransport(process.stdin, process.stdout, { maxBufferSize: MAX_MESSAGE_BYTES })
    const closed = yield* Deferred.make<string>()
    const close = (reason: string) => () => Deferred.unsafeDone(closed, Effect.succeed(reason))

    server.onerror = (error) => {
      const answer = protocolErrorFor(error)
      if (answer !== undefined) {
        transport.send(answer).catch(close("stdout is closed"))
      }
    }
    server.onclose = close("the transport closed")
    process.stdin.once("end", close("stdin closed"))
    process.stdin.once("close", close("stdin closed"))
    // A client that goes away breaks the pipe: that is a shutdown, not a crash.
    process.stdout.on("error", close("stdout is closed"))

    yield* Effect.promise(() => server.connect(transport))
    yield* Effect.addFinalizer(() => Effect.promise(() => server.close()).pipe(Effect.ignore))
    yield* Effect.logInfo("serving MCP over stdio")
    const reason = yield* Deferred.await(closed)
    yield* Effect.logInfo(`shutting down: ${reason}`)
  }).pipe(
    // stdout carries the protocol alone: every log of the server and of the jobs it starts goes to stderr.
    Effect.provide(stderrLogger)
  )
