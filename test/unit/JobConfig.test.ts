import { afterAll, assert, describe, it } from "@effect/vitest"
import * as ConfigError from "effect/ConfigError"
import * as ConfigProvider from "effect/ConfigProvider"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Layer from "effect/Layer"
import * as LogLevel from "effect/LogLevel"
import * as Option from "effect/Option"
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { configProvider, parseServerArgs } from "../../src/main/serverArgs.js"
import { firstInvalidSetting, JobConfig, type JobConfigInput, parseByteSize } from "../../src/JobConfig.js"
import { JobManager } from "../../src/JobManager.js"
import { TestSpawner } from "../../src/testing/index.js"

const readConfig = (vars: Record<string, string>) =>
  Effect.runSync(
    Effect.either(Effect.withConfigProvider(JobConfig.config, ConfigProvider.fromMap(new Map(Object.entries(vars)))))
  )

const invalid = (vars: Record<string, string>) => {
  const result = readConfig(vars)
  assert.isTrue(Either.isLeft(result), `expected ${JSON.stringify(vars)} to be rejected`)
  return Either.isLeft(result) ? firstInvalidSetting(result.left) : undefined
}

describe("JobConfig", () => {
  it("has the documented defaults", () => {
    const config = Either.getOrThrow(readConfig({}))
    assert.strictEqual(config.maxJobs, 10)
    assert.strictEqual(config.maxOutputSize, 10 * 1024 * 1024)
    assert.isTrue(Option.isNone(config.jobTimeout))
    assert.strictEqual(Duration.toSeconds(config.cleanupInterval), 300)
    assert.strictEqual(config.workingDir, process.cwd())
    assert.deepStrictEqual(config.allowedCommands, [])
    assert.strictEqual(config.shell, "/bin/sh")
    assert.strictEqual(Duration.toSeconds(config.killGrace), 5)
    assert.strictEqual(config.logLevel, LogLevel.Info)
  })

  it("reads every MCP_BG_* variable", () => {
    const config = Either.getOrThrow(readConfig({
      MCP_BG_MAX_JOBS: "20",
      MCP_BG_MAX_OUTPUT_SIZE: "512 kb",
      MCP_BG_JOB_TIMEOUT: "90",
      MCP_BG_CLEANUP_INTERVAL: "1.5",
      MCP_BG_WORKING_DIR: "/tmp",
      MCP_BG_ALLOWED_COMMANDS: "^npm , ^git status",
      MCP_BG_SHELL: "/bin/bash",
      MCP_BG_KILL_GRACE: "0.5",
      MCP_BG_LOG_LEVEL: "DEBUG"
    }))
    assert.strictEqual(config.maxJobs, 20)
    assert.strictEqual(config.maxOutputSize, 512 * 1024)
    assert.strictEqual(Duration.toSeconds(Option.getOrThrow(config.jobTimeout)), 90)
    assert.strictEqual(Duration.toMillis(config.cleanupInterval), 1500)
    assert.strictEqual(config.workingDir, "/tmp")
    assert.deepStrictEqual(config.allowedCommands.map((p) => p.source), ["^npm", "^git status"])
    assert.strictEqual(config.shell, "/bin/bash")
    assert.strictEqual(Duration.toMillis(config.killGrace), 500)
    assert.strictEqual(config.logLevel, LogLevel.Debug)
  })

  it("parses sizes: plain bytes and B/KB/MB/GB in any case, with or without a space, binary multiples", () => {
    const cases: Array<[string, number]> = [
      ["1048576", 1048576],
      ["100B", 100],
      ["1kb", 1024],
      ["10MB", 10 * 1024 ** 2],
      ["10 mb", 10 * 1024 ** 2],
      ["2Gb", 2 * 1024 ** 3],
      ["1.5 KB", 1536]
    ]
    for (const [raw, expected] of cases) assert.deepStrictEqual(parseByteSize(raw), Option.some(expected), raw)
    for (const raw of ["", "MB", "10 XB", "-5", "0", "ten"]) assert.isTrue(Option.isNone(parseByteSize(raw)), raw)
  })

  it("treats 0 or none as no job timeout", () => {
    assert.isTrue(Option.isNone(Either.getOrThrow(readConfig({ MCP_BG_JOB_TIMEOUT: "0" })).jobTimeout))
    assert.isTrue(Option.isNone(Either.getOrThrow(readConfig({ MCP_BG_JOB_TIMEOUT: "none" })).jobTimeout))
  })

  it("names the variable, the value and the expected form of an invalid setting", () => {
    const cases: Array<[Record<string, string>, string, RegExp]> = [
      [{ MCP_BG_MAX_JOBS: "abc" }, "MCP_BG_MAX_JOBS", /"abc".*positive integer/],
      [{ MCP_BG_MAX_JOBS: "0" }, "MCP_BG_MAX_JOBS", /"0"/],
      [{ MCP_BG_MAX_JOBS: "2.5" }, "MCP_BG_MAX_JOBS", /"2.5"/],
      [{ MCP_BG_MAX_OUTPUT_SIZE: "10 parsecs" }, "MCP_BG_MAX_OUTPUT_SIZE", /"10 parsecs".*10MB/],
      [{ MCP_BG_JOB_TIMEOUT: "-1" }, "MCP_BG_JOB_TIMEOUT", /seconds/],
      [{ MCP_BG_CLEANUP_INTERVAL: "soon" }, "MCP_BG_CLEANUP_INTERVAL", /seconds/],
      [{ MCP_BG_KILL_GRACE: "5s" }, "MCP_BG_KILL_GRACE", /"5s"/],
      [{ MCP_BG_ALLOWED_COMMANDS: "^npm ,(unclosed" }, "MCP_BG_ALLOWED_COMMANDS", /regular expressions/],
      [{ MCP_BG_ALLOWED_COMMANDS: " , " }, "MCP_BG_ALLOWED_COMMANDS", /regular expressions/],
      // Set but blank is a mistake, never "allow everything".
      [{ MCP_BG_ALLOWED_COMMANDS: "  " }, "MCP_BG_ALLOWED_COMMANDS", /regular expressions/],
      [{ MCP_BG_LOG_LEVEL: "loud" }, "MCP_BG_LOG_LEVEL", /"loud"/]
    ]
    for (const [vars, name, message] of cases) {
      const found = invalid(vars)
      assert.isDefined(found)
      assert.strictEqual(found![0], name)
      assert.match(found![1], message)
    }
  })

  it("make fills defaults and accepts durations and patterns in any form", () => {
    const config = JobConfig.make({ maxJobs: 3, killGrace: "2 seconds", jobTimeout: 1000, allowedCommands: ["^ls"] })
    assert.strictEqual(config.maxJobs, 3)
    assert.strictEqual(Duration.toMillis(config.killGrace), 2000)
    assert.strictEqual(Duration.toMillis(Option.getOrThrow(config.jobTimeout)), 1000)
    assert.isTrue(config.allowedCommands[0]!.test("ls -la"))
    assert.strictEqual(config.maxOutputSize, 10 * 1024 * 1024)
  })
})

