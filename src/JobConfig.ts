/**
 * The runtime's configuration: one value, `JobConfig`, built programmatically with `JobConfig.make` or read
 * through Effect's `Config` (environment variables by default, any `ConfigProvider` works). Both ways end in
 * `JobConfig.validate`, the one check of every setting.
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
import * as fs from "node:fs"
import * as path from "node:path"
import {
  decodeDuration,
  EXPECTED_BYTES,
  invalidValue,
  isInRange,
  parseBoolean,
  parseByteSize,
  parseList,
  parseNumber,
  readSettings,
  reportProblems,
  type Setting,
  type SettingName
} from "./internal/settings.js"
import { MAX_RESULT_BUDGET } from "./internal/jobArguments.js"
import { unsupportedPolicyShell } from "./policy/CommandPolicy.js"
import { parseNameList } from "./policy/NamePattern.js"
import type { ResourceLimits } from "./policy/ResourceLimits.js"

export { firstInvalidSetting, parseByteSize, type Setting } from "./internal/settings.js"

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
  /** Bytes of output text one result may carry (stdout and stderr together); a call's `maxBytes` overrides it. */
  readonly maxResultSize: number
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
  /**
   * Values `make` was given but could not use (a pattern that does not compile, a duration that does not
   * decode), each naming its setting; the setting holds its default or leaves the value out meanwhile.
   * `validate` reports them: a configuration with problems never runs.
   */
  readonly problems?: ReadonlyArray<ConfigError.ConfigError> | undefined
}> {
  /**
   * Builds a configuration from the given fields and the defaults for the rest. It never throws: a value it
   * cannot use is recorded in `problems`, for `validate` (which `JobManager.layer` runs) to report.
   *
   * @since 0.1.0
   */
  static make(input: JobConfigInput = {}): JobConfig {
    const problems: Array<ConfigError.ConfigError> = []
    const decode = (setting: SettingName, value: Duration.DurationInput): Option.Option<Duration.Duration> => {
      const decoded = decodeDuration(value)
      if (Option.isNone(decoded)) problems.push(invalidValue(setting, value, DURATION_EXPECTED))
      return decoded
    }
    const interval = (setting: SettingName & { readonly default: Duration.Duration }, value: Duration.DurationInput | undefined) =>
      Option.getOrElse(decode(setting, value ?? setting.default), () => setting.default)
    // A pattern that does not compile stands as one that fails closed (an allowlist entry matching nothing, a
    // deny entry matching everything), so that a configuration used without `validate` never allows more.
    const patterns = (setting: SettingName, values: ReadonlyArray<RegExp | string>, failClosed: RegExp) =>
      values.map((value) => {
        const pattern = value instanceof RegExp ? value : typeof value === "string" ? compilePattern(value) : undefined
        if (pattern !== undefined) return pattern
        problems.push(invalidValue(setting, value, PATTERN_EXPECTED))
        return failClosed
      })
    const workingDir: unknown = input.workingDir ?? settings.workingDir.default
    if (typeof workingDir !== "string") problems.push(invalidValue(settings.workingDir, workingDir))
    const config = {
      maxJobs: input.maxJobs ?? settings.maxJobs.default,
      maxOutputSize: input.maxOutputSize ?? settings.maxOutputSize.default,
      maxResultSize: input.maxResultSize ?? settings.maxResultSize.default,
      jobTimeout: Option.fromNullable(input.jobTimeout ?? settings.jobTimeout.default).pipe(
        Option.flatMap((value) => decode(settings.jobTimeout, value))
      ),
      cleanupInterval: interval(settings.cleanupInterval, input.cleanupInterval),
      workingDir: path.resolve(typeof workingDir === "string" ? workingDir : settings.workingDir.default),
      allowedCommands: patterns(settings.allowedCommands, input.allowedCommands ?? settings.allowedCommands.default, MATCHES_NOTHING),
      deniedCommands: patterns(settings.deniedCommands, input.deniedCommands ?? settings.deniedCommands.default, MATCHES_EVERYTHING),
      restrictCwd: input.restrictCwd ?? settings.restrictCwd.default,
      scrubEnv: input.scrubEnv ?? settings.scrubEnv.default,
      allowedEnv: input.allowedEnv ?? settings.allowedEnv.default,
      limits: {
        fileSize: Option.fromNullable(input.limitFileSize ?? settings.limitFileSize.default),
        openFiles: Option.fromNullable(input.limitOpenFiles ?? settings.limitOpenFiles.default),
        cpuSeconds: Option.fromNullable(input.limitCpu ?? settings.limitCpu.default),
        virtualMemory: Option.fromNullable(input.limitMemory ?? settings.limitMemory.default)
      },
      shell: input.shell ?? settings.shell.default,
      killGrace: interval(settings.killGrace, input.killGrace),
      logLevel: input.logLevel ?? settings.logLevel.default
    }
    return new JobConfig(problems.length === 0 ? config : { ...config, problems })
  }

  /**
   * The one check of a configuration, however it was built: the values `make` could not use, the ranges of
   * numbers, a working directory that exists, and a shell whose syntax the command policy's parser covers
   * when a policy checks the commands. `Left` names the first setting at fault by its variable (further ones
   * joined with `ConfigError.And`), in the form of every setting error: `invalid value …: expected …`.
   *
   * @since 0.1.0
   */
  static validate(config: JobConfig, options: ValidateOptions = {}): Either.Either<JobConfig, ConfigError.ConfigError> {
    const positive = (setting: Setting<unknown>, value: number, expected?: string) =>
      isInRange(value, { min: 1, integer: true }) ? undefined : invalidValue(setting, value, expected)
    const limit = (setting: Setting<unknown>, value: Option.Option<number>, expected?: string) =>
      Option.isSome(value) ? positive(setting, value.value, expected) : undefined
    const policyActive = options.commandPolicy ?? (config.allowedCommands.length > 0 || config.deniedCommands.length > 0)
    const shellProblem = policyActive ? unsupportedPolicyShell(config.shell) : undefined
    return reportProblems(config, [
      ...(config.problems ?? []),
      positive(settings.maxJobs, config.maxJobs),
      positive(settings.maxOutputSize, config.maxOutputSize, EXPECTED_BYTES),
      isInRange(config.maxResultSize, { min: MIN_RESULT_SIZE, max: MAX_RESULT_BUDGET, integer: true }) ?
        undefined :
        invalidValue(settings.maxResultSize, config.maxResultSize, RESULT_SIZE_EXPECTED),
      isDirectory(config.workingDir) ? undefined : invalidValue(settings.workingDir, config.workingDir),
      limit(settings.limitFileSize, config.limits.fileSize, EXPECTED_BYTES),
      limit(settings.limitOpenFiles, config.limits.openFiles),
      limit(settings.limitCpu, config.limits.cpuSeconds),
      limit(settings.limitMemory, config.limits.virtualMemory, EXPECTED_BYTES),
      typeof config.shell === "string" && config.shell.trim() !== "" ? undefined : invalidValue(settings.shell, config.shell),
      shellProblem === undefined ? undefined : ConfigError.InvalidData([settings.shell.env], shellProblem)
    ])
  }

  /**
   * The configuration read through Effect's `Config`, from the `MCP_BG_*` names, and validated.
   *
   * @since 0.1.0
   */
  static get config(): Config.Config<JobConfig> {
    return readSettings(settings).pipe(Config.mapOrFail((input) => JobConfig.validate(JobConfig.make(input))))
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
  /** Bytes, 1024 to 1048576. */
  readonly maxResultSize?: number | undefined
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

/**
 * How `JobConfig.validate` checks.
 *
 * @since 0.1.0
 * @category models
 */
export interface ValidateOptions {
  /**
   * Whether a command policy checks the commands, so that the shell must be one whose syntax its parser
   * covers. Default: whether the configuration lists allowed or denied commands (an application that
   * provides its own `CommandPolicy` says whether that one is active).
   */
  readonly commandPolicy?: boolean | undefined
}

/** What a value given in code must be, where the variable's text form (`expected`) would mislead. */
const DURATION_EXPECTED = "a duration that is not negative, such as \"5 seconds\", a number of milliseconds or a Duration"
const PATTERN_EXPECTED = "a regular expression (a RegExp or its source) such as ^npm "

const MIN_RESULT_SIZE = 1024
const RESULT_SIZE_EXPECTED = "a size in bytes from 1KB to 1MB such as 32KB or 65536"

const MATCHES_NOTHING = /(?!)/
const MATCHES_EVERYTHING = /(?:)/

/** `new RegExp` reports a bad pattern by throwing; this turns that into a value. */
const compilePattern = (source: string): RegExp | undefined => {
  const result = Either.try(() => new RegExp(source))
  return Either.isRight(result) ? result.right : undefined
}

const isDirectory = (dir: string): boolean =>
  fs.statSync(dir, { throwIfNoEntry: false })?.isDirectory() === true

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
    default: 10,
    defaultText: "10",
    parse: (raw: string) => parseNumber(raw, { min: 1, integer: true })
  } satisfies Setting<number>,
  maxOutputSize: {
    env: "MCP_BG_MAX_OUTPUT_SIZE",
    flag: "--max-output-size",
    expected: "a size in bytes such as 1048576, 512KB, 10MB or 1GB (binary multiples)",
    help: "output kept per job, stdout and stderr together; oldest bytes are dropped first",
    default: 10 * 1024 * 1024,
    defaultText: "10MB",
    parse: parseByteSize
  } satisfies Setting<number>,
  maxResultSize: {
    env: "MCP_BG_MAX_RESULT_SIZE",
    flag: "--max-result-size",
    expected: RESULT_SIZE_EXPECTED,
    help: "output text one tool result may carry, stdout and stderr together; longer output is paged or shown as head and tail",
    default: 32 * 1024,
    defaultText: "32KB",
    parse: (raw: string) => parseByteSize(raw).pipe(Option.filter((bytes) => bytes >= MIN_RESULT_SIZE && bytes <= MAX_RESULT_BUDGET))
  } satisfies Setting<number>,
  jobTimeout: {
    env: "MCP_BG_JOB_TIMEOUT",
    flag: "--job-timeout",
    expected: "a number of seconds such as 600, or 0 or none for no limit",
    help: "default time limit of a job in seconds; the job ends as timed_out",
    default: null,
    defaultText: "none",
    parse: (raw: string): Option.Option<Duration.Duration | null> =>
      raw.toLowerCase() === "none"
        ? Option.some(null)
        : parseNumber(raw, { min: 0 }).pipe(Option.map((s) => (s === 0 ? null : Duration.seconds(s))))
  } satisfies Setting<Duration.Duration | null>,
  cleanupInterval: {
    env: "MCP_BG_CLEANUP_INTERVAL",
    flag: "--cleanup-interval",
    expected: "a number of seconds such as 300",
    help: "seconds a finished job stays readable before it is removed",
    default: Duration.seconds(300),
    defaultText: "300",
    parse: (raw: string) => parseNumber(raw, { min: 0 }).pipe(Option.map(Duration.seconds))
  } satisfies Setting<Duration.Duration>,
  workingDir: {
    env: "MCP_BG_WORKING_DIR",
    flag: "--working-dir",
    expected: "an existing directory",
    help: "directory jobs run in; a job's relative cwd is resolved against it",
    default: ".",
    defaultText: "the server's current directory",
    parse: (raw: string) => Option.some(path.resolve(raw))
  } satisfies Setting<string>,
  allowedCommands: {
    env: "MCP_BG_ALLOWED_COMMANDS",
    flag: "--allowed-commands",
    expected: "comma-separated regular expressions such as ^npm ,^git status",
    help: "comma-separated regexes; when set, every simple command must match one from its start",
    default: [],
    defaultText: "any command",
    parse: (raw: string) => parseList(raw, compilePattern),
    blankIsInvalid: true
  } satisfies Setting<ReadonlyArray<RegExp>>,
  deniedCommands: {
    env: "MCP_BG_DENIED_COMMANDS",
    flag: "--denied-commands",
    expected: "comma-separated regular expressions such as ^rm ,^git push",
    help: "comma-separated regexes; a simple command matching one from its start is refused",
    default: [],
    defaultText: "none",
    parse: (raw: string) => parseList(raw, compilePattern),
    blankIsInvalid: true
  } satisfies Setting<ReadonlyArray<RegExp>>,
  restrictCwd: {
    env: "MCP_BG_RESTRICT_CWD",
    flag: "--restrict-cwd",
    expected: "true or false",
    help: "a job's cwd must resolve (realpath) inside the working directory; always on with an allowlist",
    default: false,
    defaultText: "false",
    parse: parseBoolean
  } satisfies Setting<boolean>,
  scrubEnv: {
    env: "MCP_BG_SCRUB_ENV",
    flag: "--scrub-env",
    expected: "comma-separated variable names or globs such as AWS_*,*_TOKEN",
    help: "variables removed from the environment jobs inherit (MCP_BG_* tokens and keys always are)",
    default: [],
    defaultText: "none",
    parse: (raw: string) => Option.fromNullable(parseNameList(raw))
  } satisfies Setting<ReadonlyArray<string>>,
  allowedEnv: {
    env: "MCP_BG_ALLOWED_ENV",
    flag: "--allowed-env",
    expected: "comma-separated variable names or globs such as PATH,NODE_OPTIONS",
    help: "loader/interpreter hook variables (PATH, LD_*, NODE_OPTIONS, ...) a job may set under a command policy",
    default: [],
    defaultText: "none",
    parse: (raw: string) => Option.fromNullable(parseNameList(raw))
  } satisfies Setting<ReadonlyArray<string>>,
  limitFileSize: {
    env: "MCP_BG_LIMIT_FILE_SIZE",
    flag: "--limit-file-size",
    expected: "a size in bytes such as 1048576, 512KB, 100MB or 1GB (binary multiples)",
    help: "largest file a job's process may write (ulimit -f)",
    default: undefined,
    defaultText: "no limit",
    parse: parseByteSize
  } satisfies Setting<number>,
  limitOpenFiles: {
    env: "MCP_BG_LIMIT_OPEN_FILES",
    flag: "--limit-open-files",
    expected: "a positive integer such as 1024",
    help: "open file descriptors per process of a job (ulimit -n)",
    default: undefined,
    defaultText: "no limit",
    parse: (raw: string) => parseNumber(raw, { min: 1, integer: true })
  } satisfies Setting<number>,
  limitCpu: {
    env: "MCP_BG_LIMIT_CPU",
    flag: "--limit-cpu",
    expected: "a positive whole number of seconds such as 600",
    help: "CPU seconds per process of a job (ulimit -t)",
    default: undefined,
    defaultText: "no limit",
    parse: (raw: string) => parseNumber(raw, { min: 1, integer: true })
  } satisfies Setting<number>,
  limitMemory: {
    env: "MCP_BG_LIMIT_MEMORY",
    flag: "--limit-memory",
    expected: "a size in bytes such as 2GB or 512MB (binary multiples)",
    help: "virtual memory per process of a job (ulimit -v)",
    default: undefined,
    defaultText: "no limit",
    parse: parseByteSize
  } satisfies Setting<number>,
  shell: {
    env: "MCP_BG_SHELL",
    flag: "--shell",
    expected: "the path of a shell such as /bin/bash",
    help: "shell that runs each command as <shell> -c <command>",
    default: "/bin/sh",
    defaultText: "/bin/sh",
    parse: (raw: string) => Option.some(raw)
  } satisfies Setting<string>,
  killGrace: {
    env: "MCP_BG_KILL_GRACE",
    flag: "--kill-grace",
    expected: "a number of seconds such as 5",
    help: "seconds between SIGTERM and SIGKILL when a job is stopped",
    default: Duration.seconds(5),
    defaultText: "5",
    parse: (raw: string) => parseNumber(raw, { min: 0 }).pipe(Option.map(Duration.seconds))
  } satisfies Setting<Duration.Duration>,
  logLevel: {
    env: "MCP_BG_LOG_LEVEL",
    flag: "--log-level",
    expected: "one of trace, debug, info, warning, error, none",
    help: "minimum level of log lines, written to stderr",
    default: LogLevel.Info,
    defaultText: "info",
    parse: (raw: string) => Option.fromNullable(logLevels[raw.toLowerCase()])
  } satisfies Setting<LogLevel.LogLevel>
} as const

