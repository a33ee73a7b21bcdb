/**
 * `MCP_BG_DENIED_COMMANDS` without an allowlist: a denied simple command is refused wherever it hides that
 * the words show (after quotes, paths, wrappers, `sh -c '…'`, `eval '…'`, substitutions); a command whose
 * name is only known at run time is refused, since the deny list cannot be checked.
 */
import { assert, describe, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import { runToEnd } from "../../support/runtime.js"
import { inSandbox, outcome } from "../../support/sandbox.js"

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
  const denyRm = { deniedCommands: ["^rm "] }

  it.scopedLive.each(denied)("refuses %j (%s)", ([command, rule]) =>
    inSandbox(denyRm, (sandbox) =>
      Effect.gen(function*() {
        const result = yield* outcome({ command, stdin: "null" })
        assert.isTrue(sandbox.untouched())
        assert.strictEqual(result, rule)
      })
    ))

  it.scopedLive("runs what the deny list does not match, including wrappers around allowed commands", () =>
    inSandbox(denyRm, (sandbox) =>
      Effect.gen(function*() {
        for (const command of ["echo rm victim", "ls -la", "sh -c 'echo hi'", "nohup echo hi", "echo $(echo hi)", "cd sub && ls .."]) {
          const result = yield* runToEnd({ command, stdin: "null" })
          assert.strictEqual(result.status, "completed")
        }
        assert.isTrue(sandbox.untouched())
      })
    ))

  it.scopedLive("refuses hook variables in the job's env too, and leaves the cwd unrestricted", () =>
    inSandbox(denyRm, () =>
      Effect.gen(function*() {
        const refused = yield* outcome({ command: "ls", env: { "BASH_FUNC_ls%%": "() { rm victim; }" }, stdin: "null" })
        assert.strictEqual(refused, "protected-variable")
        const outside = yield* runToEnd({ command: "pwd", cwd: ".." })
        assert.strictEqual(outside.status, "completed")
      })
    ))
})
