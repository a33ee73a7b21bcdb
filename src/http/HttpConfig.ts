/**
 * The settings of HTTP mode: where to listen, which bearer tokens are accepted, which browser origins and
 * host names may talk to the server, and the limits on request bodies and idle sessions.
 *
 * @since 0.1.0
 */
import * as Config from "effect/Config"
import type * as ConfigError from "effect/ConfigError"
import * as Data from "effect/Data"
import * as Duration from "effect/Duration"
import * as Either from "effect/Either"
import * as Option from "effect/Option"
import * as net from "node:net"
import * as path from "node:path"
import {
  decodeDuration,
  EXPECTED_BYTES,
  invalidValue,
  isInRange,
  parseByteSize,
  parseList,
  parseNumber,
  readSettings,
  reportProblems,
  type Setting
} from "../internal/settings.js"

/**
 * A bearer token and the name its jobs belong to (`default` for a single unnamed token).
 *
 * @since 0.1.0
 * @category models
 */
export interface NamedToken {
  readonly name: string
  readonly token: string
}

/**
 * Every setting of HTTP mode, with its default filled in.
 *
 * @since 0.1.0
 * @category models
 */
export class HttpConfig extends Data.Class<{
  /** Address to listen on; loopback by default. */
  readonly host: string
  /** Port to listen on; 0 picks a free one. */
  readonly port: number
  /** Accepted tokens; empty means one is generated at start and written to the token file. */
  readonly tokens: ReadonlyArray<NamedToken>
  /** Where a generated token is written; `None` for the default place (see `defaultTokenFile`). */
  readonly tokenFile: Option.Option<string>
  /** Browser origins (`scheme://host[:port]`) allowed to call the server; others get 403. */
  readonly allowedOrigins: ReadonlyArray<string>
  /** Host names, besides the bound address, that the `Host` header may name (e.g. behind a reverse proxy). */
  readonly allowedHosts: ReadonlyArray<string>
  /** Largest request body accepted; larger ones get 413. */
  readonly maxBodySize: number
  /** A session without requests or open streams for this long is closed (its jobs keep running). */
  readonly sessionIdle: Duration.Duration
  /**
   * Values `make` was given but could not use (a duration that does not decode), each naming its setting;
   * the setting holds its default meanwhile. `validate` reports them.
   */
  readonly problems?: ReadonlyArray<ConfigError.ConfigError> | undefined
}> {
  /**
   * Builds a configuration from the given fields and the defaults for the rest. It never throws: a value it
   * cannot use is recorded in `problems`, for `validate` (which `McpHttpServer.listen` runs) to report.
   *
   * @since 0.1.0
   */
  static make(input: HttpConfigInput = {}): HttpConfig {
    const problems: Array<ConfigError.ConfigError> = []
    const sessionIdle = input.sessionIdle ?? httpSettings.sessionIdle.default
    const config = {
      host: input.host ?? httpSettings.host.default,
      port: input.port ?? httpSettings.port.default,
      tokens: input.tokens ?? httpSettings.tokens.default,
      tokenFile: Option.fromNullable(input.tokenFile ?? httpSettings.tokenFile.default).pipe(Option.map((file) => path.resolve(file))),
      allowedOrigins: (input.allowedOrigins ?? httpSettings.allowedOrigins.default).map(normalizeOrigin),
      allowedHosts: (input.allowedHosts ?? httpSettings.allowedHosts.default).map((host) => host.toLowerCase()),
      maxBodySize: input.maxBodySize ?? httpSettings.maxBodySize.default,
      sessionIdle: Option.getOrElse(decodeDuration(sessionIdle), () => {
        problems.push(invalidValue(httpSettings.sessionIdle, sessionIdle, DURATION_EXPECTED))
        return httpSettings.sessionIdle.default
      })
    }
    return new HttpConfig(problems.length === 0 ? config : { ...config, problems })
  }

  /**
   * The one check of an HTTP configuration, however it was built: the values `make` could not use and the
   * ranges of numbers. `Left` names the first setting at fault by its variable, in the form of every setting
   * error. (Listening without a token on a non-loopback address is `checkExposure`'s to refuse.)
   *
   * @since 0.1.0
   */
  static validate(config: HttpConfig): Either.Either<HttpConfig, ConfigError.ConfigError> {
    return reportProblems(config, [
      ...(config.problems ?? []),
      isInRange(config.port, PORT_RANGE) ? undefined : invalidValue(httpSettings.port, config.port),
      isInRange(config.maxBodySize, { min: 1, integer: true }) ?
        undefined :
        invalidValue(httpSettings.maxBodySize, config.maxBodySize, EXPECTED_BYTES),
      Duration.greaterThan(config.sessionIdle, Duration.zero) ?
        undefined :
        invalidValue(httpSettings.sessionIdle, Duration.format(config.sessionIdle), DURATION_EXPECTED)
    ])
  }

  /**
   * The configuration read through Effect's `Config`, from the `MCP_BG_HTTP_*` names, and validated.
   *
   * @since 0.1.0
   */
  static get config(): Config.Config<HttpConfig> {
    return readSettings(httpSettings).pipe(Config.mapOrFail((input) => HttpConfig.validate(HttpConfig.make(input))))
  }
}

