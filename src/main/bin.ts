#!/usr/bin/env node
/**
 * The `mcp-background-job` command: reads the configuration (flags over `MCP_BG_*` variables), then serves
 * MCP over stdio until stdin closes or a signal arrives (or over HTTP with `--http`, until a signal), and
 * stops every job before it exits. With a client command (`run`, `ls`, …) it talks to a running HTTP server.
 *
 * @since 0.1.0
 */
import type * as Config from "effect/Config"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import { isClientCommand } from "../cli/args.js"
import { configProvider, helpText, parseServerArgs } from "./serverArgs.js"
import { parseDashboardAddress } from "../http/dashboard/dashboardAddress.js"
import { checkExposure, HttpConfig } from "../http/HttpConfig.js"
import { describeConfigError } from "../internal/settings.js"
import { JobConfig } from "../JobConfig.js"
import { packageVersion } from "./packageInfo.js"

const EXIT_USAGE = 2

const usageError = (message: string): never => {
  process.stderr.write(`mcp-background-job: ${message}\n`)
  return process.exit(EXIT_USAGE)
}

if (process.argv[2] === "dashboard") {
  const { printDashboards } = await import("../http/dashboard/dashboardList.js")
  process.exit(await printDashboards())
}

if (isClientCommand(process.argv[2])) {
  const client = await import("../cli/main.js")
  process.exit(await client.runClient(process.argv.slice(2), packageVersion()))
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
const flags = command._tag === "Serve" ? command.flags : new Map<string, string>()

/** Reads a configuration from flags and environment, or exits 2 naming the flag or variable at fault. */
const readOrExit = <A>(settingsConfig: Config.Config<A>): A =>
  Effect.runSync(Effect.either(Effect.withConfigProvider(settingsConfig, configProvider(flags)))).pipe(
    Either.getOrElse((error) => usageError(describeConfigError(error, (env) => flagByEnv.get(env) ?? env)))
  )

// Every setting is checked here, the working directory and the shell included: the runtime will accept it.
const config = readOrExit(JobConfig.config)

const httpConfig = command._tag === "Serve" && command.http ? readOrExit(HttpConfig.config) : undefined
if (httpConfig !== undefined) Either.getOrElse(checkExposure(httpConfig), usageError)

const dashboardValue = command._tag === "Serve" && command.dashboard !== undefined ?
  command.dashboard :
  process.env.MCP_BG_DASHBOARD !== undefined && process.env.MCP_BG_DASHBOARD !== "" && !/^(0|false|off|no)$/i.test(process.env.MCP_BG_DASHBOARD) ?
  process.env.MCP_BG_DASHBOARD :
  undefined
// In HTTP mode the dashboard is at / already.
const dashboard = dashboardValue === undefined || httpConfig !== undefined ?
  undefined :
  Either.getOrElse(parseDashboardAddress(dashboardValue), usageError)

// The server's modules (platform, MCP SDK) load only once the configuration is known to be good, so that
// --help, --version and configuration errors answer at once.
const { serve } = await import("./serve.js")
serve(config, httpConfig, dashboard)
