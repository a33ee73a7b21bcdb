/**
 * Helpers for HTTP tests: an in-process server on 127.0.0.1 with an ephemeral port, SDK clients with a
 * bearer token, raw HTTP requests (to set headers fetch refuses, such as Host), and the built binary
 * started in HTTP mode.
 */
import { Client } from "@modelcontextprotocol/sdk/client/index.js"
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as ManagedRuntime from "effect/ManagedRuntime"
import * as Scope from "effect/Scope"
import { type ChildProcess, spawn } from "node:child_process"
import * as http from "node:http"
import { fileURLToPath } from "node:url"
import { HttpConfig, type HttpConfigInput } from "../../src/http/HttpConfig.js"
import { listen, type RunningHttpServer } from "../../src/http/McpHttpServer.js"
import { JobConfig, type JobConfigInput } from "../../src/JobConfig.js"
import { JobManager } from "../../src/JobManager.js"
import { eventually } from "./processes.js"

export const BIN = fileURLToPath(new URL("../../dist/bin.js", import.meta.url))

export interface TestServer extends RunningHttpServer {
  readonly close: () => Promise<void>
}

/** A server with its own JobManager; `close` stops the server, then the jobs. */
export const startServer = async (httpInput: HttpConfigInput = {}, jobInput: JobConfigInput = {}): Promise<TestServer> => {
  const runtime = ManagedRuntime.make(JobManager.layerNode(JobConfig.make({ killGrace: 1, ...jobInput })))
  const scope = Effect.runSync(Scope.make())
  const config = HttpConfig.make({ host: "127.0.0.1", port: 0, ...httpInput })
  const running = await runtime.runPromise(listen({ name: "test", version: "0.0.0" }, config).pipe(Scope.extend(scope)))
  let closed = false
  return {
    ...running,
    close: async () => {
      if (closed) return
      closed = true
      await Effect.runPromise(Scope.close(scope, Exit.void))
      await runtime.dispose()
    }
  }
}

export interface TestClient {
  readonly client: Client
  readonly transport: StreamableHTTPClientTransport
  /** Ends the session (DELETE) and closes the client. */
  readonly close: () => Promise<void>
}

export const connectClient = async (url: string, token: string): Promise<TestClient> => {
  const client = new Client({ name: "test-client", version: "0.0.0" })
  const transport = new StreamableHTTPClientTransport(new URL(url), {
    requestInit: { headers: { Authorization: `Bearer ${token}` } }
  })
  await client.connect(transport)
  return {
    client,
    transport,
    close: async () => {
      await transport.terminateSession().catch(() => undefined)
      await client.close()
    }
  }
}

/** The structured result of a tool call, failing the test on a tool error. */
export const callTool = async (client: Client, name: string, args: Record<string, unknown>): Promise<Record<string, unknown>> => {
  const result = await client.callTool({ name, arguments: args })
  if (result.isError === true) throw new Error(`${name} failed: ${JSON.stringify(result.content)}`)
  return result.structuredContent as Record<string, unknown>
}

/** The text of a tool error (the call must fail). */
export const toolError = async (client: Client, name: string, args: Record<string, unknown>): Promise<string> => {
  const result = await client.callTool({ name, arguments: args })
  if (result.isError !== true) throw new Error(`${name} unexpectedly succeeded: ${JSON.stringify(result.structuredContent)}`)
  return (result.content as Array<{ text: string }>).map((part) => part.text).join("\n")
}

export interface RawResponse {
  readonly status: number
  readonly headers: http.IncomingHttpHeaders
  readonly body: string
}

/** One HTTP request with exactly the given headers (node:http lets a test set Host). */
export const rawRequest = (
  port: number,
  options: {
    readonly method?: string
    readonly path?: string
    readonly headers?: Record<string, string>
    readonly body?: string | Buffer
    /** Send the body in chunks without a Content-Length. */
    readonly chunked?: boolean
  }
): Promise<RawResponse> =>
  new Promise((resolve, reject) => {
    const request = http.request(
      { host: "127.0.0.1", port, method: options.method ?? "POST", path: options.path ?? "/mcp", headers: options.headers ?? {} },
      (response) => {
        const chunks: Array<Buffer> = []
        response.on("data", (chunk: Buffer) => chunks.push(chunk))
        response.on("end", () => resolve({ status: response.statusCode ?? 0, headers: response.headers, body: Buffer.concat(chunks).toString("utf8") }))
        response.on("error", reject)
      }
    )
    // The server may answer and close before the whole body is written; the answer is what counts.
    request.on("error", reject)
    if (options.body !== undefined && options.chunked === true) {
      const body = Buffer.from(options.body)
      for (let offset = 0; offset < body.length; offset += 16 * 1024) request.write(body.subarray(offset, offset + 16 * 1024))
      request.end()
    } else {
      request.end(options.body)
    }
  })

export const mcpHeaders = (token: string, extra: Record<string, string> = {}): Record<string, string> => ({
  Authorization: `Bearer ${token}`,
  "Content-Type": "application/json",
  Accept: "application/json, text/event-stream",
  ...extra
})

export const initializeBody = JSON.stringify({
  jsonrpc: "2.0",
  id: 1,
  method: "initialize",
  params: { protocolVersion: "2025-06-18", capabilities: {}, clientInfo: { name: "raw", version: "0" } }
})

export interface BinServer {
  readonly child: ChildProcess
  readonly port: number
  readonly url: string
  /** Everything the server wrote on stderr so far. */
  readonly stderr: () => string
  /** Resolves with the exit code once the process has exited. */
  readonly exited: Promise<number | null>
  readonly stop: () => Promise<number | null>
}

/** Starts the built binary with `args` and waits until it says where it listens. */
export const startBin = async (args: ReadonlyArray<string>, env: Record<string, string> = {}): Promise<BinServer> => {
  const child = spawn(process.execPath, [BIN, ...args], {
    env: { ...process.env, MCP_BG_LOG_LEVEL: "warning", ...env },
    stdio: ["ignore", "pipe", "pipe"]
  })
  let stderr = ""
  child.stderr.on("data", (chunk: Buffer) => {
    stderr += chunk.toString("utf8")
  })
  const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)))
  let exitCode: number | null | undefined
  void exited.then((code) => {
    exitCode = code
  })
  const listening = await eventually(() => /listening on http:\/\/[^\s]+:(\d+)\/mcp/.test(stderr) || exitCode !== undefined, 20_000)
  const match = /listening on (http:\/\/[^\s]+:(\d+)\/mcp)/.exec(stderr)
  if (!listening || match === null) {
    child.kill("SIGKILL")
    throw new Error(`the server did not start: ${stderr}`)
  }
  const stop = async () => {
    if (exitCode === undefined) child.kill("SIGTERM")
    return exited
  }
  return { child, port: Number(match[2]), url: match[1]!, stderr: () => stderr, exited, stop }
}