describe("JobConfig.make with values the runtime cannot use", () => {
  const build = (input: Parameters<typeof JobConfig.make>[0]) =>
    Effect.runSync(
      Effect.scoped(Effect.flip(Layer.build(JobManager.layer(JobConfig.make(input)).pipe(Layer.provide(TestSpawner.layer([]))))))
    )

  it("never throws: a bad pattern or duration is a ConfigError naming the setting when the runtime is built, like every other bad value", () => {
    for (
      const [input, name] of [
        [{ allowedCommands: ["^npm ", "(unclosed"] }, "MCP_BG_ALLOWED_COMMANDS"],
        [{ deniedCommands: ["[z-a]"] }, "MCP_BG_DENIED_COMMANDS"],
        // As a JavaScript caller could pass it.
        [{ killGrace: "five seconds" as unknown as Duration.DurationInput }, "MCP_BG_KILL_GRACE"],
        [{ cleanupInterval: -1 }, "MCP_BG_CLEANUP_INTERVAL"],
        [{ maxJobs: 0 }, "MCP_BG_MAX_JOBS"]
      ] satisfies ReadonlyArray<readonly [JobConfigInput, string]>
    ) {
      const error = build(input)
      assert.isTrue(ConfigError.isConfigError(error), JSON.stringify(input))
      assert.strictEqual(firstInvalidSetting(error)?.[0], name)
    }
  })
})

