/**
 * The rules on variables, on hand-written units: which names a unit assigns, and the refusals for hook
 * variables and name references (with and without an allowing pattern that spells them), in the command
 * and in a job's env.
 */
import { assert, describe, it } from "@effect/vitest"
import { compile } from "../../../../src/policy/CompiledPolicy.js"
import { Refusal } from "../../../../src/policy/Refusal.js"
import { assignedNames, namerefDeclaration, protectedAssignment, protectedEnv } from "../../../../src/policy/rules/VariableRules.js"
import { options, simple, statement, word } from "../../../support/shellSyntax.js"

const assigning = (text: string, names: ReadonlyArray<string>) =>
  simple(text, { words: text.split(" ").slice(names.length).map((part) => word(part)), assignments: names.map((name) => ({ name, text: `${name}=…` })) })

describe("assignedNames", () => {
  it("reads prefix and standalone assignments", () => {
    assert.deepStrictEqual(assignedNames(assigning("PATH=./bin LANG=C ls", ["PATH", "LANG"])), ["PATH", "LANG"])
    assert.deepStrictEqual(assignedNames(statement("for PATH in ./bin; do ls; done", { assignments: [{ name: "PATH", text: "PATH" }] })), ["PATH"])
  })

  it("reads the names that read, getopts, mapfile and printf -v assign, skipping option values", () => {
    assert.deepStrictEqual(assignedNames(simple("read -r -p prompt -a IFS NAME")), ["IFS", "NAME"])
    assert.deepStrictEqual(assignedNames(simple("getopts ab OPT")), ["ab", "OPT"])
    assert.deepStrictEqual(assignedNames(simple("mapfile -t -n 5 LINES")), ["LINES"])
    assert.deepStrictEqual(assignedNames(simple("printf -v PATH[0] %s x")), ["PATH"])
  })

  it("reads what declaring builtins name, with or without a value", () => {
    assert.deepStrictEqual(assignedNames(simple("export -n PATH=./bin HOME +x")), ["PATH", "HOME"])
    assert.deepStrictEqual(assignedNames(simple("declare -x LD_PRELOAD")), ["LD_PRELOAD"])
  })

  it("reads what env puts into its command's environment", () => {
    assert.deepStrictEqual(assignedNames(simple("env -i PATH=./bin BASH_ENV=x ls")), ["PATH", "BASH_ENV"])
  })

  it("reads nothing from a plain command", () => {
    assert.deepStrictEqual(assignedNames(simple("echo PATH=x")), [])
  })
})

describe("protectedAssignment", () => {
  const policy = compile(options({ allowedCommands: [/^ls/], allowedEnv: ["NODE_OPTIONS"] }))

  it("refuses setting a hook variable, naming it", () => {
    assert.deepStrictEqual(
      protectedAssignment(policy, assigning("LANG=C PATH=./bin ls", ["LANG", "PATH"]), ["^ls"]),
      new Refusal(
        "protected-variable",
        "LANG=C PATH=./bin ls",
        "it sets PATH, a variable that makes programs load or run other code. Leave it unset, or ask the operator to list it in MCP_BG_ALLOWED_ENV."
      )
    )
  })

  it("allows a hook variable that MCP_BG_ALLOWED_ENV lists, or that the allowing pattern spells", () => {
    assert.isUndefined(protectedAssignment(policy, assigning("NODE_OPTIONS=--trace node", ["NODE_OPTIONS"]), []))
    assert.isUndefined(protectedAssignment(policy, assigning("PATH=./bin ls", ["PATH"]), ["^PATH=./bin ls$"]))
  })

  it("names a statement as a statement", () => {
    const loop = statement("for IFS in x; do ls; done", { assignments: [{ name: "IFS", text: "IFS" }] })
    assert.strictEqual(protectedAssignment(policy, loop, [])?.subject, "statement")
  })
})

describe("namerefDeclaration", () => {
  it("refuses a name reference unless the pattern spells -n", () => {
    assert.deepStrictEqual(
      namerefDeclaration(simple("declare -rn ref=PATH"), []),
      new Refusal("protected-variable", "declare -rn ref=PATH", "it declares a name reference (-n), through which any variable can be set.")
    )
    assert.isUndefined(namerefDeclaration(simple("declare -n ref=x"), ["^declare -n "]))
    assert.isUndefined(namerefDeclaration(simple("declare -x ref=x"), []))
    assert.isUndefined(namerefDeclaration(simple("echo -n x"), []))
  })
})

describe("protectedEnv", () => {
  const policy = compile(options({ deniedCommands: [/^rm /], allowedEnv: ["PYTHON*"] }))

  it("refuses a job env that sets a hook variable, naming the variable", () => {
    assert.deepStrictEqual(
      protectedEnv(policy, { GREETING: "hi", LD_PRELOAD: "./evil.so" }),
      new Refusal(
        "protected-variable",
        "LD_PRELOAD",
        "the job's env sets LD_PRELOAD, a variable that makes programs load or run other code. Leave it out, or ask the operator to list it in MCP_BG_ALLOWED_ENV.",
        "variable"
      )
    )
  })

  it("accepts other variables and the listed hooks", () => {
    assert.isUndefined(protectedEnv(policy, { GREETING: "hi", PYTHONPATH: "." }))
    assert.isUndefined(protectedEnv(policy, {}))
  })
})
