/**
 * How a refusal reads for the agent: the rule, then the refused part (cut to an excerpt on one line), then why.
 */
import { assert, describe, it } from "@effect/vitest"
import { commandRejected, excerpt, Refusal } from "../../../src/policy/Refusal.js"

describe("commandRejected", () => {
  it("names the rule and the refused simple command, statement or variable", () => {
    const error = commandRejected("echo ok && rm victim", new Refusal("not-allowed", "rm victim", "it matches none of the allowed patterns."))
    assert.strictEqual(error.reason, "refused by rule not-allowed: the simple command `rm victim`: it matches none of the allowed patterns.")
    assert.strictEqual(error.rule, "not-allowed")
    assert.strictEqual(error.refused, "rm victim")
    assert.strictEqual(error.command, "echo ok && rm victim")
    assert.strictEqual(
      commandRejected("ls", new Refusal("protected-variable", "LD_PRELOAD", "the job's env sets LD_PRELOAD.", "variable")).reason,
      "refused by rule protected-variable: the variable `LD_PRELOAD`: the job's env sets LD_PRELOAD."
    )
  })

  it("leaves the refused part out when the whole command is refused", () => {
    const error = commandRejected("echo 'open", new Refusal("syntax", "", "the shell parser could not parse it."))
    assert.strictEqual(error.reason, "refused by rule syntax: the shell parser could not parse it.")
    assert.isUndefined(error.refused)
  })

  it("gives the reason alone for an empty command", () => {
    assert.strictEqual(commandRejected("", new Refusal("empty", "", "the command is empty.")).reason, "the command is empty.")
  })

  it("quotes a long or multi-line refused part as a one-line excerpt, and keeps it whole in refused", () => {
    const long = `for f in *; do\n  echo ${"x".repeat(200)}\ndone`
    const error = commandRejected(long, new Refusal("redirect", long, "it writes.", "statement"))
    assert.strictEqual(error.reason, `refused by rule redirect: the statement \`${excerpt(long)}\`: it writes.`)
    assert.strictEqual(error.refused, long)
    const oneLine = `for f in *; do ⏎ echo ${"x".repeat(200)} ⏎ done`
    assert.strictEqual(excerpt(long), `${oneLine.slice(0, 160)}…`)
    assert.strictEqual(excerpt("ls\n  rm x"), "ls ⏎ rm x")
  })
})
