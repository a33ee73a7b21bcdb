/**
 * Running the stdio server as the process's main program: the job runtime with real processes, MCP on
 * stdin/stdout, logs on stderr, and an exit once every job is stopped.
 *
 * @since 0.1.0
 */
import * as NodeRuntime from "@effect/platform-node/NodeRuntime"
import * as Cause from "effect/Cause"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Layer from "effect/Layer"
import * as Logger from "effect/Logger"
import type { JobConfig } from "./JobConfig.js"
import { JobManager } from "./JobManager.js"
import { serveStdio } from "./mcp/stdio.js"
import * as NodeSpawner from "./NodeSpawner.js"
import { packageVersion } from "./packageInfo.js"

/**
 * Logs as logfmt lines on stderr, from the configured level up: stdout belongs to the protocol.
 *
 * @since 0.1.0
 */
export const stderrLogger = (config: JobConfig) =>
  Logger.replace(Logger.defaultLogger, Logger.withConsoleError(Logger.logfmtLogger)).pipe(
    Layer.merge(Logger.minimumLogLevel(config.logLevel))
  )

/**
 * Serves MCP over stdio until stdin closes or SIGINT/SIGTERM, then stops every job and exits.
 *
 * @since 0.1.0
 */
export const serve = (config: JobConfig): void => {
  const program = serveStdio({ name: "mcp-background-job", version: packageVersion() }).pipe(
    Effect.scoped,
    Effect.provide(JobManager.layer(config).pipe(Layer.provide(NodeSpawner.layer))),
    Effect.tapErrorCause((cause) =>
      Cause.isInterruptedOnly(cause) ? Effect.void : Effect.logFatal("the server stopped on an error", cause)
    ),
    Effect.provide(stderrLogger(config))
  )
  NodeRuntime.runMain(program, {
    disableErrorReporting: true,
    disablePrettyLogger: true,
    // Exit as soon as the jobs are stopped, even if a stray handle would keep the event loop alive.
    teardown: (exit, onExit) => {
      const code = Exit.isFailure(exit) && !Cause.isInterruptedOnly(exit.cause) ? 1 : 0
      onExit(code)
      process.exit(code)
    }
  })
}
