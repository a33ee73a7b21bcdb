/**
 * The policy settings: read from MCP_BG_* variables and flags; a bad value stops the server with exit code 2.
 */
import * as ConfigProvider from "effect/ConfigProvider"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import { spawn } from "node:child_process"
import * as path from "node:path"
import { describe, expect, it } from "vitest"
import { JobConfig } from "../../src/JobConfig.js"

const bin = path.resolve(import.meta.dirname, "../../dist/bin.js")

/** Runs the bin with stdin closed; resolves with its exit code and stderr (without blocking the test worker). */
const runBin = (args: ReadonlyArray<string>, env: Record<string, string>) =>
  new Promise<{ readonly status: number | null; readonly stderr: string }>((resolve, reject) => {
    const child = spawn(process.execPath, [bin, ...args], { env: { ...process.env, ...env }, stdio: ["ignore", "ignore", "pipe"] })
    let stderr = ""
    child.stderr.setEncoding("utf8").on("data", (chunk: string) => (stderr += chunk))
    const timer = setTimeout(() => child.kill("SIGKILL"), 30_000)
    child.on("error", reject)
    child.on("close", (status) => {
      clearTimeout(timer)
      resolve({ status, stderr })
    })
  })

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

  // Each start of the bin costs seconds on a loaded machine: three settings stand for the rest.
  it.each(bad.filter(([name]) => ["MCP_BG_DENIED_COMMANDS", "MCP_BG_RESTRICT_CWD", "MCP_BG_LIMIT_FILE_SIZE"].includes(name)))(
    "stops the server with exit code 2 on a bad %s, as variable and as flag",
    async (name, value, flag) => {
      const [byEnv, byFlag] = await Promise.all([runBin([], { [name]: value }), runBin([`${flag}=${value}`], {})])
      expect(byEnv.status).toBe(2)
      expect(byEnv.stderr).toContain(name)
      expect(byFlag.status).toBe(2)
      expect(byFlag.stderr).toContain(flag)
    }
  )
})

describe("job shell under a command policy", () => {
  it("refuses to build the runtime with a shell whose syntax the parser does not cover", async () => {
    const { JobManager } = await import("../../src/JobManager.js")
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

describe("the bin with a command list and a shell the parser does not cover", () => {
  it("exits with code 2 naming the shell setting", async () => {
    const result = await runBin(["--shell", "/usr/bin/zsh"], { MCP_BG_ALLOWED_COMMANDS: "^ls" })
    expect(result.status).toBe(2)
    expect(result.stderr).toContain("--shell")
  })
})
