/**
 * The machinery of a settings table, shared by the runtime's settings and HTTP mode's: what a setting is,
 * reading one from a `ConfigProvider` (environment variables, flags), the parsers of its text form, and the
 * one error form of a value that cannot be used, whether it came as text or from code.
 *
 * @since 0.1.0
 */
import * as Config from "effect/Config"
import * as ConfigError from "effect/ConfigError"
import * as Duration from "effect/Duration"
import * as Either from "effect/Either"
import * as Option from "effect/Option"

/**
 * One configurable setting: its variable, its flag, its default, what form it takes and how to parse it.
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
  /** The value when the setting is not given; `undefined` where "not given" has a meaning of its own (no limit). */
  readonly default: A | undefined
  /** The default as `--help` shows it. */
  readonly defaultText: string
  readonly parse: (raw: string) => Option.Option<A>
  /** Its value is never repeated in error messages. */
  readonly secret?: boolean | undefined
  /** A blank value is an error, not "unset": a list that restricts commands must never silently mean none. */
  readonly blankIsInvalid?: boolean | undefined
}

/**
 * What reading a setting needs; `Setting` and `HttpSetting` both have it.
 *
 * @since 0.1.0
 * @category models
 */
export type SettingSource<A> = Pick<Setting<A>, "env" | "expected" | "parse" | "secret" | "blankIsInvalid">

/**
 * What naming a setting in an error needs.
 *
 * @since 0.1.0
 * @category models
 */
export type SettingName = Pick<Setting<unknown>, "env" | "expected" | "secret">

/** How a value appears in a message: strings quoted, numbers as written (`NaN` and `-1` stay visible). */
const show = (value: unknown): string => {
  if (typeof value === "number" || typeof value === "bigint" || value === undefined) return String(value)
  return JSON.stringify(value) ?? String(value)
}

/**
 * The error of a value a setting cannot use, in the one form every setting error takes: the path is the
 * variable's name, the message `invalid value <value>: expected <form>`.
 *
 * @since 0.1.0
 * @category errors
 */
export const invalidValue = (setting: SettingName, value: unknown, expected: string = setting.expected): ConfigError.ConfigError =>
  ConfigError.InvalidData([setting.env], `invalid value ${setting.secret === true ? "(not shown)" : show(value)}: expected ${expected}`)

/**
 * A setting as an optional `Config`: unset (or blank, unless `blankIsInvalid`) means the default; anything
 * else must parse, or the error names the variable, the value and the form expected.
 *
 * @since 0.1.0
 * @category settings
 */
export const readSetting = <A>(setting: SettingSource<A>): Config.Config<A | undefined> =>
  Config.string(setting.env).pipe(
    Config.option,
    Config.mapOrFail((value) => {
      if (Option.isNone(value)) return Either.right(undefined)
      const raw = value.value.trim()
      const invalid = () => Either.left(invalidValue(setting, raw))
      if (raw === "") return setting.blankIsInvalid === true ? invalid() : Either.right(undefined)
      return Option.match(setting.parse(raw), { onNone: invalid, onSome: Either.right })
    })
  )

/**
 * The value type of a setting.
 *
 * @since 0.1.0
 * @category models
 */
export type SettingValue<S> = S extends SettingSource<infer A> ? A : never

/**
 * Every setting of a table read at once, each `undefined` when not given.
 *
 * @since 0.1.0
 * @category settings
 */
export const readSettings = <const T extends Record<string, SettingSource<unknown>>>(
  table: T
): Config.Config<{ readonly [K in keyof T]: SettingValue<T[K]> | undefined }> =>
  // `Config.all` over a record keeps the keys; the mapped type says what each one holds.
  Config.all(Object.fromEntries(Object.entries(table).map(([key, setting]) => [key, readSetting(setting)]))) as Config.Config<
    { readonly [K in keyof T]: SettingValue<T[K]> | undefined }
  >

/**
 * The problems found in a configuration as one error (`ConfigError.And` of them, in order), or the
 * configuration itself when there are none.
 *
 * @since 0.1.0
 * @category errors
 */
