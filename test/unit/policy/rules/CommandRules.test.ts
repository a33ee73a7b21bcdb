/**
 * The allowlist and deny-list rules on hand-written units, without the parser; code that wrappers run is
 * handed to a recording stub.
 */
import { assert, describe, it } from "@effect/vitest"
import { compile } from "../../../../src/policy/CompiledPolicy.js"
import { Refusal } from "../../../../src/policy/Refusal.js"
import {
  allowanceOf,
  type CodeCheck,
  denied,
  dynamicName,
  MAX_CODE_DEPTH,
  notAllowed,
  unspelledWrapper
} from "../../../../src/policy/rules/CommandRules.js"
import { dynamic, options, simple, statement, word } from "../../../support/shellSyntax.js"

describe("allowlist rules", () => {
  const policy = compile(options({ allowedCommands: [/^echo /, /^ls/, /^nohup ls$/, /^\$TOOL /] }))

  it("finds what the patterns that match a simple command spell, each covering the whole name", () => {
    assert.deepStrictEqual(allowanceOf(policy, simple("ls -la")), ["^ls"])
    assert.deepStrictEqual(allowanceOf(policy, simple("lsof -i")), [])
    assert.deepStrictEqual(allowanceOf(policy, simple("nohup ls")), ["^nohup ls$"])
  })

  it("matches a statement from its start only", () => {
    assert.deepStrictEqual(allowanceOf(policy, statement("ls; done > out")), ["^ls"])
    assert.deepStrictEqual(allowanceOf(policy, statement("for f in *; do ls; done > out")), [])
  })

  it("refuses a simple command that no pattern matches, listing the patterns", () => {
    const unit = simple("rm victim")
    assert.deepStrictEqual(
      notAllowed(policy, unit, allowanceOf(policy, unit)),
      new Refusal(
        "not-allowed",
        "rm victim",
        "it matches none of the allowed patterns (MCP_BG_ALLOWED_COMMANDS: ^echo , ^ls, ^nohup ls$, ^\\$TOOL ); each simple command must match one from its start. Run only allowed commands."
      )
    )
    assert.isUndefined(notAllowed(policy, simple("ls"), ["^ls"]))
    // A statement is not a command of its own: what it carries is ruled on by the other rules.
    assert.isUndefined(notAllowed(policy, statement("while true; do ls; done"), []))
  })

  it("refuses a command name known only at run time, unless the pattern spells it as written", () => {
    const unit = simple("$CMD x", { words: [dynamic("$CMD"), word("x")] })
    assert.strictEqual(dynamicName(unit, ["^echo "])?.rule, "dynamic-command")
    assert.strictEqual(dynamicName(unit, ["^echo "])?.reason, "its command name $CMD is only known at run time. Write the command name literally.")
    assert.isUndefined(dynamicName(unit, ["^$CMD "]))
    assert.isUndefined(dynamicName(simple("ls"), []))
  })

  it("refuses a wrapper whose marker the pattern does not spell", () => {
    const refusal = unspelledWrapper(simple("nohup rm victim"), ["^nohup"])
    assert.isUndefined(refusal)
    assert.deepStrictEqual(
      unspelledWrapper(simple("nohup rm victim"), ["^no"]),
      new Refusal(
        "wrapper",
        "nohup rm victim",
        "nohup runs another command (or code) that the allowlist does not see, and no allowed pattern spells \"nohup\". Run the inner command directly."
      )
    )
    assert.strictEqual(unspelledWrapper(simple("find . -exec rm {} ;"), ["^find "])?.rule, "wrapper")
    assert.isUndefined(unspelledWrapper(simple("find . -exec rm {} ;"), ["^find . -exec"]))
    assert.isUndefined(unspelledWrapper(simple("ls -la"), []))
  })
})

