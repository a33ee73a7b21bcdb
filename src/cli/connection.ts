/**
 * The client's connection to a running HTTP server: where it is (`--url`, `MCP_BG_URL`, or the server's
 * own host and port settings), which token to send (`--token`, `MCP_BG_TOKEN`, or the token file), and an
 * MCP session through the SDK's Streamable HTTP client, ended when the command's scope closes.
 *
 * @since 0.1.0
 */
import { Client } from "@modelcontextprotocol/sdk/client/index.js"
import { StreamableHTTPClientTransport, StreamableHTTPError } from "@modelcontextprotocol/sdk/client/streamableHttp.js"
import type { CallToolResult } from "@modelcontextprotocol/sdk/types.js"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as ParseResult from "effect/ParseResult"
import * as Schema from "effect/Schema"
import type * as Scope from "effect/Scope"
import * as fs from "node:fs"
import { defaultTokenFile } from "../http/HttpAuth.js"
import { parseTokens } from "../http/HttpConfig.js"

/**
 * Exit codes of the client.
 *
 * @since 0.1.0
 * @category models
 */
export const ExitCode = {
  ok: 0,
  refused: 1,
  usage: 2,
  unreachable: 3,
  unauthorized: 4,
  timeout: 124,
  interrupted: 130
} as const

/**
 * A failure of a client command: the message to print and the exit code.
 *
 * @since 0.1.0
 * @category errors
 */
export class ClientError extends Schema.TaggedError<ClientError>()("ClientError", {
  text: Schema.String,
  code: Schema.Number
}) {
  override get message(): string {
    return this.text
  }
}

/**
 * Where the server is and how to authenticate.
 *
 * @since 0.1.0
 * @category models
 */
export interface Target {
  readonly url: URL
  readonly token: string
  /** Where the token came from, for error messages. */
  readonly tokenSource: string
}

const connectHost = (host: string) =>
  host === "0.0.0.0" || host === "::" || host === "[::]" ? "127.0.0.1" : host.includes(":") && !host.startsWith("[") ? `[${host}]` : host

/**
 * The endpoint URL: `--url`, else `MCP_BG_URL`, else the server settings `MCP_BG_HTTP_HOST` and
 * `MCP_BG_HTTP_PORT` (default `http://127.0.0.1:7345/mcp`). A URL without a path gets `/mcp`.
 *
 * @since 0.1.0
 * @category target
 */
export const resolveUrl = (flag: string | undefined, env: NodeJS.ProcessEnv): Either.Either<URL, ClientError> => {
  const given = flag ?? (env.MCP_BG_URL === "" ? undefined : env.MCP_BG_URL)
  const raw = given ?? `http://${connectHost(env.MCP_BG_HTTP_HOST || "127.0.0.1")}:${env.MCP_BG_HTTP_PORT || "7345"}/mcp`
  const parsed = Either.try(() => new URL(raw))
  if (Either.isLeft(parsed) || (parsed.right.protocol !== "http:" && parsed.right.protocol !== "https:")) {
    return Either.left(
      new ClientError({ text: `${JSON.stringify(raw)} is not an http(s) URL: pass --url http://HOST:PORT/mcp`, code: ExitCode.usage })
    )
  }
  const url = parsed.right
  if (url.pathname === "/" || url.pathname === "") url.pathname = "/mcp"
  return Either.right(url)
}

const readTokenFile = (file: string): string | undefined => {
  const text = Either.try(() => fs.readFileSync(file, "utf8"))
  return Either.isRight(text) && text.right.trim() !== "" ? text.right.trim() : undefined
}

/**
 * The token: `--token`, `MCP_BG_TOKEN`, `--token-file`, `MCP_BG_HTTP_TOKEN_FILE`, a single token in
 * `MCP_BG_HTTP_TOKEN`, or the file a server on the URL's port writes its generated token to.
 *
 * @since 0.1.0
 * @category target
 */
export const resolveToken = (
  url: URL,
  flags: { readonly token?: string | undefined; readonly tokenFile?: string | undefined },
  env: NodeJS.ProcessEnv
): Either.Either<{ readonly token: string; readonly source: string }, ClientError> => {
  if (flags.token !== undefined) return Either.right({ token: flags.token, source: "--token" })
  if (env.MCP_BG_TOKEN) return Either.right({ token: env.MCP_BG_TOKEN, source: "MCP_BG_TOKEN" })
  const explicitFile = flags.tokenFile ?? (env.MCP_BG_HTTP_TOKEN_FILE || undefined)
  if (explicitFile !== undefined) {
    const token = readTokenFile(explicitFile)
    return token === undefined ?
      Either.left(new ClientError({ text: `cannot read a token from ${explicitFile}: check the path, or pass --token`, code: ExitCode.unauthorized })) :
      Either.right({ token, source: explicitFile })
  }
  if (env.MCP_BG_HTTP_TOKEN) {
    const tokens = parseTokens(env.MCP_BG_HTTP_TOKEN)
    if (tokens._tag === "Some" && tokens.value.length === 1) return Either.right({ token: tokens.value[0]!.token, source: "MCP_BG_HTTP_TOKEN" })
  }
  const port = Number(url.port || (url.protocol === "https:" ? 443 : 80))
  const file = defaultTokenFile(port, env)
  const token = readTokenFile(file)
  return token === undefined ?
    Either.left(
      new ClientError({
        text: `no token: pass --token (or MCP_BG_TOKEN), or --token-file; a server started on this machine without MCP_BG_HTTP_TOKEN writes its token to ${file}`,
        code: ExitCode.unauthorized
      })
    ) :
    Either.right({ token, source: file })
}

