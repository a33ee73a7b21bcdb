/**
 * The policy settings: read from MCP_BG_* variables, each bad value refused naming its variable; a shell the
 * parser does not cover is refused under a command policy. (The bin's exit code 2: e2e/policy/config.test.ts.)
 */
import * as ConfigProvider from "effect/ConfigProvider"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import { describe, expect, it } from "vitest"
import { JobConfig } from "../../../src/JobConfig.js"

const read = (entries: Record<string, string>) =>
  Effect.runSync(Effect.withConfigProvider(JobConfig.config, ConfigProvider.fromMap(new Map(Object.entries(entries)))))

describe("policy settings", () => {
  it("reads every policy setting", () => {
    const config = read({
      MCP_BG_DENIED_COMMANDS: "^rm ,^git push",
      MCP_BG_RESTRICT_CWD: "yes",
      MCP_BG_SCRUB_ENV: "AWS_*, *_TOKEN",
      MCP_BG_ALLOWED_ENV: "PATH,NODE_OPTIONS",
      MCP_BG_LIMIT_FILE_SIZE: "10MB",
      MCP_BG_LIMIT_OPEN_FILES: "256",
      MCP_BG_LIMIT_CPU: "600",
      MCP_BG_LIMIT_MEMORY: "2GB"
    })
    expect(config.deniedCommands.map((p) => p.source)).toEqual(["^rm", "^git push"])
    expect(config.restrictCwd).toBe(true)
    expect(config.scrubEnv).toEqual(["AWS_*", "*_TOKEN"])
    expect(config.allowedEnv).toEqual(["PATH", "NODE_OPTIONS"])
    expect(config.limits).toEqual({
      fileSize: Option.some(10 * 1024 ** 2),
      openFiles: Option.some(256),
      cpuSeconds: Option.some(600),
      virtualMemory: Option.some(2 * 1024 ** 3)
    })
  })

  it("defaults to no deny list, no restriction, nothing scrubbed beyond secrets, no limits", () => {
    const config = read({})
    expect(config.deniedCommands).toEqual([])
    expect(config.restrictCwd).toBe(false)
    expect(config.scrubEnv).toEqual([])
    expect(config.limits.fileSize).toEqual(Option.none())
  })

  const bad = [
    ["MCP_BG_DENIED_COMMANDS", "^rm (", "--denied-commands"],
    ["MCP_BG_RESTRICT_CWD", "maybe", "--restrict-cwd"],
    ["MCP_BG_SCRUB_ENV", "A B", "--scrub-env"],
    ["MCP_BG_ALLOWED_ENV", "PATH;X", "--allowed-env"],
    ["MCP_BG_LIMIT_FILE_SIZE", "10 parsecs", "--limit-file-size"],
    ["MCP_BG_LIMIT_OPEN_FILES", "0", "--limit-open-files"],
    ["MCP_BG_LIMIT_CPU", "1.5", "--limit-cpu"],
    ["MCP_BG_LIMIT_MEMORY", "-1", "--limit-memory"]
  ] as const

  it.each(bad)("rejects a bad %s naming the variable", (name, value) => {
    const result = Effect.runSync(
      Effect.either(Effect.withConfigProvider(JobConfig.config, ConfigProvider.fromMap(new Map([[name, value]]))))
    )
    expect(result._tag).toBe("Left")
    expect(result._tag === "Left" ? String(result.left) : "").toContain(name)
  })
})

describe("job shell under a command policy", () => {
  it("refuses to build the runtime with a shell whose syntax the parser does not cover", async () => {
    const { JobManager } = await import("../../../src/JobManager.js")
    const { ConfigError } = await import("effect")
    const build = (shell: string) =>
      Effect.runPromise(
        Effect.scoped(Effect.either(
          Effect.asVoid(Effect.provide(JobManager, JobManager.layerNode(JobConfig.make({ shell, allowedCommands: ["^ls"] }))))
        ))
      )
    const zsh = await build("/usr/bin/zsh")
    expect(zsh._tag).toBe("Left")
    expect(zsh._tag === "Left" && ConfigError.isConfigError(zsh.left) ? String(zsh.left) : "").toContain("MCP_BG_SHELL")
    expect((await build("/bin/bash"))._tag).toBe("Right")
  })
})
