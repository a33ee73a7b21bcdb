/**
 * The dashboard alongside a stdio server (`--dashboard [host:port]`, `MCP_BG_DASHBOARD`): a loopback HTTP
 * server with only the dashboard's paths, a generated token in a file only the user can read, and a small
 * discovery file beside it so that `mcp-background-job dashboard` can find the dashboards of this user.
 * It shows every job of the server (a stdio server's jobs have no owner).
 *
 * @since 0.1.0
 */
import * as Console from "effect/Console"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as FiberSet from "effect/FiberSet"
import type * as Scope from "effect/Scope"
import * as http from "node:http"
import type { AddressInfo } from "node:net"
import * as path from "node:path"
import { JobManager } from "../../JobManager.js"
import { generateToken, makeVerifier, type TokenFileError, writeTokenFile } from "../HttpAuth.js"
import { HttpConfig } from "../HttpConfig.js"
import { HttpServerError } from "../McpHttpServer.js"
import { requestPolicy } from "../requestGuards.js"
import { checkBrowser, send } from "../router.js"
import { isDashboardPath, makeDashboardHandler } from "./DashboardApi.js"
import { type DashboardAddress, dashboardFolder } from "./dashboardAddress.js"
import { makeSessions } from "./DashboardSessions.js"

/**
 * What a running dashboard announces in its discovery file.
 *
 * @since 0.1.0
 * @category models
 */
export interface DashboardRecord {
  readonly url: string
  readonly pid: number
  readonly tokenFile: string
  readonly cwd: string
  readonly startedAt: string
}

/**
 * Serves the dashboard on `address` for the scope's lifetime and says on stderr where it is.
 *
 * @since 0.1.0
 * @category transports
 */
export const serveDashboard = (
  address: DashboardAddress
): Effect.Effect<DashboardRecord, HttpServerError | TokenFileError, JobManager | Scope.Scope> =>
  Effect.gen(function*() {
    const manager = yield* JobManager
    const token = generateToken()
    const verifier = makeVerifier([{ name: "dashboard", token }])
    const run = yield* FiberSet.makeRuntime()
    const server = http.createServer()
    yield* Effect.addFinalizer(() => Effect.sync(() => server.closeAllConnections()))
    const bound = yield* Effect.acquireRelease(
      Effect.async<AddressInfo, HttpServerError>((resume) => {
        server.once("error", (error) => resume(Effect.fail(new HttpServerError({ reason: `cannot serve the dashboard on ${address.host}:${address.port}: ${error.message}` }))))
        server.listen(address.port, address.host, () => resume(Effect.succeed(server.address() as AddressInfo)))
      }),
      () => Effect.sync(() => server.close())
    )
    const policy = requestPolicy(HttpConfig.make({ host: address.host, port: bound.port }))
    const dashboard = makeDashboardHandler({ verifier, sessions: makeSessions(), viewFor: () => manager, allowedOrigins: new Set() })
    const notFound = { status: 404, body: { error: "Not found: this is a job dashboard; open /" } }
    server.on("request", (req: http.IncomingMessage, res: http.ServerResponse) => {
      const host = checkBrowser(policy, { host: req.headers.host })
      const pathname = new URL(req.url ?? "/", "http://localhost").pathname
      run(
        Either.isLeft(host) ? send(res, host.left.reply) : isDashboardPath(pathname) ? dashboard(req, res) : send(res, notFound)
      )
    })
    const folder = dashboardFolder()
    const tokenFile = path.join(folder, `dashboard-${process.pid}.token`)
    yield* writeTokenFile(tokenFile, token)
    const shown = address.host.includes(":") ? `[${address.host}]` : address.host
    const record: DashboardRecord = {
      url: `http://${shown}:${bound.port}/`,
      pid: process.pid,
      tokenFile,
      cwd: process.cwd(),
      startedAt: new Date().toISOString()
    }
    yield* writeTokenFile(path.join(folder, `dashboard-${process.pid}.json`), JSON.stringify(record))
    yield* Console.error(`mcp-background-job: dashboard at ${record.url} (sign in with the token in ${tokenFile})`)
    return record
  })
