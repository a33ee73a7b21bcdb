/**
 * The policy settings: read from MCP_BG_* variables, each bad value refused naming its variable; a shell the
 * parser does not cover is refused under a command policy. (The bin's exit code 2: e2e/policy/config.test.ts.)
 */
import { assert, describe, it } from "@effect/vitest"
import * as ConfigError from "effect/ConfigError"
import * as ConfigProvider from "effect/ConfigProvider"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import { JobConfig } from "../../../src/JobConfig.js"
import { JobManager } from "../../../src/JobManager.js"

/** The settings as read from these variables. */
const read = (entries: Record<string, string>) =>
  Effect.withConfigProvider(JobConfig.config, ConfigProvider.fromMap(new Map(Object.entries(entries))))

describe("policy settings", () => {
  it.effect("reads every policy setting", () =>
    Effect.gen(function*() {
      const config = yield* read({
        MCP_BG_DENIED_COMMANDS: "^rm ,^git push",
        MCP_BG_RESTRICT_CWD: "yes",
        MCP_BG_SCRUB_ENV: "AWS_*, *_TOKEN",
        MCP_BG_ALLOWED_ENV: "PATH,NODE_OPTIONS",
        MCP_BG_LIMIT_FILE_SIZE: "10MB",
        MCP_BG_LIMIT_OPEN_FILES: "256",
        MCP_BG_LIMIT_CPU: "600",
        MCP_BG_LIMIT_MEMORY: "2GB"
      })
      assert.deepStrictEqual(config.deniedCommands.map((p) => p.source), ["^rm", "^git push"])
      assert.strictEqual(config.restrictCwd, true)
      assert.deepStrictEqual(config.scrubEnv, ["AWS_*", "*_TOKEN"])
      assert.deepStrictEqual(config.allowedEnv, ["PATH", "NODE_OPTIONS"])
      assert.deepStrictEqual(config.limits, {
        fileSize: Option.some(10 * 1024 ** 2),
        openFiles: Option.some(256),
        cpuSeconds: Option.some(600),
        virtualMemory: Option.some(2 * 1024 ** 3)
      })
    }))

  it.effect("defaults to no deny list, no restriction, nothing scrubbed beyond secrets, no limits", () =>
    Effect.gen(function*() {
      const config = yield* read({})
      assert.deepStrictEqual(config.deniedCommands, [])
      assert.strictEqual(config.restrictCwd, false)
      assert.deepStrictEqual(config.scrubEnv, [])
      assert.deepStrictEqual(config.limits.fileSize, Option.none())
    }))

  it.effect.each([
    ["MCP_BG_DENIED_COMMANDS", "^rm ("],
    ["MCP_BG_RESTRICT_CWD", "maybe"],
    ["MCP_BG_SCRUB_ENV", "A B"],
    ["MCP_BG_ALLOWED_ENV", "PATH;X"],
    ["MCP_BG_LIMIT_FILE_SIZE", "10 parsecs"],
    ["MCP_BG_LIMIT_OPEN_FILES", "0"],
    ["MCP_BG_LIMIT_CPU", "1.5"],
    ["MCP_BG_LIMIT_MEMORY", "-1"]
  ] as const)("rejects a bad %s naming the variable", ([name, value]) =>
    Effect.gen(function*() {
      const result = yield* Effect.either(read({ [name]: value }))
      assert.strictEqual(result._tag, "Left")
      assert.include(result._tag === "Left" ? String(result.left) : "", name)
    }))
})

describe("job shell under a command policy", () => {
  it.live("refuses to build the runtime with a shell whose syntax the parser does not cover", () =>
    Effect.gen(function*() {
      const build = (shell: string) =>
        Effect.scoped(Effect.either(
          Effect.asVoid(Effect.provide(JobManager, JobManager.layerNode(JobConfig.make({ shell, allowedCommands: ["^ls"] }))))
        ))
      const zsh = yield* build("/usr/bin/zsh")
      assert.strictEqual(zsh._tag, "Left")
      assert.include(zsh._tag === "Left" && ConfigError.isConfigError(zsh.left) ? String(zsh.left) : "", "MCP_BG_SHELL")
      assert.strictEqual((yield* build("/bin/bash"))._tag, "Right")
    }))
})
