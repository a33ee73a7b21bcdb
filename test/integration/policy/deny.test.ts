/**
 * `MCP_BG_DENIED_COMMANDS` without an allowlist: a denied simple command is refused wherever it hides that
 * the words show (after quotes, paths, wrappers, `sh -c '…'`, `eval '…'`, substitutions); a command whose
 * name is only known at run time is refused, since the deny list cannot be checked.
 */
import * as Either from "effect/Either"
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest"
import { makeRuntime, makeSandbox, type Sandbox } from "../../support/sandbox.js"

const denied: ReadonlyArray<readonly [string, string]> = [
  ["rm victim", "denied"],
  ["echo a; rm victim", "denied"],
  ["/bin/rm victim", "denied"],
  ["'rm' victim", "denied"],
  ["\\rm victim", "denied"],
  ["r\"m\" victim", "denied"],
  ["nohup rm victim", "denied"],
  ["sudo -u root rm victim", "denied"],
  ["env -i FOO=1 rm victim", "denied"],
  ["timeout -s KILL 5 rm victim", "denied"],
  ["nice -n 5 rm victim", "denied"],
  ["xargs rm < /dev/null", "denied"],
  ["find . -name victim -exec rm {} \\;", "denied"],
  ["sh -c 'rm victim'", "denied"],
  ["bash -lc \"echo; rm victim\"", "denied"],
  ["eval 'rm victim'", "denied"],
  ["eval rm victim", "denied"],
  ["trap 'rm victim' EXIT", "denied"],
  ["sh -c \"sh -c 'rm victim'\"", "denied"],
  ["echo $(rm victim)", "denied"],
  ["ls <(rm victim)", "denied"],
  ["f() { rm victim; }; f", "denied"],
  ["if true; then rm victim; fi", "denied"],
  ["$(echo rm) victim", "dynamic-command"],
  ["x=rm; $x victim", "dynamic-command"],
  ["sh -c \"$CMD\"", "dynamic-command"],
  ["eval \"$CMD\"", "dynamic-command"],
  ["echo rm victim | sh", "dynamic-command"],
  ["echo victim | xargs -I{} {} x", "dynamic-command"],
  ["BASH_ENV=./script.sh bash -c true", "protected-variable"],
  ["echo 'unterminated", "syntax"]
]

describe("deny list without an allowlist (^rm )", () => {
  let sandbox: Sandbox
  let jobs: ReturnType<typeof makeRuntime>
  beforeAll(() => {
    sandbox = makeSandbox()
    jobs = makeRuntime({ workingDir: sandbox.dir, deniedCommands: ["^rm "] })
  })
  afterAll(async () => {
    await jobs.dispose()
    sandbox.remove()
  })
  beforeEach(() => sandbox.reset())

  it.each(denied)("refuses %j (%s)", async (command, rule) => {
    const result = await jobs.execute({ command, stdin: "null" })
    expect(sandbox.untouched()).toBe(true)
    expect(Either.isLeft(result) && result.left._tag === "CommandRejected" ? result.left.rule : "ran").toBe(rule)
  })

  it("runs what the deny list does not match, including wrappers around allowed commands", async () => {
    for (const command of ["echo rm victim", "ls -la", "sh -c 'echo hi'", "nohup echo hi", "echo $(echo hi)", "cd sub && ls .."]) {
      const result = await jobs.run({ command, stdin: "null" })
      expect(result.status).toBe("completed")
    }
    expect(sandbox.untouched()).toBe(true)
  })

  it("refuses hook variables in the job's env too, and leaves the cwd unrestricted", async () => {
    const refused = await jobs.execute({ command: "ls", env: { "BASH_FUNC_ls%%": "() { rm victim; }" }, stdin: "null" })
    expect(Either.isLeft(refused) && refused.left._tag === "CommandRejected" ? refused.left.rule : "ran").toBe("protected-variable")
    const outside = await jobs.run({ command: "pwd", cwd: ".." })
    expect(outside.status).toBe("completed")
  })
})
