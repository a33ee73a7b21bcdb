/**
 * The runtime's configuration: one value, `JobConfig`, built programmatically with `JobConfig.make` or read
 * through Effect's `Config` (environment variables by default, any `ConfigProvider` works).
 *
 * @since 0.1.0
 */
import * as Config from "effect/Config"
import * as ConfigError from "effect/ConfigError"
import * as Data from "effect/Data"
import * as Duration from "effect/Duration"
import * as Either from "effect/Either"
import * as LogLevel from "effect/LogLevel"
import * as Option from "effect/Option"
import * as path from "node:path"
import { parseNameList } from "./policy/NamePattern.js"
import type { ResourceLimits } from "./policy/ResourceLimits.js"

/**
 * Every setting of the runtime, with its default filled in.
 *
 * @since 0.1.0
 * @category models
 */
export class JobConfig extends Data.Class<{
  /** Jobs that may run at once; finished jobs do not count. */
  readonly maxJobs: number
  /** Bytes of output kept per job, stdout and stderr together; the oldest bytes go first. */
  readonly maxOutputSize: number
  /** Default time limit of a job; `None` means no limit. */
  readonly jobTimeout: Option.Option<Duration.Duration>
  /** How long a finished job stays readable before it is removed. */
  readonly cleanupInterval: Duration.Duration
  /** Absolute directory that jobs run in, and that a relative `cwd` is resolved against. */
  readonly workingDir: string
  /** When non-empty, every simple command of a command must match one of these patterns (from its start). */
  readonly allowedCommands: ReadonlyArray<RegExp>
  /** A simple command matching one of these patterns (from its start) is refused. */
  readonly deniedCommands: ReadonlyArray<RegExp>
  /** A job's cwd must resolve inside `workingDir` (always so when `allowedCommands` is set). */
  readonly restrictCwd: boolean
  /** Names or globs removed from the environment jobs inherit (besides the server's own secrets). */
  readonly scrubEnv: ReadonlyArray<string>
  /** Loader and interpreter hook variables a job may set even under a command policy: names or globs. */
  readonly allowedEnv: ReadonlyArray<string>
  /** Per-job resource limits, applied with `ulimit` before the command runs. */
  readonly limits: ResourceLimits
  /** The shell that runs each command as `<shell> -c <command>`. */
  readonly shell: string
  /** Time between SIGTERM and SIGKILL when a job's process group is stopped. */
  readonly killGrace: Duration.Duration
  /** Minimum level of log lines (written to stderr). */
  readonly logLevel: LogLevel.LogLevel
}> {
  /**
   * Builds a configuration from the given fields and the defaults for the rest.
   *
   * @since 0.1.0
   */
  static make(input: JobConfigInput = {}): JobConfig {
    return new JobConfig({
      maxJobs: input.maxJobs ?? defaults.maxJobs,
      maxOutputSize: input.maxOutputSize ?? defaults.maxOutputSize,
      jobTimeout: input.jobTimeout === undefined || input.jobTimeout === null
        ? Option.none()
        : Option.some(Duration.decode(input.jobTimeout)),
      cleanupInterval: Duration.decode(input.cleanupInterval ?? defaults.cleanupInterval),
      workingDir: path.resolve(input.workingDir ?? process.cwd()),
      allowedCommands: (input.allowedCommands ?? []).map((p) => (typeof p === "string" ? new RegExp(p) : p)),
      deniedCommands: (input.deniedCommands ?? []).map((p) => (typeof p === "string" ? new RegExp(p) : p)),
      restrictCwd: input.restrictCwd ?? false,
      scrubEnv: input.scrubEnv ?? [],
      allowedEnv: input.allowedEnv ?? [],
      limits: {
        fileSize: Option.fromNullable(input.limitFileSize),
        openFiles: Option.fromNullable(input.limitOpenFiles),
        cpuSeconds: Option.fromNullable(input.limitCpu),
        virtualMemory: Option.fromNullable(input.limitMemory)
      },
      shell: input.shell ?? defaults.shell,
      killGrace: Duration.decode(input.killGrace ?? defaults.killGrace),
      logLevel: input.logLevel ?? LogLevel.Info
    })
  }

  /**
   * The configuration read through Effect's `Config`, from the `MCP_BG_*` names.
   *
   * @since 0.1.0
   */
  static get config(): Config.Config<JobConfig> {
    return Config.all({
      maxJobs: readSetting(settings.maxJobs),
      maxOutputSize: readSetting(settings.maxOutputSize),
      jobTimeout: readSetting(settings.jobTimeout),
      cleanupInterval: readSetting(settings.cleanupInterval),
      workingDir: readSetting(settings.workingDir),
      allowedCommands: readSetting(settings.allowedCommands),
      deniedCommands: readSetting(settings.deniedCommands),
      restrictCwd: readSetting(settings.restrictCwd),
      scrubEnv: readSetting(settings.scrubEnv),
      allowedEnv: readSetting(settings.allowedEnv),
      limitFileSize: readSetting(settings.limitFileSize),
      limitOpenFiles: readSetting(settings.limitOpenFiles),
      limitCpu: readSetting(settings.limitCpu),
      limitMemory: readSetting(settings.limitMemory),
      shell: readSetting(settings.shell),
      killGrace: readSetting(settings.killGrace),
      logLevel: readSetting(settings.logLevel)
    }).pipe(Config.map((input) => JobConfig.make(input)))
  }
}

