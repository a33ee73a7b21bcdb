/**
 * A bad policy setting stops the built server with exit code 2, as a variable and as a flag.
 */
import { describe, expect, it } from "vitest"
import { runBin } from "../../support/bin.js"

describe("policy settings", () => {
  // Each start of the bin costs seconds on a loaded machine: three settings stand for the rest.
  const bad = [
    ["MCP_BG_DENIED_COMMANDS", "^rm (", "--denied-commands"],
    ["MCP_BG_RESTRICT_CWD", "maybe", "--restrict-cwd"],
    ["MCP_BG_LIMIT_FILE_SIZE", "10 parsecs", "--limit-file-size"]
  ] as const

  it.each(bad)(
    "stops the server with exit code 2 on a bad %s, as variable and as flag",
    async (name, value, flag) => {
      const [byEnv, byFlag] = await Promise.all([runBin([], { [name]: value }), runBin([`${flag}=${value}`], {})])
      expect(byEnv.code).toBe(2)
      expect(byEnv.stderr).toContain(name)
      expect(byFlag.code).toBe(2)
      expect(byFlag.stderr).toContain(flag)
    }
  )
})

describe("the bin with a command list and a shell the parser does not cover", () => {
  it("exits with code 2 naming the shell setting", async () => {
    const result = await runBin(["--shell", "/usr/bin/zsh"], { MCP_BG_ALLOWED_COMMANDS: "^ls" })
    expect(result.code).toBe(2)
    expect(result.stderr).toContain("--shell")
  })
})
