/**
 * Running the server as the process's main program: the job runtime with real processes, MCP on
 * stdin/stdout (or over HTTP), logs on stderr, and an exit once every job is stopped.
 *
 * @since 0.1.0
 */
import * as NodeRuntime from "@effect/platform-node/NodeRuntime"
import * as Cause from "effect/Cause"
import * as ConfigError from "effect/ConfigError"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Layer from "effect/Layer"
import * as Logger from "effect/Logger"
import type * as Scope from "effect/Scope"
import type { TokenFileError } from "../http/HttpAuth.js"
import type { DashboardAddress } from "../http/dashboard/dashboardAddress.js"
import type { HttpConfig } from "../http/HttpConfig.js"
import type { HttpServerError } from "../http/McpHttpServer.js"
import { describeConfigError } from "../internal/settings.js"
import type { JobConfig } from "../JobConfig.js"
import { stderrLogger } from "./logging.js"
import { JobManager } from "../JobManager.js"
import { serveStdio } from "../mcp/stdio.js"
import * as NodeProcessGuard from "../NodeProcessGuard.js"
import * as NodeSpawner from "../NodeSpawner.js"
import { packageVersion } from "./packageInfo.js"

/** The exit code of a configuration error. */
const EXIT_USAGE = 2

/** Logs on stderr, from the configured level up. */
const serverLogger = (config: JobConfig) => Layer.merge(stderrLogger, Logger.minimumLogLevel(config.logLevel))

/**
 * Serves MCP over stdio until stdin closes or SIGINT/SIGTERM (over HTTP until SIGINT/SIGTERM when `http` is
 * given; with the dashboard on loopback beside stdio when `dashboard` is given), then stops every job and exits.
 *
 * @since 0.1.0
 */
export const serve = (config: JobConfig, http?: HttpConfig, dashboard?: DashboardAddress): void => {
  const info = { name: "mcp-background-job", version: packageVersion() }
  const server: Effect.Effect<void, HttpServerError | TokenFileError, JobManager | Scope.Scope> = http === undefined ?
    dashboard === undefined ?
      serveStdio(info) :
      // The dashboard's modules load only when it is asked for.
      Effect.promise(() => import("../http/dashboard/DashboardServer.js")).pipe(
        Effect.flatMap(({ serveDashboard }) => serveDashboard(dashboard)),
        Effect.tapError((error) => Effect.sync(() => process.stderr.write(`mcp-background-job: ${error.message}\n`))),
        Effect.zipRight(serveStdio(info))
      ) :
    // HTTP mode's modules load only in HTTP mode: stdio starts faster without them.
    Effect.promise(() => import("../http/McpHttpServer.js")).pipe(
      Effect.flatMap(({ serveHttp }) => serveHttp(info, http)),
      Effect.tapError((error) => Effect.sync(() => process.stderr.write(`mcp-background-job: ${error.message}\n`)))
    )
  const program = server.pipe(
    Effect.scoped,
    Effect.provide(
      JobManager.layer(config).pipe(
        // The guard stops the jobs if this process dies without stopping them (SIGKILL, a crash).
        Layer.provide(NodeSpawner.layerGuarded.pipe(Layer.provide(NodeProcessGuard.layer({ killGrace: config.killGrace }))))
      )
    ),
    // A configuration the runtime refuses is a usage error, reported like the command line's own checks.
    Effect.catchIf(ConfigError.isConfigError, (error) =>
      Effect.sync(() => {
        process.stderr.write(`mcp-background-job: ${describeConfigError(error)}\n`)
        process.exitCode = EXIT_USAGE
      })),
    Effect.tapErrorCause((cause) =>
      Cause.isInterruptedOnly(cause) ? Effect.void : Effect.logFatal("the server stopped on an error", cause)
    ),
    Effect.provide(serverLogger(config))
  )
  NodeRuntime.runMain(program, {
    disableErrorReporting: true,
    disablePrettyLogger: true,
    // Exit as soon as the jobs are stopped, even if a stray handle would keep the event loop alive.
    teardown: (exit, onExit) => {
      const code = Exit.isFailure(exit) && !Cause.isInterruptedOnly(exit.cause) ? 1 : process.exitCode === EXIT_USAGE ? EXIT_USAGE : 0
      onExit(code)
      process.exit(code)
    }
  })
}