/**
 * What `JobConfig.make` accepts: any subset of the settings, durations in any `Duration` form.
 *
 * @since 0.1.0
 * @category models
 */
export interface JobConfigInput {
  readonly maxJobs?: number | undefined
  readonly maxOutputSize?: number | undefined
  readonly jobTimeout?: Duration.DurationInput | null | undefined
  readonly cleanupInterval?: Duration.DurationInput | undefined
  readonly workingDir?: string | undefined
  readonly allowedCommands?: ReadonlyArray<RegExp | string> | undefined
  readonly deniedCommands?: ReadonlyArray<RegExp | string> | undefined
  readonly restrictCwd?: boolean | undefined
  readonly scrubEnv?: ReadonlyArray<string> | undefined
  readonly allowedEnv?: ReadonlyArray<string> | undefined
  /** Bytes. */
  readonly limitFileSize?: number | undefined
  readonly limitOpenFiles?: number | undefined
  /** Seconds. */
  readonly limitCpu?: number | undefined
  /** Bytes of virtual memory. */
  readonly limitMemory?: number | undefined
  readonly shell?: string | undefined
  readonly killGrace?: Duration.DurationInput | undefined
  readonly logLevel?: LogLevel.LogLevel | undefined
}

const defaults = {
  maxJobs: 10,
  maxOutputSize: 10 * 1024 * 1024,
  cleanupInterval: Duration.seconds(300),
  shell: "/bin/sh",
  killGrace: Duration.seconds(5)
} as const

/**
 * One configurable setting: its variable, its flag, what form it takes and how to parse it.
 *
 * @since 0.1.0
 * @category models
 */
export interface Setting<A> {
  readonly env: string
  readonly flag: string
  /** The accepted form, completing "expected …" in error messages. */
  readonly expected: string
  readonly help: string
  readonly defaultText: string
  readonly parse: (raw: string) => Option.Option<A>
  /** Its value is never repeated in error messages. */
  readonly secret?: boolean | undefined
  /** A blank value is an error, not "unset": a list that restricts commands must never silently mean none. */
  readonly blankIsInvalid?: boolean | undefined
}

const UNITS: Record<string, number> = {
  "": 1,
  b: 1,
  k: 1024,
  kb: 1024,
  kib: 1024,
  m: 1024 ** 2,
  mb: 1024 ** 2,
  mib: 1024 ** 2,
  g: 1024 ** 3,
  gb: 1024 ** 3,
  gib: 1024 ** 3
}

/**
 * Parses a byte size such as `10MB`, `512 kb` or `1048576` (binary multiples).
 *
 * @since 0.1.0
 * @category parsing
 */
export const parseByteSize = (raw: string): Option.Option<number> => {
  const match = /^(\d+(?:\.\d+)?)\s*([a-z]*)$/i.exec(raw.trim())
  if (match === null) return Option.none()
  const unit = UNITS[match[2]!.toLowerCase()]
  if (unit === undefined) return Option.none()
  const bytes = Math.floor(Number(match[1]) * unit)
  return Number.isSafeInteger(bytes) && bytes >= 1 ? Option.some(bytes) : Option.none()
}

const parseNumber = (raw: string, min: number, integer: boolean): Option.Option<number> => {
  if (!/^\d+(\.\d+)?$/.test(raw)) return Option.none()
  const value = Number(raw)
  if (!Number.isFinite(value) || value < min || (integer && !Number.isSafeInteger(value))) return Option.none()
  return Option.some(value)
}

const parsePatterns = (raw: string): Option.Option<ReadonlyArray<RegExp>> => {
  const sources = raw.split(",").map((p) => p.trim()).filter((p) => p.length > 0)
  if (sources.length === 0) return Option.none()
  const compiled: Array<RegExp> = []
  for (const source of sources) {
    const pattern = compilePattern(source)
    if (pattern === undefined) return Option.none()
    compiled.push(pattern)
  }
  return Option.some(compiled)
}