/**
 * What `HttpConfig.make` accepts: any subset of the settings.
 *
 * @since 0.1.0
 * @category models
 */
export interface HttpConfigInput {
  readonly host?: string | undefined
  readonly port?: number | undefined
  readonly tokens?: ReadonlyArray<NamedToken> | undefined
  readonly tokenFile?: string | undefined
  readonly allowedOrigins?: ReadonlyArray<string> | undefined
  readonly allowedHosts?: ReadonlyArray<string> | undefined
  readonly maxBodySize?: number | undefined
  readonly sessionIdle?: Duration.DurationInput | undefined
}

const PORT_RANGE = { min: 0, max: 65535, integer: true } as const
const DURATION_EXPECTED = "a positive duration such as \"30 minutes\", a number of milliseconds or a Duration"

/**
 * One HTTP setting. Like a `Setting` of the runtime, except that a secret has no flag: a token on the
 * command line would be visible to every user in the process list.
 *
 * @since 0.1.0
 * @category models
 */
export interface HttpSetting<A> extends Omit<Setting<A>, "flag"> {
  /** `undefined` for a setting with no flag (a token would show in the process list). */
  readonly flag: string | undefined
}

const TOKEN_NAME = /^[A-Za-z0-9_.-]{1,64}$/
/** Visible ASCII without spaces or commas: what fits in a header and in the comma-separated list. */
const TOKEN_TEXT = /^[\x21-\x2b\x2d-\x7e]+$/

/**
 * Parses `MCP_BG_HTTP_TOKEN`: one token, or comma-separated `name:token` pairs with distinct names and
 * tokens.
 *
 * @since 0.1.0
 * @category parsing
 */
export const parseTokens = (raw: string): Option.Option<ReadonlyArray<NamedToken>> => {
  const entries = raw.split(",").map((entry) => entry.trim()).filter((entry) => entry.length > 0)
  if (entries.length === 0) return Option.none()
  const tokens: Array<NamedToken> = []
  for (const entry of entries) {
    const colon = entry.indexOf(":")
    if (colon < 0 && entries.length > 1) return Option.none()
    const name = colon < 0 ? "default" : entry.slice(0, colon)
    const token = colon < 0 ? entry : entry.slice(colon + 1)
    if (!TOKEN_NAME.test(name) || !TOKEN_TEXT.test(token)) return Option.none()
    if (tokens.some((other) => other.name === name || other.token === token)) return Option.none()
    tokens.push({ name, token })
  }
  return Option.some(tokens)
}

/**
 * An origin as browsers send it: lower case, without a trailing slash.
 *
 * @since 0.1.0
 * @category parsing
 */
export const normalizeOrigin = (origin: string): string => origin.trim().replace(/\/+$/, "").toLowerCase()

const parseOrigin = (entry: string): string | undefined => {
  const result = Either.try(() => new URL(entry))
  if (Either.isLeft(result)) return undefined
  const url = result.right
  const bare = (url.pathname === "/" || url.pathname === "") && url.search === "" && url.hash === "" && url.username === ""
  return bare && (url.protocol === "http:" || url.protocol === "https:") ? url.origin.toLowerCase() : undefined
}

const parseHostName = (entry: string): string | undefined =>
  /^(\[[0-9a-f:.]+\]|[a-z0-9.-]+)(:\d{1,5})?$/i.test(entry) || net.isIPv6(entry) ? entry.toLowerCase() : undefined

/**
 * The table of HTTP settings, in `--help` order.
 *
 * @since 0.1.0
 * @category settings
 */
