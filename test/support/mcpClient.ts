/**
 * SDK clients for tests, each listing the tools first (as an agent's client does): one linked in memory to a
 * fresh SDK `Server` with the job tools (as an effect, or as a promise with its own scope), or one talking to the built server over stdio. Calls check what they get back.
 */
import { Client } from "@modelcontextprotocol/sdk/client/index.js"
import { StdioClientTransport } from "@modelcontextprotocol/sdk/client/stdio.js"
import { InMemoryTransport } from "@modelcontextprotocol/sdk/inMemory.js"
import { Server } from "@modelcontextprotocol/sdk/server/index.js"
import type { RequestOptions } from "@modelcontextprotocol/sdk/shared/protocol.js"
import type { Transport } from "@modelcontextprotocol/sdk/shared/transport.js"
import type { CallToolResult } from "@modelcontextprotocol/sdk/types.js"
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Layer from "effect/Layer"
import * as Scope from "effect/Scope"
import { onTestFinished } from "vitest"
import type { JobConfigInput } from "../../src/JobConfig.js"
import { JobManager, type JobManagerService } from "../../src/JobManager.js"
import * as McpJobServer from "../../src/mcp/McpJobServer.js"
import { binEnv, binPath } from "./bin.js"
import { liveJobs } from "./runtime.js"
import { errorTextOf, type Structured, structuredOf } from "./toolResults.js"

/** Long enough for a tool call that moves megabytes on a loaded machine (the SDK's default is 60 s). */
const CALL_TIMEOUT_MS = 120_000

/** Calls a tool and returns its result as is (tool errors included). */
export const toolResult = (client: Client, name: string, args: Record<string, unknown> = {}, options?: RequestOptions) =>
  client.callTool({ name, arguments: args }, undefined, { timeout: CALL_TIMEOUT_MS, ...options }) as Promise<CallToolResult>

/** Calls a tool that must succeed; returns its structuredContent (checked against the text copy). */
export const callTool = async <T = Structured>(client: Client, name: string, args: Record<string, unknown> = {}, options?: RequestOptions): Promise<T> =>
  structuredOf<T>(name, await toolResult(client, name, args, options))

/** Calls a tool that must fail with a tool error; returns the error text. */
export const callToolError = async (client: Client, name: string, args: Record<string, unknown> = {}): Promise<string> =>
  errorTextOf(name, await toolResult(client, name, args))

/** `toolResult`, `callTool` and `callToolError` as effects, for Effect tests (a rejected call is a defect). */
export const toolResultEffect = (client: Client, name: string, args: Record<string, unknown> = {}) =>
  Effect.promise(() => toolResult(client, name, args))
export const callToolEffect = <T = Structured>(client: Client, name: string, args: Record<string, unknown> = {}) =>
  Effect.promise(() => callTool<T>(client, name, args))
export const callToolErrorEffect = (client: Client, name: string, args: Record<string, unknown> = {}) =>
  Effect.promise(() => callToolError(client, name, args))

/** A connected client and its calls. */
export interface McpConnection {
  readonly client: Client
  /** Errors the client reported (a progress notification for an unknown token lands here), oldest first. */
  readonly clientErrors: Array<Error>
  readonly call: <T = Structured>(name: string, args?: Record<string, unknown>, options?: RequestOptions) => Promise<T>
  readonly callError: (name: string, args?: Record<string, unknown>) => Promise<string>
  /** A call's result as is (tool errors included). */
  readonly result: (name: string, args?: Record<string, unknown>) => Promise<CallToolResult>
  /** Closes the client, then what it was connected to; a second call does nothing. */
  readonly close: () => Promise<void>
}

/** The built server over stdio. */
export interface StdioConnection extends McpConnection {
  readonly pid: number
  /** Everything the server wrote on stderr so far. */
  readonly stderr: () => string
}

const newClient = () => new Client({ name: "test-client", version: "0.0.0" }, { capabilities: {} })

/** The errors the client reports from now on. */
const collectErrors = (client: Client): Array<Error> => {
  const errors: Array<Error> = []
  client.onerror = (error) => errors.push(error)
  return errors
}

const connection = (client: Client, clientErrors: Array<Error>, onClose: () => Promise<void>): McpConnection => {
  let closed = false
  return {
    client,
    clientErrors,
    call: (name, args, options) => callTool(client, name, args, options),
    callError: (name, args) => callToolError(client, name, args),
    result: (name, args) => toolResult(client, name, args),
    close: async () => {
      if (closed) return
      closed = true
      await onClose()
    }
  }
}

/** Connects and lists the tools: from then on the client checks every result against its schema. */
const connectAndList = async (client: Client, transport: Transport) => {
  await client.connect(transport)
  await client.listTools()
}

/** The built server over stdio, with quiet logs unless `env` says otherwise. */
export const connectStdio = async (env: Record<string, string> = {}): Promise<StdioConnection> => {
  const transport = new StdioClientTransport({
    command: process.execPath,
    args: [binPath],
    env: binEnv({ MCP_BG_LOG_LEVEL: "warning", ...env }),
    stderr: "pipe"
  })
  let stderr = ""
  transport.stderr?.on("data", (chunk: Buffer) => {
    stderr += chunk.toString("utf8")
  })
  const client = newClient()
  const clientErrors = collectErrors(client)
  await connectAndList(client, transport)
  return { ...connection(client, clientErrors, () => client.close()), pid: transport.pid!, stderr: () => stderr }
}

/** `connectStdio` inside a test, closed when the test finishes. */
export const connectStdioForTest = async (env: Record<string, string> = {}): Promise<StdioConnection> => {
  const server = await connectStdio(env)
  onTestFinished(server.close)
  return server
}

/** A client connected to a fresh server registered on `jobs` (a manager, or a test's wrapper around one). */
export const clientOn: (jobs: JobManagerService) => Effect.Effect<Client, never, Scope.Scope> = Effect.fnUntraced(
  function*(jobs) {
    const server = new Server({ name: "test", version: "0.0.0" }, { capabilities: {} })
    yield* McpJobServer.register(server).pipe(Effect.provideService(JobManager, jobs))
    const [clientTransport, serverTransport] = InMemoryTransport.createLinkedPair()
    yield* Effect.promise(() => server.connect(serverTransport))
    const client = newClient()
    yield* Effect.acquireRelease(
      Effect.promise(() => connectAndList(client, clientTransport)),
      () => Effect.promise(() => client.close())
    )
    return client
  }
)

/** A client on a fresh live manager (`liveJobs(config)`); the server and its jobs live until the scope closes. */
export const connectedClient = Effect.fnUntraced(
  function*(config: JobConfigInput = {}, options: { readonly logs?: Array<string> } = {}) {
    // Built into the caller's scope, so jobs outlive this setup effect; provided as a runtime, so the
    // handlers' fibers log as the layer says.
    const runtime = yield* Layer.toRuntime(liveJobs(config, options)).pipe(Effect.orDie)
    return yield* clientOn(Context.get(runtime.context, JobManager)).pipe(Effect.provide(runtime))
  }
)

/** `connectedClient` as a promise, with a scope of its own that `close` ends. */
export const connectInMemory = async (config: JobConfigInput = {}, options: { readonly logs?: Array<string> } = {}): Promise<McpConnection> => {
  const scope = Effect.runSync(Scope.make())
  const client = await Effect.runPromise(connectedClient(config, options).pipe(Scope.extend(scope)))
  return connection(client, collectErrors(client), () => Effect.runPromise(Scope.close(scope, Exit.void)))
}
