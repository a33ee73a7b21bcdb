/**
 * Resource limits: applied with ulimit before the command runs, for the configured shell and its children.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import * as fs from "node:fs"
import * as path from "node:path"
import * as Option from "effect/Option"
import { ulimitCommands, withLimits } from "../../../src/policy/ResourceLimits.js"
import { makeRuntime, makeSandbox, type Sandbox } from "../../support/sandbox.js"

describe("ulimit commands", () => {
  it("renders each limit in the unit sh expects, and nothing without limits", () => {
    const none = { fileSize: Option.none(), openFiles: Option.none(), cpuSeconds: Option.none(), virtualMemory: Option.none() }
    expect(ulimitCommands(none)).toBeUndefined()
    expect(withLimits("/bin/bash", "echo hi", none)).toEqual({ shell: "/bin/bash", command: "echo hi" })
    const all = { fileSize: Option.some(1000), openFiles: Option.some(64), cpuSeconds: Option.some(5), virtualMemory: Option.some(1024 ** 3) }
    expect(ulimitCommands(all)).toBe("ulimit -f 2 && ulimit -n 64 && ulimit -t 5 && ulimit -v 1048576")
    expect(withLimits("/bin/bash", "echo 'it''s'", all).command).toBe(
      "ulimit -f 2 && ulimit -n 64 && ulimit -t 5 && ulimit -v 1048576 || exit 126; exec '/bin/bash' -c 'echo '\\''it'\\'''\\''s'\\'''"
    )
  })
})

describe("limits applied to jobs", () => {
  let sandbox: Sandbox
  let sh: ReturnType<typeof makeRuntime>
  let bash: ReturnType<typeof makeRuntime>
  const limits = { limitFileSize: 8192, limitOpenFiles: 64, limitCpu: 30, limitMemory: 4 * 1024 ** 3 }
  beforeAll(() => {
    sandbox = makeSandbox()
    sh = makeRuntime({ workingDir: sandbox.dir, ...limits })
    bash = makeRuntime({ workingDir: sandbox.dir, shell: "/bin/bash", ...limits })
  })
  afterAll(async () => {
    await Promise.all([sh.dispose(), bash.dispose()])
    sandbox.remove()
  })

  it("shows the limits to the job's shell", async () => {
    const result = await sh.run({ command: "ulimit -f; ulimit -n; ulimit -t; ulimit -v" })
    expect(result.stdout).toBe("16\n64\n30\n4194304\n")
  })

  it("holds for children, and the job cannot raise them", async () => {
    const result = await sh.run({ command: "sh -c 'ulimit -n'; ulimit -n 128 2>/dev/null && echo raised || echo refused" })
    expect(result.stdout).toBe("64\nrefused\n")
  })

  it("stops a write past the file size limit, whatever the job's shell", async () => {
    for (const jobs of [sh, bash]) {
      const file = path.join(sandbox.dir, "big")
      fs.rmSync(file, { force: true })
      const result = await jobs.run({ command: "head -c 100000 /dev/zero > big; echo \"exit $?\"" })
      expect(fs.statSync(file).size).toBe(8192)
      expect(result.stdout).not.toBe("exit 0\n")
    }
  })

  it("fails the job visibly when a limit cannot be set", async () => {
    const tooMany = makeRuntime({ workingDir: sandbox.dir, limitOpenFiles: 2 ** 30 })
    try {
      const result = await tooMany.run({ command: "echo should-not-run" })
      expect(result.status).toBe("failed")
      expect(result.exitCode).toBe(126)
      expect(result.stdout).not.toContain("should-not-run")
    } finally {
      await tooMany.dispose()
    }
  })
})
