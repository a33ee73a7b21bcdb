/**
 * A connected SDK `Client` for agent-level tests, over either transport: in memory (the adapter registered on
 * a fresh SDK `Server` next to a live `JobManager`) or over stdio (the built `dist/bin.js` as a child).
 * Both list the tools first, so the client validates every structuredContent against its outputSchema.
 */
import { Client } from "@modelcontextprotocol/sdk/client/index.js"
import { StdioClientTransport } from "@modelcontextprotocol/sdk/client/stdio.js"
import { InMemoryTransport } from "@modelcontextprotocol/sdk/inMemory.js"
import { Server } from "@modelcontextprotocol/sdk/server/index.js"
import type { RequestOptions } from "@modelcontextprotocol/sdk/shared/protocol.js"
import type { CallToolResult } from "@modelcontextprotocol/sdk/types.js"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Layer from "effect/Layer"
import * as Logger from "effect/Logger"
import * as LogLevel from "effect/LogLevel"
import * as Scope from "effect/Scope"
import * as path from "node:path"
import { fileURLToPath } from "node:url"
import { JobConfig } from "../../src/JobConfig.js"
import { JobManager } from "../../src/JobManager.js"
import * as McpJobServer from "../../src/mcp/McpJobServer.js"

/** Server settings a test may change; everything else keeps its default. */
export interface ServerSettings {
  readonly maxOutputSize?: number
  readonly killGrace?: number
  readonly cleanupInterval?: number
  readonly workingDir?: string
}

/** A structured tool result. */
export type Structured = Record<string, unknown>

/** A client connected to a fresh server. */
export interface Harness {
  readonly transport: TransportKind
  readonly client: Client
  /** Errors the client reported (a progress notification for an unknown token lands here), oldest first. */
  readonly clientErrors: Array<Error>
  /** Calls a tool that must succeed; returns its structuredContent (checked against the text copy). */
  readonly call: (name: string, args?: Record<string, unknown>, options?: RequestOptions) => Promise<Structured>
  /** Calls a tool that must fail with a tool error; returns the error text. */
  readonly callError: (name: string, args?: Record<string, unknown>) => Promise<string>
  readonly close: () => Promise<void>
}

/** The two ways a client reaches the server. */
export type TransportKind = "in-memory" | "stdio"

/** Both transports, for `describe.each`. */
export const transports: ReadonlyArray<TransportKind> = ["in-memory", "stdio"]

const binPath = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../dist/bin.js")

const structuredOf = (name: string, result: CallToolResult): Structured => {
  if (result.isError === true) {
    throw new Error(`${name} failed: ${JSON.stringify(result.content)}`)
  }
  const structured = result.structuredContent
  if (structured === undefined) throw new Error(`${name} returned no structuredContent`)
  const text = result.content[0]
  if (text?.type !== "text" || JSON.stringify(JSON.parse(text.text)) !== JSON.stringify(structured)) {
    throw new Error(`${name}: the text content is not the structuredContent as JSON`)
  }
  return structured
}

const errorTextOf = (name: string, result: CallToolResult): string => {
  if (result.isError !== true) throw new Error(`${name} should have failed, got ${JSON.stringify(result.structuredContent)}`)
  const text = result.content[0]
  if (text?.type !== "text") throw new Error(`${name}: the error has no text`)
  return text.text
}

const connectClient = async (
  kind: TransportKind,
  transport: InMemoryTransport | StdioClientTransport,
  onClose: () => Promise<void>
): Promise<Harness> => {
  const client = new Client({ name: "agent-test", version: "1.0.0" }, { capabilities: {} })
  const clientErrors: Array<Error> = []
  client.onerror = (error) => clientErrors.push(error)
  await client.connect(transport)
  // Caches each tool's output validator: from now on the client checks every result against its schema.
  await client.listTools()
  const call = async (name: string, args: Record<string, unknown> = {}, options?: RequestOptions) =>
    structuredOf(name, (await client.callTool({ name, arguments: args }, undefined, options)) as CallToolResult)
  const callError = async (name: string, args: Record<string, unknown> = {}) =>
    errorTextOf(name, (await client.callTool({ name, arguments: args })) as CallToolResult)
  let closed = false
  return {
    transport: kind,
    client,
    clientErrors,
    call,
    callError,
    close: async () => {
      if (closed) return
      closed = true
      await client.close()
      await onClose()
    }
  }
}

const quietLogs = Logger.minimumLogLevel(LogLevel.Warning)

/** The adapter on a fresh SDK `Server`, with a live `JobManager`, linked to a client in memory. */
export const connectInMemory = async (settings: ServerSettings = {}): Promise<Harness> => {
  const config = JobConfig.make({
    maxOutputSize: settings.maxOutputSize,
    killGrace: settings.killGrace === undefined ? "1 second" : settings.killGrace * 1000,
    cleanupInterval: settings.cleanupInterval === undefined ? undefined : settings.cleanupInterval * 1000,
    workingDir: settings.workingDir
  })
  const scope = Effect.runSync(Scope.make())
  const server = new Server({ name: "agent-test-server", version: "1.0.0" }, { capabilities: {} })
  await Effect.runPromise(
    Effect.gen(function*() {
      const context = yield* Layer.buildWithScope(Layer.merge(JobManager.layerNode(config), quietLogs), scope)
      yield* McpJobServer.register(server).pipe(Effect.provide(context), Scope.extend(scope))
    }).pipe(Effect.provide(quietLogs))
  )
  const [clientSide, serverSide] = InMemoryTransport.createLinkedPair()
  await server.connect(serverSide)
  return connectClient("in-memory", clientSide, async () => {
    await server.close()
    await Effect.runPromise(Scope.close(scope, Exit.void))
  })
}

/** The built server as a child process, over stdio. */
export const connectStdio = async (settings: ServerSettings = {}): Promise<Harness> => {
  const env: Record<string, string> = {}
  for (const [name, value] of Object.entries(process.env)) if (value !== undefined) env[name] = value
  env.MCP_BG_KILL_GRACE = String(settings.killGrace ?? 1)
  env.MCP_BG_LOG_LEVEL = "warning"
  if (settings.maxOutputSize !== undefined) env.MCP_BG_MAX_OUTPUT_SIZE = String(settings.maxOutputSize)
  if (settings.cleanupInterval !== undefined) env.MCP_BG_CLEANUP_INTERVAL = String(settings.cleanupInterval)
  if (settings.workingDir !== undefined) env.MCP_BG_WORKING_DIR = settings.workingDir
  const transport = new StdioClientTransport({ command: process.execPath, args: [binPath], env, stderr: "inherit" })
  return connectClient("stdio", transport, () => Promise.resolve())
}

/** A client on the given transport. */
export const connect = (kind: TransportKind, settings: ServerSettings = {}): Promise<Harness> =>
  kind === "in-memory" ? connectInMemory(settings) : connectStdio(settings)

/**
 * A shell command that runs a Node script; `marker` (from `uniqueMarker`) goes into the script as a comment so
 * the process can be found by its command line.
 */
export const nodeScript = (script: string, marker = ""): string =>
  `${shellQuote(process.execPath)} -e ${shellQuote(marker === "" ? script : `${script} /* ${marker} */`)}`

/** Quotes a string for /bin/sh. */
export const shellQuote = (text: string): string => `'${text.replace(/'/g, `'\\''`)}'`
