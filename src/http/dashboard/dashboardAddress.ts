/**
 * Where a stdio server's dashboard listens (`--dashboard [host:port]`, `MCP_BG_DASHBOARD`) and where its
 * token and discovery files go. Light on purpose: the bin reads it before loading the server.
 *
 * @since 0.1.0
 */
import * as Either from "effect/Either"
import * as path from "node:path"
import { defaultTokenFile } from "../HttpAuth.js"
import { isLoopback } from "../HttpConfig.js"

/**
 * Where a dashboard listens.
 *
 * @since 0.1.0
 * @category models
 */
export interface DashboardAddress {
  readonly host: string
  /** 0 picks a free port (the default: several agents may each run a server). */
  readonly port: number
}

/**
 * Parses `--dashboard`'s value or `MCP_BG_DASHBOARD`: `1`/`true`/`on` (loopback, a free port), `PORT`,
 * `:PORT` or `HOST:PORT` with a loopback host; `Left` is the message naming what is expected.
 *
 * @since 0.1.0
 * @category parsing
 */
export const parseDashboardAddress = (raw: string): Either.Either<DashboardAddress, string> => {
  const text = raw.trim()
  const expected = `expected 1, a port, or a loopback host:port such as 127.0.0.1:7346 (got ${JSON.stringify(raw)})`
  if (/^(1|true|on|yes)$/i.test(text)) return Either.right({ host: "127.0.0.1", port: 0 })
  const match = /^(?:(\[[0-9a-fA-F:.]+\]|[A-Za-z0-9.-]+)?:)?(\d{1,5})$/.exec(text)
  if (match === null || Number(match[2]) > 65535) return Either.left(`MCP_BG_DASHBOARD / --dashboard: ${expected}`)
  const host = (match[1] ?? "127.0.0.1").replace(/^\[|\]$/g, "")
  if (!isLoopback(host)) return Either.left(`MCP_BG_DASHBOARD / --dashboard: the dashboard of a stdio server listens on loopback only; ${expected}`)
  return Either.right({ host, port: Number(match[2]) })
}

/**
 * The folder of token and discovery files (the user's runtime directory when there is one).
 *
 * @since 0.1.0
 * @category files
 */
export const dashboardFolder = (env: NodeJS.ProcessEnv = process.env): string => path.dirname(defaultTokenFile(0, env))