/** `new RegExp` reports a bad pattern by throwing; this turns that into a value. */
const compilePattern = (source: string): RegExp | undefined => {
  const result = Either.try(() => new RegExp(source))
  return Either.isRight(result) ? result.right : undefined
}

const booleans: Record<string, boolean> = { true: true, yes: true, on: true, "1": true, false: false, no: false, off: false, "0": false }

const logLevels: Record<string, LogLevel.LogLevel> = {
  all: LogLevel.All,
  trace: LogLevel.Trace,
  debug: LogLevel.Debug,
  info: LogLevel.Info,
  warning: LogLevel.Warning,
  warn: LogLevel.Warning,
  error: LogLevel.Error,
  fatal: LogLevel.Fatal,
  none: LogLevel.None
}

/**
 * The table of settings, in `--help` order.
 *
 * @since 0.1.0
 * @category settings
 */
export const settings = {
  maxJobs: {
    env: "MCP_BG_MAX_JOBS",
    flag: "--max-jobs",
    expected: "a positive integer such as 10",
    help: "jobs that may run at once (finished jobs do not count)",
    defaultText: "10",
    parse: (raw: string) => parseNumber(raw, 1, true)
  } satisfies Setting<number>,
  maxOutputSize: {
    env: "MCP_BG_MAX_OUTPUT_SIZE",
    flag: "--max-output-size",
    expected: "a size in bytes such as 1048576, 512KB, 10MB or 1GB (binary multiples)",
    help: "output kept per job, stdout and stderr together; oldest bytes are dropped first",
    defaultText: "10MB",
    parse: parseByteSize
  } satisfies Setting<number>,
  jobTimeout: {
    env: "MCP_BG_JOB_TIMEOUT",
    flag: "--job-timeout",
    expected: "a number of seconds such as 600, or 0 or none for no limit",
    help: "default time limit of a job in seconds; the job ends as timed_out",
    defaultText: "none",
    parse: (raw: string): Option.Option<Duration.Duration | null> =>
      raw.toLowerCase() === "none"
        ? Option.some(null)
        : parseNumber(raw, 0, false).pipe(Option.map((s) => (s === 0 ? null : Duration.seconds(s))))
  } satisfies Setting<Duration.Duration | null>,
  cleanupInterval: {
    env: "MCP_BG_CLEANUP_INTERVAL",
    flag: "--cleanup-interval",
    expected: "a number of seconds such as 300",
    help: "seconds a finished job stays readable before it is removed",
    defaultText: "300",
    parse: (raw: string) => parseNumber(raw, 0, false).pipe(Option.map(Duration.seconds))
  } satisfies Setting<Duration.Duration>,
  workingDir: {
    env: "MCP_BG_WORKING_DIR",
    flag: "--working-dir",
    expected: "an existing directory",
    help: "directory jobs run in; a job's relative cwd is resolved against it",
    defaultText: "the server's current directory",
    parse: (raw: string) => Option.some(path.resolve(raw))
  } satisfies Setting<string>,
  allowedCommands: {
    env: "MCP_BG_ALLOWED_COMMANDS",
    flag: "--allowed-commands",
    expected: "comma-separated regular expressions such as ^npm ,^git status",
    help: "comma-separated regexes; when set, every simple command must match one from its start",
    defaultText: "any command",
    parse: parsePatterns,
    blankIsInvalid: true
  } satisfies Setting<ReadonlyArray<RegExp>>,
  deniedCommands: {
    env: "MCP_BG_DENIED_COMMANDS",
    flag: "--denied-commands",
    expected: "comma-separated regular expressions such as ^rm ,^git push",
    help: "comma-separated regexes; a simple command matching one from its start is refused",
    defaultText: "none",
    parse: parsePatterns,
    blankIsInvalid: true
  } satisfies Setting<ReadonlyArray<RegExp>>,
  restrictCwd: {
    env: "MCP_BG_RESTRICT_CWD",
    flag: "--restrict-cwd",
    expected: "true or false",
    help: "a job's cwd must resolve (realpath) inside the working directory; always on with an allowlist",
    defaultText: "false",
    parse: (raw: string) => Option.fromNullable(booleans[raw.toLowerCase()])
  } satisfies Setting<boolean>,
  scrubEnv: {
    env: "MCP_BG_SCRUB_ENV",
    flag: "--scrub-env",
    expected: "comma-separated variable names or globs such as AWS_*,*_TOKEN",
    help: "variables removed from the environment jobs inherit (MCP_BG_* tokens and keys always are)",
    defaultText: "none",
    parse: (raw: string) => Option.fromNullable(parseNameList(raw))
  } satisfies Setting<ReadonlyArray<string>>,
  allowedEnv: {
    env: "MCP_BG_ALLOWED_ENV",
    flag: "--allowed-env",
    expected: "comma-separated variable names or globs such as PATH,NODE_OPTIONS",
    help: "loader/interpreter hook variables (PATH, LD_*, NODE_OPTIONS, ...) a job may set under a command policy",
    defaultText: "none",
    parse: (raw: string) => Option.fromNullable(parseNameList(raw))
  } satisfies Setting<ReadonlyArray<string>>,
  limitFileSize: {
    env: "MCP_BG_LIMIT_FILE_SIZE",
    flag: "--limit-file-size",
    expected: "a size in bytes such as 1048576, 512KB, 100MB or 1GB (binary multiples)",
    help: "largest file a job's process may write (ulimit -f)",
    defaultText: "no limit",
    parse: parseByteSize
  } satisfies Setting<number>,
  limitOpenFiles: {
    env: "MCP_BG_LIMIT_OPEN_FILES",
    flag: "--limit-open-files",
    expected: "a positive integer such as 1024",
    help: "open file descriptors per process of a job (ulimit -n)",
    defaultText: "no limit",
    parse: (raw: string) => parseNumber(raw, 1, true)
  } satisfies Setting<number>,
  limitCpu: {
    env: "MCP_BG_LIMIT_CPU",
    flag: "--limit-cpu",
    expected: "a positive whole number of seconds such as 600",
    help: "CPU seconds per process of a job (ulimit -t)",
    defaultText: "no limit",
    parse: (raw: string) => parseNumber(raw, 1, true)
  } satisfies Setting<number>,
  limitMemory: {
    env: "MCP_BG_LIMIT_MEMORY",
    flag: "--limit-memory",
    expected: "a size in bytes such as 2GB or 512MB (binary multiples)",
    help: "virtual memory per process of a job (ulimit -v)",
    defaultText: "no limit",
    parse: parseByteSize
  } satisfies Setting<number>,
  shell: {
    env: "MCP_BG_SHELL",
    flag: "--shell",
    expected: "the path of a shell such as /bin/bash",
    help: "shell that runs each command as <shell> -c <command>",
    defaultText: "/bin/sh",
    parse: (raw: string) => Option.some(raw)
  } satisfies Setting<string>,
  killGrace: {
    env: "MCP_BG_KILL_GRACE",
    flag: "--kill-grace",
    expected: "a number of seconds such as 5",
    help: "seconds between SIGTERM and SIGKILL when a job is stopped",
    defaultText: "5",
    parse: (raw: string) => parseNumber(raw, 0, false).pipe(Option.map(Duration.seconds))
  } satisfies Setting<Duration.Duration>,
  logLevel: {
    env: "MCP_BG_LOG_LEVEL",
    flag: "--log-level",
    expected: "one of trace, debug, info, warning, error, none",
    help: "minimum level of log lines, written to stderr",
    defaultText: "info",
    parse: (raw: string) => Option.fromNullable(logLevels[raw.toLowerCase()])
  } satisfies Setting<LogLevel.LogLevel>
} as const

