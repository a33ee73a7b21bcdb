#!/usr/bin/env node
/**
 * The `mcp-background-job` command: reads the configuration (flags over `MCP_BG_*` variables), then serves
 * MCP over stdio until stdin closes or a signal arrives, and stops every job before it exits.
 *
 * @since 0.1.0
 */
import * as NodeRuntime from "@effect/platform-node/NodeRuntime"
import * as Cause from "effect/Cause"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Exit from "effect/Exit"
import * as Layer from "effect/Layer"
import * as Logger from "effect/Logger"
import * as fs from "node:fs"
import { configProvider, helpText, parseServerArgs } from "./cli/serverArgs.js"
import { firstInvalidSetting, JobConfig, settings } from "./JobConfig.js"
import { JobManager } from "./JobManager.js"
import { serveStdio } from "./mcp/stdio.js"
import * as NodeProcessGuard from "./NodeProcessGuard.js"
import * as NodeSpawner from "./NodeSpawner.js"

const EXIT_USAGE = 2

const packageVersion = (): string => {
  const text = fs.readFileSync(new URL("../package.json", import.meta.url), "utf8")
  return (JSON.parse(text) as { version: string }).version
}

const usageError = (message: string): never => {
  process.stderr.write(`mcp-background-job: ${message}\n`)
  return process.exit(EXIT_USAGE)
}

const command = Either.getOrElse(parseServerArgs(process.argv.slice(2)), usageError)

if (command._tag === "Help") {
  process.stdout.write(helpText(packageVersion()) + "\n")
  process.exit(0)
}
if (command._tag === "Version") {
  process.stdout.write(packageVersion() + "\n")
  process.exit(0)
}

const flagByEnv = command._tag === "Serve" ? command.flagByEnv : new Map<string, string>()
const config = Effect.runSync(
  Effect.either(Effect.withConfigProvider(JobConfig.config, configProvider(command._tag === "Serve" ? command.flags : new Map())))
).pipe(
  Either.getOrElse((error) => {
    const [name, message] = firstInvalidSetting(error) ?? ["configuration", String(error)]
    return usageError(`${flagByEnv.get(name) ?? name}: ${message}`)
  })
)

if (!fs.statSync(config.workingDir, { throwIfNoEntry: false })?.isDirectory()) {
  const name = flagByEnv.get(settings.workingDir.env) ?? settings.workingDir.env
  usageError(`${name}: invalid value ${JSON.stringify(config.workingDir)}: expected ${settings.workingDir.expected}`)
}

const StderrLogger = Logger.replace(Logger.defaultLogger, Logger.withConsoleError(Logger.logfmtLogger)).pipe(
  Layer.merge(Logger.minimumLogLevel(config.logLevel))
)

const program = serveStdio({ name: "mcp-background-job", version: packageVersion() }).pipe(
  Effect.scoped,
  Effect.provide(
    JobManager.layer(config).pipe(
      // The guard stops the jobs if this process dies without stopping them (SIGKILL, a crash).
      Layer.provide(NodeSpawner.layer.pipe(Layer.provide(NodeProcessGuard.layer({ killGrace: config.killGrace }))))
    )
  ),
  Effect.tapErrorCause((cause) =>
    Cause.isInterruptedOnly(cause) ? Effect.void : Effect.logFatal("the server stopped on an error", cause)
  ),
  Effect.provide(StderrLogger)
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
