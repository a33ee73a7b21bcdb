/** Line patterns: the linear-time engine for agent-supplied `until` and `filter`, and its refusals. */
import { assert, describe, it } from "@effect/vitest"
import * as Either from "effect/Either"
import { compileLinePattern, type LinePattern } from "../../src/internal/LinePattern.js"

const compiled = (pattern: string | RegExp): LinePattern => {
  const result = compileLinePattern("until", pattern)
  if (Either.isLeft(result)) assert.fail(`${String(pattern)} was refused: ${result.left.message}`)
  return result.right
}

const refusal = (pattern: string): string => {
  const result = compileLinePattern("until", pattern)
  if (Either.isRight(result)) return assert.fail(`${pattern} was accepted`)
  return result.left.message
}

describe("LinePattern", () => {
  it("runs the syntax JavaScript and RE2 share, per line", () => {
    const cases: ReadonlyArray<readonly [string, string, boolean]> = [
      ["ready|listening on", "Server listening on :3000", true],
      ["ready|listening on", "starting", false],
      ["(?i)error", "ERROR: disk full", true],
      ["^\\d+ tests? passed$", "12 tests passed", true],
      ["^\\d+ tests? passed$", "ok: 12 tests passed", false],
      ["\\bfail\\b", "a fail here", true],
      ["\\bfail\\b", "failure", false],
      ["\\w+\\s\\w+", "two words", true],
      ["[A-Z][a-z]{2,}", "Hello", true],
      ["^$", "", true],
      ["", "anything", true],
      ["src\\/index\\.ts", "src/index.ts:3", true],
      ["(?<file>\\w+)\\.ts:(?<line>\\d+)", "main.ts:12", true],
      ["(?P<file>\\w+)\\.ts", "main.ts", true],
      ["caf\\u00e9", "café", true],
      ["\\u{e9}t\\u00E9", "été", true],
      ["\\ud83d\\ude00", "smile 😀", true],
      ["\\cA", "\u0001", true],
      ["\\x41\\x{42}", "AB", true],
      ["\\Q\\u0041\\E", "\\u0041", true],
      ["\\\\u0041", "\\u0041", true],
      ["^\\s*at .*\\(.*:\\d+:\\d+\\)$", "    at run (file.js:10:5)", true]
    ]
    for (const [pattern, line, expected] of cases) {
      assert.strictEqual(compiled(pattern).test(line), expected, `${pattern} against ${JSON.stringify(line)}`)
    }
    assert.strictEqual(compiled("x+").source, "x+")
  })

  it("answers ^(a+)+$ against a 50 KB line, which backtracks for minutes in JavaScript", () => {
    const pattern = compiled("^(a+)+$")
    assert.isFalse(pattern.test("a".repeat(50_000) + "b"))
    assert.isTrue(pattern.test("a".repeat(50_000)))
    assert.isFalse(compiled("(x+x+)+y").test("x".repeat(50_000)))
  })

  it("refuses each construct RE2 cannot run, naming it and saying what to write instead", () => {
    const cases: ReadonlyArray<readonly [string, ReadonlyArray<string>]> = [
      ["(a)\\1", ["Invalid until: \"(a)\\\\1\" uses a backreference (\\1)", "linear-time pattern engine", "match the text itself instead"]],
      ["(?<q>['\"]).*\\k<q>", ["a named backreference (\\k<name>)"]],
      ["(?P<q>a)(?P=q)", ["a named backreference ((?P=name))"]],
      ["foo(?=bar)", ["a lookahead ((?=…))", "match the surrounding text itself"]],
      ["foo(?!bar)", ["a negative lookahead ((?!…))"]],
      ["(?<=foo)bar", ["a lookbehind ((?<=…))"]],
      ["(?<!foo)bar", ["a negative lookbehind ((?<!…))"]],
      ["a++b", ["a possessive quantifier (++)", "drop the final +"]],
      ["a{2}+", ["a possessive quantifier ({2}+)"]],
      ["(?>a+)b", ["an atomic group ((?>…))", "(?:…)"]],
      ["done\\Z", ["\\Z", "use $"]],
      ["\\G", ["the escape \\G"]],
      ["(?#note)x", ["a comment group"]],
      ["(?(1)a|b)", ["a conditional group"]],
      ["(?x) a b", ["the group syntax (?x"]],
      ["a{1001}", ["at most 1000 repetitions"]],
      ["a{2,1}", ["is not a valid pattern (invalid repeat count at {2,1})"]],
      ["(foo", ["is not a valid pattern (missing closing ) at (foo)", "Escape special characters"]],
      ["[a-", ["is not a valid pattern (missing closing ]"]],
      ["*x", ["is not a valid pattern (missing argument to repetition operator at *)"]]
    ]
    for (const [pattern, parts] of cases) {
      const message = refusal(pattern)
      for (const part of parts) assert.include(message, part, `${pattern}: ${message}`)
    }
  })

  it("a library caller's own RegExp runs as written, without g or y making one test depend on the last", () => {
    const sticky = /ready/gy
    const pattern = compiled(sticky)
    assert.strictEqual(pattern.source, "ready")
    assert.isTrue(pattern.test("ready"))
    assert.isTrue(pattern.test("ready"))
    assert.isTrue(compiled(/(?<=v)1/).test("v1"), "JavaScript's own syntax, lookbehind included")
    assert.isFalse(compiled(/^ERR/).test("ok ERR"))
  })

  it("refuses a pattern longer than 4096 characters, saying the limit", () => {
    assert.isTrue(compiled("a".repeat(4096)).test("a".repeat(4096)))
    assert.include(refusal("a".repeat(4097)), "the limit is 4096")
  })
})
