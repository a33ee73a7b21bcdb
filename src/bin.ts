#!/usr/bin/env node
/**
 * The `mcp-background-job` command: reads the configuration (flags over `MCP_BG_*` variables), then serves
 * MCP over stdio until stdin closes or a signal arrives, and stops every job before it exits.
 *
 * @since 0.1.0
 */
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as fs from "node:fs"
import { configProvider, helpText, parseServerArgs } from "./cli/serverArgs.js"
import { firstInvalidSetting, JobConfig, settings } from "./JobConfig.js"
import { packageVersion } from "./packageInfo.js"

const EXIT_USAGE = 2

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

// The server's modules (platform, MCP SDK) load only once the configuration is known to be good, so that
// --help, --version and configuration errors answer at once.
const { serve } = await import("./serve.js")
serve(config)