export const reportProblems = <A>(
  value: A,
  problems: ReadonlyArray<ConfigError.ConfigError | undefined>
): Either.Either<A, ConfigError.ConfigError> => {
  const found = problems.filter((problem): problem is ConfigError.ConfigError => problem !== undefined)
  const [first, ...rest] = found
  return first === undefined ? Either.right(value) : Either.left(rest.reduce((all, next) => ConfigError.And(all, next), first))
}

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

/**
 * A `ConfigError` as one line: `<name>: <message>` for the first invalid setting, its variable shown as
 * `nameOf` says (the bin shows the flag the user typed).
 *
 * @since 0.1.0
 * @category errors
 */
export const describeConfigError = (error: ConfigError.ConfigError, nameOf: (env: string) => string = (env) => env): string => {
  const invalid = firstInvalidSetting(error)
  return invalid === undefined ? `configuration: ${String(error)}` : `${nameOf(invalid[0])}: ${invalid[1]}`
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

/**
 * What a byte count given in code must be (the variables' text form takes sizes such as `10MB` instead).
 *
 * @since 0.1.0
 * @category constants
 */
export const EXPECTED_BYTES = "a positive whole number of bytes"

/**
 * The range a number setting accepts.
 *
 * @since 0.1.0
 * @category models
 */
export interface NumberRange {
  readonly min: number
  /** Default: no upper bound. */
  readonly max?: number | undefined
  /** Whole numbers only (safe integers). */
  readonly integer?: boolean | undefined
}

/**
 * Whether a value is a number in the range (finite; a safe integer when `integer`).
 *
 * @since 0.1.0
 * @category predicates
 */
export const isInRange = (value: unknown, range: NumberRange): value is number =>
  typeof value === "number" && Number.isFinite(value) && value >= range.min && value <= (range.max ?? Infinity) &&
  (range.integer !== true || Number.isSafeInteger(value))

/**
 * Parses a plain decimal number (`10`, `1.5`; no sign, no exponent) within a range.
 *
 * @since 0.1.0
 * @category parsing
 */
export const parseNumber = (raw: string, range: NumberRange): Option.Option<number> => {
  if (!/^\d+(\.\d+)?$/.test(raw)) return Option.none()
  const value = Number(raw)
  return isInRange(value, range) ? Option.some(value) : Option.none()
}

const booleans: Record<string, boolean> = { true: true, yes: true, on: true, "1": true, false: false, no: false, off: false, "0": false }

/**
 * Parses `true`/`false`, `yes`/`no`, `on`/`off` or `1`/`0`, in any case.
 *
 * @since 0.1.0
 * @category parsing
 */
export const parseBoolean = (raw: string): Option.Option<boolean> => Option.fromNullable(booleans[raw.toLowerCase()])

/**
 * Parses a comma-separated list: entries trimmed, empty ones skipped, each parsed by `item` (`undefined`
 * refuses the whole list). A list without entries is refused too: set but empty is a mistake, never "none".
 *
 * @since 0.1.0
 * @category parsing
 */
export const parseList = <A>(raw: string, item: (entry: string) => A | undefined): Option.Option<ReadonlyArray<A>> => {
  const entries = raw.split(",").map((entry) => entry.trim()).filter((entry) => entry.length > 0)
  if (entries.length === 0) return Option.none()
  const parsed: Array<A> = []
  for (const entry of entries) {
    const value = item(entry)
    if (value === undefined) return Option.none()
    parsed.push(value)
  }
  return Option.some(parsed)
}

/** `Duration.decode` reads a negative or NaN amount as zero: seen in the input, it is refused instead. @internal */
export const isNegativeAmount = (input: unknown): boolean => {
  if (typeof input === "number") return !(input >= 0)
  if (typeof input === "bigint") return input < 0n
  if (typeof input === "string") return /^\s*-/.test(input)
  if (Array.isArray(input)) return input.some(isNegativeAmount)
  return false
}

/**
 * A duration given in code (a `Duration`, milliseconds, `"5 seconds"`, `[seconds, nanos]`), or `None` when it
 * does not decode or is negative. Never throws, unlike `Duration.decode`.
 *
 * @since 0.1.0
 * @category parsing
 */
export const decodeDuration = (input: unknown): Option.Option<Duration.Duration> =>
  isNegativeAmount(input) ? Option.none() : Duration.decodeUnknown(input)
