/**
 * The settings machinery shared by the runtime's table and HTTP mode's: reading, parsing, the one error form,
 * and the defaults each table holds.
 */
import { assert, describe, it } from "@effect/vitest"
import type * as Config from "effect/Config"
import * as ConfigError from "effect/ConfigError"
import * as ConfigProvider from "effect/ConfigProvider"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Option from "effect/Option"
import { httpSettings } from "../../src/http/HttpConfig.js"
import {
  decodeDuration,
  describeConfigError,
  firstInvalidSetting,
  invalidValue,
  isInRange,
  parseBoolean,
  parseList,
  parseNumber,
  readSetting,
  readSettings,
  reportProblems,
  type Setting
} from "../../src/internal/settings.js"
import { settings } from "../../src/JobConfig.js"

const withEnv = <A>(config: Config.Config<A>, vars: Record<string, string>) =>
  Effect.runSync(Effect.either(Effect.withConfigProvider(config, ConfigProvider.fromMap(new Map(Object.entries(vars))))))

const count: Setting<number> = {
  env: "TEST_COUNT",
  flag: "--count",
  expected: "a whole number from 1 to 9",
  help: "a count",
  default: 3,
  defaultText: "3",
  parse: (raw) => parseNumber(raw, { min: 1, max: 9, integer: true })
}

describe("readSetting", () => {
  it("reads unset and blank as undefined (the default), and a value through its parser", () => {
    assert.deepStrictEqual(withEnv(readSetting(count), {}), Either.right(undefined))
    assert.deepStrictEqual(withEnv(readSetting(count), { TEST_COUNT: "  " }), Either.right(undefined))
    assert.deepStrictEqual(withEnv(readSetting(count), { TEST_COUNT: " 7 " }), Either.right(7))
  })

  it("names the variable, the trimmed value and the expected form of a value that does not parse", () => {
    const result = withEnv(readSetting(count), { TEST_COUNT: " 12 " })
    assert.isTrue(Either.isLeft(result))
    if (Either.isLeft(result)) {
      assert.deepStrictEqual(firstInvalidSetting(result.left), ["TEST_COUNT", "invalid value \"12\": expected a whole number from 1 to 9"])
    }
  })

  it("refuses a blank value when blank is invalid, and never repeats a secret", () => {
    const strict = { ...count, blankIsInvalid: true }
    assert.isTrue(Either.isLeft(withEnv(readSetting(strict), { TEST_COUNT: " " })))
    const secret = withEnv(readSetting({ ...count, secret: true }), { TEST_COUNT: "hunter2" })
    assert.isTrue(Either.isLeft(secret))
    if (Either.isLeft(secret)) {
      const [, message] = firstInvalidSetting(secret.left)!
      assert.notInclude(message, "hunter2")
      assert.include(message, "(not shown)")
    }
  })

  it("reads a whole table at once, keyed as the table is", () => {
    const table = { count, flag: { ...count, env: "TEST_FLAG", parse: parseBoolean } }
    assert.deepStrictEqual(withEnv(readSettings(table), { TEST_COUNT: "2", TEST_FLAG: "yes" }), Either.right({ count: 2, flag: true }))
    assert.deepStrictEqual(withEnv(readSettings(table), {}), Either.right({ count: undefined, flag: undefined }))
  })
})

describe("the one error form", () => {
  it("quotes strings and shows numbers as written, NaN and negatives included", () => {
    const message = (value: unknown) => firstInvalidSetting(invalidValue(count, value))![1]
    assert.strictEqual(message("x"), "invalid value \"x\": expected a whole number from 1 to 9")
    assert.strictEqual(message(-1), "invalid value -1: expected a whole number from 1 to 9")
    assert.strictEqual(message(Number.NaN), "invalid value NaN: expected a whole number from 1 to 9")
    assert.strictEqual(firstInvalidSetting(invalidValue(count, 0, "a count"))![1], "invalid value 0: expected a count")
  })

  it("joins problems in order, the first one first; none is the value itself", () => {
    assert.deepStrictEqual(reportProblems("config", [undefined, undefined]), Either.right("config"))
    const joined = reportProblems("config", [undefined, invalidValue(count, 0), invalidValue({ ...count, env: "OTHER" }, 1)])
    assert.isTrue(Either.isLeft(joined))
    if (Either.isLeft(joined)) {
      assert.strictEqual(joined.left._op, "And")
      assert.strictEqual(firstInvalidSetting(joined.left)![0], "TEST_COUNT")
      assert.include(String(joined.left), "OTHER")
    }
  })

  it("describes an error in one line, the variable shown as the caller names it", () => {
    const error = invalidValue(count, "x")
    assert.strictEqual(describeConfigError(error), "TEST_COUNT: invalid value \"x\": expected a whole number from 1 to 9")
    assert.strictEqual(describeConfigError(error, (env) => (env === "TEST_COUNT" ? "--count" : env)), "--count: invalid value \"x\": expected a whole number from 1 to 9")
    assert.match(describeConfigError(ConfigError.MissingData(["X"], "missing")), /^configuration: /)
  })
})