describe("deny list rules", () => {
  const policy = compile(options({ deniedCommands: [/^rm /] }))
  const codes: Array<{ source: string; wrapper: string; depth: number }> = []
  const recordCode: CodeCheck = (source, from) => {
    codes.push({ source, wrapper: from.wrapper, depth: from.depth })
    return undefined
  }
  const rule = (unit: ReturnType<typeof simple>, depth = 0, checkCode: CodeCheck = recordCode) => denied(policy, unit, depth, checkCode)?.rule

  it("applies only with a deny list, and only to simple commands", () => {
    assert.isUndefined(denied(compile(options({ allowedCommands: [/^ls/] })), simple("rm victim"), 0, recordCode))
    assert.isUndefined(rule(statement("rm victim")))
  })

  it("refuses a denied command as written, unquoted, and without the path of its name", () => {
    assert.deepStrictEqual(
      denied(policy, simple("rm victim"), 0, recordCode),
      new Refusal("denied", "rm victim", "it matches a denied pattern (MCP_BG_DENIED_COMMANDS). Do not run it.")
    )
    assert.strictEqual(rule(simple("'rm' victim", { words: [word("'rm'", "rm"), word("victim")] })), "denied")
    assert.strictEqual(rule(simple("/bin/rm victim")), "denied")
    assert.isUndefined(rule(simple("echo rm victim")))
  })

  it("refuses a command that appends arguments at run time to a denied prefix", () => {
    const denyRmRf = compile(options({ deniedCommands: [/^rm -rf /] }))
    assert.strictEqual(denied(denyRmRf, simple("xargs rm -rf"), 0, recordCode)?.rule, "denied")
  })

  it("refuses assignments alone only when their text matches", () => {
    const unit = simple("X=1", { words: [], assignments: [{ name: "X", text: "X=1" }], nameEnd: 0 })
    assert.isUndefined(rule(unit))
    assert.deepStrictEqual(
      denied(compile(options({ deniedCommands: [/^X=/] })), unit, 0, recordCode),
      new Refusal("denied", "X=1", "it matches MCP_BG_DENIED_COMMANDS.")
    )
  })

  it("follows the commands that wrappers run, refusing with the outer command's text", () => {
    const refusal = denied(policy, simple("sudo -u root nohup rm victim"), 0, recordCode)
    assert.strictEqual(refusal?.rule, "denied")
    assert.strictEqual(refusal?.refused, "sudo -u root nohup rm victim")
    assert.strictEqual(rule(simple("find . -exec rm {} ;")), "denied")
  })

  it("refuses a command name known only at run time, since the list cannot be checked", () => {
    const refusal = denied(policy, simple("$(echo rm) victim", { words: [dynamic("$(echo rm)"), word("victim")] }), 0, recordCode)
    assert.strictEqual(refusal?.rule, "dynamic-command")
    assert.strictEqual(
      refusal?.reason,
      "its command name $(echo rm) is only known at run time, so the deny list cannot be checked. Write the command name literally."
    )
  })

  it("hands literal code to the code check one level down, and refuses code known only at run time", () => {
    codes.length = 0
    assert.isUndefined(rule(simple("sh -c 'ls'", { words: [word("sh"), word("-c"), word("'ls'", "ls")] }), 2))
    assert.deepStrictEqual(codes, [{ source: "ls", wrapper: "sh -c", depth: 3 }])
    const refusal = denied(policy, simple("eval \"$CMD\"", { words: [word("eval"), dynamic("\"$CMD\"")] }), 0, recordCode)
    assert.deepStrictEqual(
      refusal,
      new Refusal(
        "dynamic-command",
        "eval \"$CMD\"",
        "eval runs shell code that is only known at run time, so the deny list cannot be checked. Pass the code literally."
      )
    )
  })

  it("returns the code check's refusal", () => {
    const inner = new Refusal("denied", "sh -c 'rm victim'", "inner")
    assert.strictEqual(denied(policy, simple("eval rm victim"), 0, () => inner), inner)
  })

  it("gives up on code nested deeper than the bound", () => {
    codes.length = 0
    const refusal = denied(policy, simple("eval ls"), MAX_CODE_DEPTH, recordCode)
    assert.deepStrictEqual(refusal, new Refusal("dynamic-command", "eval ls", `it nests shell code (eval) more than ${MAX_CODE_DEPTH} levels deep.`))
    assert.deepStrictEqual(codes, [])
  })
})