describe("JobConfig.validate", () => {
  const scratch = fs.mkdtempSync(path.join(os.tmpdir(), "jobconfig-validate-"))
  const file = path.join(scratch, "a-file")
  fs.writeFileSync(file, "")
  afterAll(() => fs.rmSync(scratch, { recursive: true, force: true }))

  /** The variable and message of the first problem `validate` finds in a configuration made from `input`. */
  const problem = (input: JobConfigInput, options?: Parameters<typeof JobConfig.validate>[1]) => {
    const result = JobConfig.validate(JobConfig.make(input), options)
    assert.isTrue(Either.isLeft(result), `expected ${JSON.stringify(input)} to be refused`)
    return Either.isLeft(result) ? firstInvalidSetting(result.left) : undefined
  }

  it("returns a usable configuration as it is", () => {
    const config = JobConfig.make({ maxJobs: 2, workingDir: scratch, allowedCommands: ["^ls"], shell: "/bin/bash", limitCpu: 5 })
    assert.deepStrictEqual(JobConfig.validate(config), Either.right(config))
    assert.isTrue(Either.isRight(JobConfig.validate(JobConfig.make())))
  })

  it("reports what make could not use, in the form of the environment's errors", () => {
    const cases: Array<[JobConfigInput, string, RegExp]> = [
      [{ allowedCommands: ["^npm ", "(unclosed"] }, "MCP_BG_ALLOWED_COMMANDS", /^invalid value "\(unclosed": expected a regular expression/],
      [{ deniedCommands: ["[z-a]"] }, "MCP_BG_DENIED_COMMANDS", /^invalid value "\[z-a\]": expected a regular expression/],
      [{ killGrace: "five seconds" as Duration.DurationInput }, "MCP_BG_KILL_GRACE", /^invalid value "five seconds": expected a duration/],
      [{ cleanupInterval: -1 }, "MCP_BG_CLEANUP_INTERVAL", /^invalid value -1: expected a duration that is not negative/],
      [{ jobTimeout: "-5 seconds" }, "MCP_BG_JOB_TIMEOUT", /^invalid value "-5 seconds"/]
    ]
    for (const [input, name, message] of cases) {
      const found = problem(input)
      assert.strictEqual(found?.[0], name)
      assert.match(found![1], message)
    }
  })

  it("checks the range of every number", () => {
    const cases: Array<[JobConfigInput, string, RegExp]> = [
      [{ maxJobs: 0 }, "MCP_BG_MAX_JOBS", /^invalid value 0: expected a positive integer/],
      [{ maxJobs: 2.5 }, "MCP_BG_MAX_JOBS", /^invalid value 2.5: /],
      [{ maxJobs: Number.NaN }, "MCP_BG_MAX_JOBS", /^invalid value NaN: /],
      [{ maxOutputSize: 0 }, "MCP_BG_MAX_OUTPUT_SIZE", /^invalid value 0: expected a positive whole number of bytes/],
      [{ limitFileSize: -1 }, "MCP_BG_LIMIT_FILE_SIZE", /^invalid value -1: expected a positive whole number of bytes/],
      [{ limitOpenFiles: 1.5 }, "MCP_BG_LIMIT_OPEN_FILES", /^invalid value 1.5: expected a positive integer/],
      [{ limitCpu: 0 }, "MCP_BG_LIMIT_CPU", /^invalid value 0: expected a positive whole number of seconds/],
      [{ limitMemory: Number.POSITIVE_INFINITY }, "MCP_BG_LIMIT_MEMORY", /^invalid value Infinity: /]
    ]
    for (const [input, name, message] of cases) {
      const found = problem(input)
      assert.strictEqual(found?.[0], name, JSON.stringify(input))
      assert.match(found![1], message)
    }
  })

  it("needs a working directory that exists and is a directory", () => {
    const missing = path.join(scratch, "missing")
    assert.deepStrictEqual(problem({ workingDir: missing }), ["MCP_BG_WORKING_DIR", `invalid value ${JSON.stringify(missing)}: expected an existing directory`])
    assert.deepStrictEqual(problem({ workingDir: file }), ["MCP_BG_WORKING_DIR", `invalid value ${JSON.stringify(file)}: expected an existing directory`])
  })

  it("needs a shell, and one whose syntax the policy's parser covers when a policy checks the commands", () => {
    assert.strictEqual(problem({ shell: " " })?.[0], "MCP_BG_SHELL")
    const zsh = problem({ shell: "/usr/bin/zsh", deniedCommands: ["^rm "] })
    assert.strictEqual(zsh?.[0], "MCP_BG_SHELL")
    assert.match(zsh![1], /zsh has syntax of its own/)
    assert.isTrue(Either.isRight(JobConfig.validate(JobConfig.make({ shell: "/usr/bin/zsh" }))))
    // An application's own policy decides, whatever the lists say.
    assert.strictEqual(problem({ shell: "/usr/bin/zsh" }, { commandPolicy: true })?.[0], "MCP_BG_SHELL")
    assert.isTrue(Either.isRight(JobConfig.validate(JobConfig.make({ shell: "/usr/bin/zsh", allowedCommands: ["^ls"] }), { commandPolicy: false })))
  })

  it("reports every problem, the first setting of the table first", () => {
    const result = JobConfig.validate(JobConfig.make({ killGrace: "soon" as Duration.DurationInput, maxJobs: 0, workingDir: file }))
    assert.isTrue(Either.isLeft(result))
    if (Either.isLeft(result)) {
      assert.strictEqual(firstInvalidSetting(result.left)?.[0], "MCP_BG_KILL_GRACE")
      for (const name of ["MCP_BG_MAX_JOBS", "MCP_BG_WORKING_DIR"]) assert.include(String(result.left), name)
    }
  })

  it("make never throws, whatever it is given", () => {
    const config = JobConfig.make({
      allowedCommands: ["("],
      deniedCommands: [")"],
      killGrace: {} as Duration.DurationInput,
      cleanupInterval: Number.NaN,
      jobTimeout: "forever" as Duration.DurationInput,
      workingDir: 42 as unknown as string
    })
    assert.strictEqual(config.problems?.length, 6)
    // A pattern that does not compile fails closed: the allowlist entry matches no command, the deny entry every one.
    assert.deepStrictEqual([config.allowedCommands.length, config.deniedCommands.length], [1, 1])
    for (const command of ["ls", "(", "rm -rf /"]) {
      assert.isFalse(config.allowedCommands[0]!.test(command), command)
      assert.isTrue(config.deniedCommands[0]!.test(command), command)
    }
  })

  it("is where the environment's values end too: the working directory and the shell are checked when read", () => {
    assert.strictEqual(invalid({ MCP_BG_WORKING_DIR: path.join(scratch, "missing") })?.[0], "MCP_BG_WORKING_DIR")
    assert.strictEqual(invalid({ MCP_BG_SHELL: "/usr/bin/fish", MCP_BG_ALLOWED_COMMANDS: "^ls" })?.[0], "MCP_BG_SHELL")
  })
})