export const httpSettings = {
  host: {
    env: "MCP_BG_HTTP_HOST",
    flag: "--host",
    expected: "an IP address or host name such as 127.0.0.1",
    help: "address to listen on; anything but loopback needs MCP_BG_HTTP_TOKEN",
    default: "127.0.0.1",
    defaultText: "127.0.0.1",
    parse: (raw: string) => (/^[A-Za-z0-9.:-]+$/.test(raw) ? Option.some(raw) : Option.none())
  } satisfies HttpSetting<string>,
  port: {
    env: "MCP_BG_HTTP_PORT",
    flag: "--port",
    expected: "a port number from 0 to 65535 (0 picks a free port)",
    help: "port to listen on (0 picks a free one)",
    default: 7345,
    defaultText: "7345",
    // Digits only: a port is never written with a fraction, not even .0.
    parse: (raw: string) => (/^\d+$/.test(raw) ? parseNumber(raw, PORT_RANGE) : Option.none())
  } satisfies HttpSetting<number>,
  tokens: {
    env: "MCP_BG_HTTP_TOKEN",
    flag: undefined,
    secret: true,
    expected:
      "a token, or comma-separated name:token pairs with distinct names (letters, digits, - _ .) and distinct tokens (visible ASCII, no spaces or commas)",
    help: "bearer token(s) clients must send; name:token pairs give each name its own jobs",
    default: [],
    defaultText: "generated at start and written to the token file",
    parse: parseTokens
  } satisfies HttpSetting<ReadonlyArray<NamedToken>>,
  tokenFile: {
    env: "MCP_BG_HTTP_TOKEN_FILE",
    flag: "--token-file",
    expected: "a file path",
    help: "where a generated token is written (readable by you only) and where the CLI looks for it",
    default: undefined,
    defaultText: "$XDG_RUNTIME_DIR/mcp-background-job/http-<port>.token",
    parse: (raw: string) => Option.some(raw)
  } satisfies HttpSetting<string>,
  allowedOrigins: {
    env: "MCP_BG_HTTP_ALLOWED_ORIGINS",
    flag: "--allowed-origins",
    expected: "comma-separated origins such as http://localhost:5173,https://app.example.com",
    help: "browser origins allowed to call the server; a request with another Origin gets 403",
    default: [],
    defaultText: "none",
    parse: (raw: string) => parseList(raw, parseOrigin)
  } satisfies HttpSetting<ReadonlyArray<string>>,
  allowedHosts: {
    env: "MCP_BG_HTTP_ALLOWED_HOSTS",
    flag: "--allowed-hosts",
    expected: "comma-separated host names such as jobs.example.com (optionally with :port)",
    help: "Host header values accepted besides the bound address (e.g. behind a reverse proxy)",
    default: [],
    defaultText: "the bound address (and localhost names when it is loopback)",
    parse: (raw: string) => parseList(raw, parseHostName)
  } satisfies HttpSetting<ReadonlyArray<string>>,
  maxBodySize: {
    env: "MCP_BG_HTTP_MAX_BODY",
    flag: "--max-body",
    expected: "a size in bytes such as 4MB or 1048576 (binary multiples)",
    help: "largest request body accepted; larger ones get 413",
    default: 4 * 1024 * 1024,
    defaultText: "4MB",
    parse: parseByteSize
  } satisfies HttpSetting<number>,
  sessionIdle: {
    env: "MCP_BG_HTTP_SESSION_IDLE",
    flag: "--session-idle",
    expected: "a number of seconds such as 1800",
    help: "seconds a session may stay idle before it is closed (its jobs keep running)",
    default: Duration.minutes(30),
    defaultText: "1800",
    parse: (raw: string) =>
      parseNumber(raw, { min: 0 }).pipe(Option.filter((seconds) => seconds > 0), Option.map(Duration.seconds))
  } satisfies HttpSetting<Duration.Duration>
} as const

/**
 * Whether an address only accepts connections from this machine.
 *
 * @since 0.1.0
 * @category addresses
 */
export const isLoopback = (host: string): boolean => {
  const bare = host.replace(/^\[|\]$/g, "").toLowerCase()
  if (bare === "localhost" || bare.endsWith(".localhost")) return true
  if (net.isIPv4(bare)) return bare.startsWith("127.")
  if (bare === "::1") return true
  return /^::ffff:127\./.test(bare)
}

/**
 * Refuses a configuration that would let the network run commands with a token nobody chose: a
 * non-loopback address needs an explicit `MCP_BG_HTTP_TOKEN`. `Left` is the message to show.
 *
 * @since 0.1.0
 * @category validation
 */
export const checkExposure = (config: HttpConfig): Either.Either<void, string> =>
  isLoopback(config.host) || config.tokens.length > 0 ?
    Either.right(undefined) :
    Either.left(
      `refusing to listen on ${config.host} without MCP_BG_HTTP_TOKEN: anyone who can reach that address could run commands. ` +
        "Set MCP_BG_HTTP_TOKEN (e.g. export MCP_BG_HTTP_TOKEN=$(openssl rand -hex 32)) or listen on 127.0.0.1."
    )
