/**
 * The server's command line: each setting's flag (`--max-jobs 20` or `--max-jobs=20`), `--http` with the
 * HTTP settings' flags, `--help` and `--version`. Flags become a `ConfigProvider` that takes precedence over
 * the environment.
 *
 * @since 0.1.0
 */
import * as ConfigProvider from "effect/ConfigProvider"
import * as Either from "effect/Either"
import { httpSettings } from "../http/HttpConfig.js"
import { type Setting, settings } from "../JobConfig.js"

/**
 * What the command line asks for.
 *
 * @since 0.1.0
 * @category models
 */
export type ServerCommand =
  | { readonly _tag: "Help" }
  | { readonly _tag: "Version" }
  | {
    readonly _tag: "Serve"
    readonly flags: ReadonlyMap<string, string>
    readonly flagByEnv: ReadonlyMap<string, string>
    /** Serve MCP over Streamable HTTP instead of stdio. */
    readonly http: boolean
    /** `--dashboard [host:port]`: the value given (`"1"` without one); see `parseDashboardAddress`. */
    readonly dashboard: string | undefined
  }

const allSettings: ReadonlyArray<Setting<unknown>> = Object.values(settings)
/** HTTP settings that have a flag (tokens have none: they would show in the process list). */
const httpFlagSettings: ReadonlyArray<Setting<unknown>> = Object.values(httpSettings).flatMap((s) =>
  s.flag === undefined ? [] : [{ ...s, flag: s.flag }]
)

/**
 * Parses the server's arguments; a `Left` is the one-line error to print.
 *
 * @since 0.1.0
 * @category parsing
 */
export const parseServerArgs = (argv: ReadonlyArray<string>): Either.Either<ServerCommand, string> => {
  const flags = new Map<string, string>()
  const flagByEnv = new Map<string, string>()
  let http = false
  let dashboard: string | undefined
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!
    if (arg === "--help" || arg === "-h") return Either.right({ _tag: "Help" })
    if (arg === "--version" || arg === "-v") return Either.right({ _tag: "Version" })
    if (arg === "--http") {
      http = true
      continue
    }
    if (arg === "--dashboard" || arg.startsWith("--dashboard=")) {
      // The address is optional: a following flag is not it.
      const next = argv[i + 1]
      dashboard = arg.includes("=") ? arg.slice(arg.indexOf("=") + 1) : next !== undefined && !next.startsWith("-") ? argv[++i]! : "1"
      continue
    }
    const [name, inline] = arg.includes("=") ? [arg.slice(0, arg.indexOf("=")), arg.slice(arg.indexOf("=") + 1)] : [arg, undefined]
    const setting = allSettings.find((s) => s.flag === name) ?? httpFlagSettings.find((s) => s.flag === name)
    if (setting === undefined) {
      return Either.left(`unknown argument ${JSON.stringify(arg)}: run with --help to see the flags`)
    }
    const value = inline ?? argv[++i]
    if (value === undefined) {
      return Either.left(`${setting.flag} needs a value: expected ${setting.expected}`)
    }
    flags.set(setting.env, value)
    flagByEnv.set(setting.env, setting.flag)
  }
  const httpOnly = httpFlagSettings.find((s) => flags.has(s.env))
  if (!http && httpOnly !== undefined) {
    return Either.left(`${httpOnly.flag} is a setting of HTTP mode: add --http`)
  }
  return Either.right({ _tag: "Serve", flags, flagByEnv, http, dashboard })
}

/**
 * The configuration source for the server: flags first, then the environment.
 *
 * @since 0.1.0
 * @category config
 */
export const configProvider = (flags: ReadonlyMap<string, string>): ConfigProvider.ConfigProvider =>
  ConfigProvider.orElse(ConfigProvider.fromMap(new Map(flags)), () => ConfigProvider.fromEnv())

/**
 * The text of `--help`.
 *
 * @since 0.1.0
 * @category help
 */
export const helpText = (version: string): string => {
  const row = (s: { readonly flag: string | undefined; readonly env: string; readonly help: string; readonly defaultText: string }) =>
    `  ${s.flag === undefined ? "(no flag)".padEnd(30) : `${s.flag} <value>`.padEnd(30)} ${s.env}\n  ${"".padEnd(30)} ${s.help} (default: ${s.defaultText})`
  return [
    `mcp-background-job ${version}: an MCP server that runs shell commands as background jobs.`,
    "",
    "Usage: mcp-background-job [flags]               serve MCP over stdio",
    "       mcp-background-job --http [flags]        serve MCP over Streamable HTTP at /mcp",
    "       mcp-background-job --dashboard [host:port]  serve MCP over stdio and a dashboard on loopback",
    "                                                (MCP_BG_DASHBOARD=1 or host:port; default a free port)",
    "       mcp-background-job dashboard             print the URLs of your running dashboards",
    "       mcp-background-job <command> [args]      talk to a running HTTP server:",
    "                                                run, ls, status, logs, tail, send, wait, kill",
    "                                                (mcp-background-job help <command> for details)",
    "",
    "Each flag overrides its environment variable:",
    ...allSettings.map(row),
    "",
    "HTTP mode (with --http):",
    ...Object.values(httpSettings).map(row),
    `  ${"--help".padEnd(30)} show this help`,
    `  ${"--version".padEnd(30)} show the version`,
    "",
    "An invalid value stops the server with exit code 2 and a message naming the flag or variable."
  ].join("\n")
}