const causeCode = (error: unknown): string | undefined => {
  let current: unknown = error
  for (let depth = 0; depth < 5 && typeof current === "object" && current !== null; depth++) {
    if ("code" in current && typeof current.code === "string") return current.code
    current = "cause" in current ? current.cause : undefined
  }
  return undefined
}

/**
 * Turns a failure of the SDK client into the message a person needs.
 *
 * @since 0.1.0
 * @category errors
 */
export const describeFailure = (target: Target, error: unknown): ClientError => {
  const where = target.url.href
  if (error instanceof ClientError) return error
  if (error instanceof StreamableHTTPError) {
    if (error.code === 401) {
      return new ClientError({
        text: `the server at ${where} refused the token from ${target.tokenSource} (401 Unauthorized): pass the right one with --token or --token-file`,
        code: ExitCode.unauthorized
      })
    }
    if (error.code === 403) {
      return new ClientError({ text: `the server at ${where} refused the request (403): ${error.message}`, code: ExitCode.unauthorized })
    }
    if (error.code === 404) {
      return new ClientError({
        text: `${where} is not an MCP endpoint, or the session expired (404): check --url (the endpoint is /mcp)`,
        code: ExitCode.unreachable
      })
    }
  }
  const code = causeCode(error)
  if (code === "ECONNREFUSED" || code === "ENOTFOUND" || code === "EAI_AGAIN" || code === "ECONNRESET" || code === "EHOSTUNREACH") {
    return new ClientError({
      text: `cannot reach the server at ${where} (${code}): is it running? Start it with: mcp-background-job --http`,
      code: ExitCode.unreachable
    })
  }
  const message = error instanceof Error ?
    error.message + (error.cause instanceof Error ? ` (${error.cause.message})` : "") :
    String(error)
  return new ClientError({ text: `request to ${where} failed: ${message}`, code: ExitCode.unreachable })
}

/**
 * An open MCP session with the server.
 *
 * @since 0.1.0
 * @category models
 */
export interface Connection {
  /**
   * Calls a tool and decodes its structured result; a tool error becomes a `ClientError` (exit 1).
   * `timeoutMs` bounds the request (the SDK's default is 60 seconds).
   */
  readonly call: <A, I>(
    tool: string,
    args: Record<string, unknown>,
    result: Schema.Schema<A, I>,
    timeoutMs?: number
  ) => Effect.Effect<A, ClientError>
}

/**
 * Opens a session for the scope's lifetime; closing the scope ends it (DELETE), jobs keep running.
 *
 * @since 0.1.0
 * @category constructors
 */
export const connect = (target: Target, version: string): Effect.Effect<Connection, ClientError, Scope.Scope> =>
  Effect.gen(function*() {
    const client = new Client({ name: "mcp-background-job-cli", version })
    const transport = new StreamableHTTPClientTransport(target.url, {
      requestInit: { headers: { Authorization: `Bearer ${target.token}` } },
      // A command is short-lived: if the notification stream breaks, do not keep reconnecting.
      reconnectionOptions: { maxRetries: 0, initialReconnectionDelay: 1000, maxReconnectionDelay: 1000, reconnectionDelayGrowFactor: 1 }
    })
    // Errors of the background notification stream are not the command's business.
    client.onerror = () => {}
    yield* Effect.acquireRelease(
      Effect.tryPromise({ try: () => client.connect(transport), catch: (error) => describeFailure(target, error) }),
      () =>
        Effect.tryPromise(async () => {
          await transport.terminateSession().catch(() => undefined)
          await client.close()
        }).pipe(Effect.ignore)
    )
    const call = <A, I>(tool: string, args: Record<string, unknown>, result: Schema.Schema<A, I>, timeoutMs?: number) =>
      Effect.tryPromise({
        try: (signal) =>
          client.callTool({ name: tool, arguments: args }, undefined, {
            signal,
            ...(timeoutMs === undefined ? {} : { timeout: timeoutMs })
          }) as Promise<CallToolResult>,
        catch: (error) => describeFailure(target, error)
      }).pipe(
        Effect.flatMap((answer) => {
          if (answer.isError === true) {
            const text = answer.content.map((part) => (part.type === "text" ? part.text : "")).join("\n")
            return Effect.fail(new ClientError({ text, code: ExitCode.refused }))
          }
          return Schema.decodeUnknown(result, { onExcessProperty: "preserve", propertyOrder: "original" })(answer.structuredContent).pipe(
            Effect.mapError((error) =>
              new ClientError({
                text: `unexpected answer from ${tool}: ${ParseResult.TreeFormatter.formatErrorSync(error)}`,
                code: ExitCode.refused
              })
            )
          )
        })
      )
    return { call }
  })
