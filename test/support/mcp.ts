/**
 * MCP test harness: a fresh SDK `Server` with the job tools, linked in memory to an SDK `Client`.
 */
import { Client } from "@modelcontextprotocol/sdk/client/index.js"
import { InMemoryTransport } from "@modelcontextprotocol/sdk/inMemory.js"
import { Server } from "@modelcontextprotocol/sdk/server/index.js"
import type { CallToolResult } from "@modelcontextprotocol/sdk/types.js"
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import type * as Scope from "effect/Scope"
import { JobConfig, type JobConfigInput } from "../../src/JobConfig.js"
import { JobManager, type JobManagerService } from "../../src/JobManager.js"
import * as McpJobServer from "../../src/mcp/McpJobServer.js"

/** A connected client; the server and its jobs live until the scope closes. */
export const connectedClient = (config: JobConfigInput = {}): Effect.Effect<Client, never, Scope.Scope> =>
  Effect.gen(function*() {
    // The manager lives in the caller's scope, so jobs outlive this setup effect.
    const context = yield* Layer.build(JobManager.layerNode(JobConfig.make({ killGrace: "1 second", ...config }))).pipe(Effect.orDie)
    return yield* clientOn(Context.get(context, JobManager))
  })

/** A client connected to a fresh server registered on `jobs` (a manager, or a test's wrapper around one). */
export const clientOn = (jobs: JobManagerService): Effect.Effect<Client, never, Scope.Scope> =>
  Effect.gen(function*() {
    const server = new Server({ name: "test", version: "0.0.0" }, { capabilities: {} })
    yield* McpJobServer.register(server).pipe(Effect.provideService(JobManager, jobs))
    const [clientTransport, serverTransport] = InMemoryTransport.createLinkedPair()
    yield* Effect.promise(() => server.connect(serverTransport))
    const client = new Client({ name: "test-client", version: "0.0.0" })
    yield* Effect.acquireRelease(
      Effect.promise(() => client.connect(clientTransport)),
      () => Effect.promise(() => client.close())
    )
    return client
  })

/** Calls a tool and returns its result. */
export const call = (client: Client, name: string, args: Record<string, unknown> = {}) =>
  Effect.promise(() => client.callTool({ name, arguments: args }) as Promise<CallToolResult>)

/** Calls a tool that must succeed and returns its structured content. */
export const callOk = <T = Record<string, unknown>>(client: Client, name: string, args: Record<string, unknown> = {}) =>
  Effect.map(call(client, name, args), (result) => {
    if (result.isError === true) throw new Error(`${name} failed: ${JSON.stringify(result.content)}`)
    return result.structuredContent as T
  })

/** Calls a tool that must fail and returns its message. */
export const callError = (client: Client, name: string, args: Record<string, unknown> = {}) =>
  Effect.map(call(client, name, args), (result) => {
    if (result.isError !== true) throw new Error(`${name} should have failed: ${JSON.stringify(result.structuredContent)}`)
    const first = result.content[0]
    return first !== undefined && first.type === "text" ? first.text : ""
  })