describe("parsers", () => {
  it("numbers: plain decimals within the range, whole ones when asked", () => {
    assert.deepStrictEqual(parseNumber("1.5", { min: 0 }), Option.some(1.5))
    assert.deepStrictEqual(parseNumber("10.0", { min: 1, integer: true }), Option.some(10))
    for (const raw of ["-1", "1e3", "0x10", " 1", "", "Infinity"]) assert.isTrue(Option.isNone(parseNumber(raw, { min: 0 })), raw)
    assert.isTrue(Option.isNone(parseNumber("2.5", { min: 1, integer: true })))
    assert.isTrue(Option.isNone(parseNumber("10", { min: 1, max: 9 })))
    assert.isTrue(isInRange(65535, { min: 0, max: 65535, integer: true }))
    assert.isFalse(isInRange("5", { min: 0 }))
    assert.isFalse(isInRange(Number.POSITIVE_INFINITY, { min: 0 }))
  })

  it("booleans in the usual spellings, any case", () => {
    for (const raw of ["true", "YES", "on", "1"]) assert.deepStrictEqual(parseBoolean(raw), Option.some(true), raw)
    for (const raw of ["false", "No", "OFF", "0"]) assert.deepStrictEqual(parseBoolean(raw), Option.some(false), raw)
    assert.isTrue(Option.isNone(parseBoolean("maybe")))
  })

  it("lists: trimmed entries, empty ones skipped, one bad entry or no entry refuses the list", () => {
    const upper = (entry: string) => (/^[a-z]+$/.test(entry) ? entry.toUpperCase() : undefined)
    assert.deepStrictEqual(parseList(" a, b ,,c ", upper), Option.some(["A", "B", "C"]))
    assert.isTrue(Option.isNone(parseList("a,B", upper)))
    assert.isTrue(Option.isNone(parseList(" , ", upper)))
  })

  it("durations given in code: any Duration form; negative, NaN or unknown forms are refused instead of read as zero", () => {
    assert.deepStrictEqual(Option.map(decodeDuration("2 seconds"), Duration.toMillis), Option.some(2000))
    assert.deepStrictEqual(Option.map(decodeDuration(1500), Duration.toMillis), Option.some(1500))
    assert.deepStrictEqual(Option.map(decodeDuration(Duration.minutes(1)), Duration.toMillis), Option.some(60_000))
    assert.deepStrictEqual(Option.map(decodeDuration(0), Duration.toMillis), Option.some(0))
    for (const input of [-1, "-1 seconds", Number.NaN, -5n, [-1, 0], "five seconds", {}, undefined]) {
      assert.isTrue(Option.isNone(decodeDuration(input)), String(input))
    }
  })
})

describe("the settings tables", () => {
  const tables: ReadonlyArray<Record<string, Pick<Setting<unknown>, "env" | "parse" | "default" | "defaultText">>> = [settings, httpSettings]

  it("hold each default once, and --help shows the same value wherever the default has a text form", () => {
    // Settings whose default text is a description ("no limit", "the server's current directory", …).
    const described = new Set([
      "MCP_BG_WORKING_DIR",
      "MCP_BG_ALLOWED_COMMANDS",
      "MCP_BG_DENIED_COMMANDS",
      "MCP_BG_SCRUB_ENV",
      "MCP_BG_ALLOWED_ENV",
      "MCP_BG_LIMIT_FILE_SIZE",
      "MCP_BG_LIMIT_OPEN_FILES",
      "MCP_BG_LIMIT_CPU",
      "MCP_BG_LIMIT_MEMORY",
      "MCP_BG_HTTP_TOKEN",
      "MCP_BG_HTTP_TOKEN_FILE",
      "MCP_BG_HTTP_ALLOWED_ORIGINS",
      "MCP_BG_HTTP_ALLOWED_HOSTS"
    ])
    let checked = 0
    for (const setting of tables.flatMap((table) => Object.values(table))) {
      if (described.has(setting.env)) continue
      assert.deepStrictEqual(setting.parse(setting.defaultText), Option.some(setting.default), setting.env)
      checked++
    }
    assert.strictEqual(checked, 13)
  })

  it("give every described default the value that means it: none, empty or unset", () => {
    assert.deepStrictEqual([settings.allowedCommands.default, settings.deniedCommands.default], [[], []])
    assert.deepStrictEqual([settings.limitFileSize.default, settings.limitCpu.default], [undefined, undefined])
    assert.strictEqual(settings.workingDir.parse(settings.workingDir.default).pipe(Option.getOrThrow), process.cwd())
    assert.deepStrictEqual([httpSettings.tokens.default, httpSettings.tokenFile.default], [[], undefined])
  })
})