/**
 * A setting as an optional `Config`: unset (or blank, unless `blankIsInvalid`) means the default; anything
 * else must parse, or the error names the variable, the value and the form expected.
 *
 * @since 0.1.0
 * @category settings
 */
export const readSetting = <A>(
  setting: Pick<Setting<A>, "env" | "expected" | "parse" | "secret" | "blankIsInvalid">
): Config.Config<A | undefined> =>
  Config.string(setting.env).pipe(
    Config.option,
    Config.mapOrFail((value) => {
      if (Option.isNone(value)) return Either.right(undefined)
      const raw = value.value.trim()
      const invalid = () =>
        Either.left(
          ConfigError.InvalidData(
            [setting.env],
            `invalid value ${setting.secret === true ? "(not shown)" : JSON.stringify(raw)}: expected ${setting.expected}`
          )
        )
      if (raw === "") return setting.blankIsInvalid === true ? invalid() : Either.right(undefined)
      return Option.match(setting.parse(raw), { onNone: invalid, onSome: Either.right })
    })
  )

/**
 * The first invalid setting named in a `ConfigError`, as `[variable, message]`.
 *
 * @since 0.1.0
 * @category errors
 */
export const firstInvalidSetting = (error: ConfigError.ConfigError): readonly [string, string] | undefined => {
  switch (error._op) {
    case "InvalidData":
      return [error.path.join("."), error.message]
    case "And":
    case "Or":
      return firstInvalidSetting(error.left) ?? firstInvalidSetting(error.right)
    default:
      return undefined
  }
}