describe("server flags", () => {
  const parse = (argv: Array<string>) => parseServerArgs(argv)

  it("maps each flag to its variable; flags win over the environment", () => {
    const command = Either.getOrThrow(parse(["--max-jobs", "20", "--kill-grace=1", "--max-output-size", "1 MB"]))
    assert.strictEqual(command._tag, "Serve")
    if (command._tag !== "Serve") return
    assert.strictEqual(command.flags.get("MCP_BG_MAX_JOBS"), "20")
    assert.strictEqual(command.flagByEnv.get("MCP_BG_MAX_JOBS"), "--max-jobs")
    const config = Effect.runSync(Effect.withConfigProvider(JobConfig.config, configProvider(command.flags)))
    assert.strictEqual(config.maxJobs, 20)
    assert.strictEqual(Duration.toSeconds(config.killGrace), 1)
    assert.strictEqual(config.maxOutputSize, 1024 * 1024)
  })

  it("knows --help and --version", () => {
    assert.strictEqual(Either.getOrThrow(parse(["--help"]))._tag, "Help")
    assert.strictEqual(Either.getOrThrow(parse(["--version"]))._tag, "Version")
  })

  it("rejects unknown flags and flags without a value", () => {
    assert.match(Either.getLeft(parse(["--max-jbos", "3"])).pipe(Option.getOrThrow), /unknown argument "--max-jbos"/)
    assert.match(Either.getLeft(parse(["--max-jobs"])).pipe(Option.getOrThrow), /--max-jobs needs a value/)
  })
})
