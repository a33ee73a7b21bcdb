/**
 * MCP over HTTP in this process: the server on 127.0.0.1 with an ephemeral port and a job runtime of its own,
 * SDK clients with a bearer token, and raw requests (to set headers fetch refuses, such as Host).
 */
import { Client } from "@modelcontextprotocol/sdk/client/index.js"
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as ManagedRuntime from "effect/ManagedRuntime"
import * as Scope from "effect/Scope"
import * as http from "node:http"
import { HttpConfig, type HttpConfigInput } from "../../src/http/HttpConfig.js"
import { listen, type RunningHttpServer } from "../../src/http/McpHttpServer.js"
import type { JobConfigInput } from "../../src/JobConfig.js"
import { initializeRequest } from "./jsonRpc.js"
import { liveJobs } from "./runtime.js"

export interface TestServer extends RunningHttpServer {
  /** Stops the server, then the jobs; a second call does nothing. */
  readonly close: () => Promise<void>
}

/** A server with its own job runtime (SIGKILL 1 ms after SIGTERM unless `jobInput` says otherwise). */
export const startHttpServer = async (httpInput: HttpConfigInput = {}, jobInput: JobConfigInput = {}): Promise<TestServer> => {
  const runtime = ManagedRuntime.make(liveJobs({ killGrace: "1 millis", ...jobInput }))
  const scope = Effect.runSync(Scope.make())
  const config = HttpConfig.make({ host: "127.0.0.1", port: 0, ...httpInput })
  const running = await runtime.runPromise(listen({ name: "test", version: "0.0.0" }, config).pipe(Scope.extend(scope))).catch(async (error: unknown) => {
    await runtime.dispose()
    throw error
  })
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

export interface HttpClient {
  readonly client: Client
  readonly transport: StreamableHTTPClientTransport
  /** Ends the session (DELETE) and closes the client. */
  readonly close: () => Promise<void>
}

export const connectHttpClient = async (url: string, token: string): Promise<HttpClient> => {
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

/** The headers of an MCP POST with a bearer token. */
export const mcpHeaders = (token: string, extra: Record<string, string> = {}): Record<string, string> => ({
  Authorization: `Bearer ${token}`,
  "Content-Type": "application/json",
  Accept: "application/json, text/event-stream",
  ...extra
})

/** An `initialize` request as a POST body. */
export const initializeBody = JSON.stringify(initializeRequest(1))
