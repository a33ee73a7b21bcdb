/**
 * The order in which a command meets the rules, with a stub parser: text rules first, then the parse, then
 * each unit (allowlist, then variables and the deny list), and code that wrappers run checked as a script of
 * its own without the allowlist.
 */
import { assert, describe, it } from "@effect/vitest"
import * as Either from "effect/Either"
import { compile } from "../../../../src/policy/CompiledPolicy.js"
import { Refusal } from "../../../../src/policy/Refusal.js"
import { MAX_CODE_DEPTH } from "../../../../src/policy/rules/CommandRules.js"
import { commandRefusal, controlCharacter, emptyCommand, type ParseShell } from "../../../../src/policy/rules/ScriptRules.js"
import { type ShellScript, ShellSyntaxError, type ShellUnit } from "../../../../src/shell/ShellSyntax.js"
import { options, simple, substitution, word } from "../../../support/shellSyntax.js"

/** A parser that knows the scripts it is given and reports every other source as a syntax error. */
const stubParser = (scripts: Record<string, ReadonlyArray<ShellUnit> | ShellScript>) => {
  const parsed: Array<string> = []
  const parse: ParseShell = (source) => {
    parsed.push(source)
    const known = scripts[source]
    if (known === undefined) return Either.left(new ShellSyntaxError({ message: `syntax error near ${JSON.stringify(source)}` }))
    return Either.right("units" in known ? known : { units: known, problems: [] })
  }
  return { parse, parsed }
}

const shC = (code: string) => simple(`sh -c '${code}'`, { words: [word("sh"), word("-c"), word(`'${code}'`, code)] })

describe("text rules", () => {
  it("refuses an empty or blank command", () => {
    assert.deepStrictEqual(emptyCommand(" \n\t"), new Refusal("empty", "", "the command is empty. Pass a shell command such as `npm test`."))
    assert.isUndefined(emptyCommand("ls"))
  })

  it("refuses control characters other than tab and newline, naming the first", () => {
    assert.deepStrictEqual(
      controlCharacter("ls\rrm x\u001b"),
      new Refusal("control-character", "", "it contains the control character U+000D. Remove it (use plain newlines between commands).")
    )
    assert.strictEqual(controlCharacter("a\u007f")?.reason.slice(0, 45), "it contains the control character U+007F. Rem")
    assert.isUndefined(controlCharacter("echo a\tb\nls"))
  })
})

describe("commandRefusal", () => {
  const allowEchoLs = compile(options({ allowedCommands: [/^echo /, /^ls/] }))
  const denyRm = compile(options({ deniedCommands: [/^rm /] }))

  it("checks the text before parsing it", () => {
    const { parse, parsed } = stubParser({})
    assert.strictEqual(commandRefusal(allowEchoLs, parse, "  ")?.rule, "empty")
    assert.strictEqual(commandRefusal(allowEchoLs, parse, "ls\r")?.rule, "control-character")
    assert.deepStrictEqual(parsed, [])
  })

  it("refuses what does not parse, with the parser's message", () => {
    const { parse } = stubParser({})
    assert.deepStrictEqual(
      commandRefusal(allowEchoLs, parse, "echo 'open"),
      new Refusal("syntax", "", "the shell parser could not parse it: syntax error near \"echo 'open\". Fix the syntax.")
    )
  })

  it("refuses a parse with problems as ambiguous", () => {
    const { parse } = stubParser({ "ls": { units: [simple("ls")], problems: ["a backslash-newline inside a word"] } })
    assert.deepStrictEqual(commandRefusal(allowEchoLs, parse, "ls"), new Refusal("ambiguous-syntax", "", "a backslash-newline inside a word."))
  })

  it("refuses the first unit that breaks a rule", () => {
    const { parse } = stubParser({ "ls; rm victim; touch created": [simple("ls"), simple("rm victim"), simple("touch created")] })
    assert.strictEqual(commandRefusal(allowEchoLs, parse, "ls; rm victim; touch created")?.refused, "rm victim")
    assert.isUndefined(commandRefusal(allowEchoLs, stubParser({ "echo a; ls": [simple("echo a"), simple("ls")] }).parse, "echo a; ls"))
  })

  it("applies the allowlist's rules before those on variables", () => {
    const unit = simple("PATH=x echo $(ls)", {
      words: [word("echo"), word("$(ls)")],
      assignments: [{ name: "PATH", text: "PATH=x" }],
      nameEnd: 11,
      constructs: [substitution("$(ls)")]
    })
    const { parse } = stubParser({ "PATH=x echo $(ls)": [unit] })
    const anyEcho = compile(options({ allowedCommands: [/^.*echo /] }))
    assert.strictEqual(commandRefusal(anyEcho, parse, "PATH=x echo $(ls)")?.rule, "command-substitution")
    assert.strictEqual(commandRefusal(denyRm, parse, "PATH=x echo $(ls)")?.rule, "protected-variable")
  })

  it("checks code that a wrapper runs as a script of its own, refusing the inner command", () => {
    const { parse, parsed } = stubParser({ "sh -c 'echo a; rm victim'": [shC("echo a; rm victim")], "echo a; rm victim": [simple("echo a"), simple("rm victim")] })
    assert.deepStrictEqual(
      commandRefusal(denyRm, parse, "sh -c 'echo a; rm victim'"),
      new Refusal("denied", "rm victim", "it matches a denied pattern (MCP_BG_DENIED_COMMANDS). Do not run it.")
    )
    assert.deepStrictEqual(parsed, ["sh -c 'echo a; rm victim'", "echo a; rm victim"])
  })

  it("refuses code that a wrapper runs when it does not parse", () => {
    const { parse } = stubParser({ "sh -c 'echo (('": [shC("echo ((")] })
    assert.deepStrictEqual(
      commandRefusal(denyRm, parse, "sh -c 'echo (('"),
      new Refusal("syntax", "sh -c 'echo (('", "the code given to sh -c does not parse: syntax error near \"echo ((\".")
    )
  })

  it("checks a wrapper's code without the allowlist, but with the rules on variables", () => {
    const both = compile(options({ allowedCommands: [/^sh -c /], deniedCommands: [/^rm /] }))
    const { parse } = stubParser({
      "sh -c 'touch created'": [shC("touch created")],
      "touch created": [simple("touch created")],
      "sh -c 'PATH=x ls'": [shC("PATH=x ls")],
      "PATH=x ls": [simple("PATH=x ls", { words: [word("ls")], assignments: [{ name: "PATH", text: "PATH=x" }] })]
    })
    assert.isUndefined(commandRefusal(both, parse, "sh -c 'touch created'"))
    assert.strictEqual(commandRefusal(both, parse, "sh -c 'PATH=x ls'")?.rule, "protected-variable")
  })

  it("gives up on code nested deeper than the bound", () => {
    const nested: Record<string, ReadonlyArray<ShellUnit>> = { "again": [shC("again")], "sh -c 'again'": [shC("again")] }
    const { parse, parsed } = stubParser(nested)
    assert.deepStrictEqual(
      commandRefusal(denyRm, parse, "sh -c 'again'"),
      new Refusal("dynamic-command", "sh -c 'again'", `it nests shell code (sh -c) more than ${MAX_CODE_DEPTH} levels deep.`)
    )
    assert.strictEqual(parsed.length, 1 + MAX_CODE_DEPTH)
  })
})
