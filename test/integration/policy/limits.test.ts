/**
 * Resource limits: applied with ulimit before the command runs, for the configured shell and its children.
 */
import { assert, describe, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import * as fs from "node:fs"
import * as path from "node:path"
import { ulimitCommands, withLimits } from "../../../src/policy/ResourceLimits.js"
import { runToEnd } from "../../support/runtime.js"
import { inSandbox, sandboxJobs, sandboxScoped } from "../../support/sandbox.js"

describe("ulimit commands", () => {
  it("renders each limit in the unit sh expects, and nothing without limits", () => {
    const none = { fileSize: Option.none(), openFiles: Option.none(), cpuSeconds: Option.none(), virtualMemory: Option.none() }
    assert.isUndefined(ulimitCommands(none))
    assert.deepStrictEqual(withLimits("/bin/bash", "echo hi", none), { shell: "/bin/bash", command: "echo hi" })
    const all = { fileSize: Option.some(1000), openFiles: Option.some(64), cpuSeconds: Option.some(5), virtualMemory: Option.some(1024 ** 3) }
    assert.strictEqual(ulimitCommands(all), "ulimit -f 2 && ulimit -n 64 && ulimit -t 5 && ulimit -v 1048576")
    assert.strictEqual(
      withLimits("/bin/bash", "echo 'it''s'", all).command,
      "ulimit -f 2 && ulimit -n 64 && ulimit -t 5 && ulimit -v 1048576 || exit 126; exec '/bin/bash' -c 'echo '\\''it'\\'''\\''s'\\'''"
    )
  })
})

describe("limits applied to jobs", () => {
  const limits = { limitFileSize: 8192, limitOpenFiles: 64, limitCpu: 30, limitMemory: 4 * 1024 ** 3 }

  it.scopedLive("shows the limits to the job's shell", () =>
    inSandbox(limits, () =>
      Effect.gen(function*() {
        const result = yield* runToEnd({ command: "ulimit -f; ulimit -n; ulimit -t; ulimit -v" })
        assert.strictEqual(result.stdout, "16\n64\n30\n4194304\n")
      })
    ))

  it.scopedLive("holds for children, and the job cannot raise them", () =>
    inSandbox(limits, () =>
      Effect.gen(function*() {
        const result = yield* runToEnd({ command: "sh -c 'ulimit -n'; ulimit -n 128 2>/dev/null && echo raised || echo refused" })
        assert.strictEqual(result.stdout, "64\nrefused\n")
      })
    ))

  it.scopedLive("stops a write past the file size limit, whatever the job's shell", () =>
    Effect.gen(function*() {
      const sandbox = yield* sandboxScoped
      for (const shell of [{}, { shell: "/bin/bash" }]) {
        const file = path.join(sandbox.dir, "big")
        fs.rmSync(file, { force: true })
        const result = yield* runToEnd({ command: "head -c 100000 /dev/zero > big; echo \"exit $?\"" }).pipe(
          Effect.provide(sandboxJobs(sandbox, { ...limits, ...shell }))
        )
        assert.strictEqual(fs.statSync(file).size, 8192)
        assert.notStrictEqual(result.stdout, "exit 0\n")
      }
    }))

  it.scopedLive("fails the job visibly when a limit cannot be set", () =>
    inSandbox({ limitOpenFiles: 2 ** 30 }, () =>
      Effect.gen(function*() {
        const result = yield* runToEnd({ command: "echo should-not-run" })
        assert.strictEqual(result.status, "failed")
        assert.strictEqual(result.exitCode, 126)
        assert.notInclude(result.stdout, "should-not-run")
      })
    ))
})
