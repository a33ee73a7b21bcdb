/**
 * Compiling the policy's options: patterns anchored at the start, what a pattern spells, the covering
 * patterns that make a simple command's pattern cover its whole name, and the protected variables.
 */
import { assert, describe, it } from "@effect/vitest"
import { anchored, compile, coveringPattern, isProtected, spelled, spells } from "../../../src/policy/CompiledPolicy.js"
import { options } from "../../support/shellSyntax.js"

describe("CompiledPolicy", () => {
  it("spells a pattern's source without the escapes of punctuation, keeping classes such as \\d", () => {
    assert.strictEqual(spelled(/^echo \$\(date \+%Y\)$/), "^echo $(date +%Y)$")
    assert.strictEqual(spelled(/^timeout \d+ ls$/), "^timeout \\d+ ls$")
    assert.strictEqual(spelled(/^find \. -exec ls \{\} \\;$/), "^find . -exec ls {} \\;$")
  })

  it("anchors a pattern at the start and drops the flags that make test stateful", () => {
    const pattern = anchored(/ls|echo/gy)
    assert.isTrue(pattern.test("echo a"))
    assert.isTrue(pattern.test("echo a"))
    assert.isFalse(pattern.test("x; ls"))
    assert.strictEqual(pattern.flags, "")
    assert.strictEqual(anchored(/ECHO/i).flags, "i")
  })

  it("is active with either command list, and only then", () => {
    assert.isFalse(compile(options({ allowedEnv: ["PATH"] })).active)
    assert.isTrue(compile(options({ allowedCommands: [/^ls/] })).active)
    assert.isTrue(compile(options({ deniedCommands: [/^rm /] })).active)
  })

  it("keeps each allowed pattern with its anchored and spelled forms, and the denied ones anchored", () => {
    const policy = compile(options({ allowedCommands: [/npm test/], deniedCommands: [/rm /] }))
    assert.strictEqual(policy.allow[0]!.anchored.source, "^(?:npm test)")
    assert.strictEqual(policy.allow[0]!.spelled, "npm test")
    assert.strictEqual(policy.deny[0]!.source, "^(?:rm )")
  })

  it("covers the whole command name: ^ls allows ls but not lsof, and each length compiles once", () => {
    const [ls] = compile(options({ allowedCommands: [/^ls/] })).allow
    assert.isTrue(coveringPattern(ls!, 2).test("ls -la"))
    assert.isFalse(coveringPattern(ls!, 4).test("lsof -i"))
    const [anyLs] = compile(options({ allowedCommands: [/^ls\w*/] })).allow
    assert.isTrue(coveringPattern(anyLs!, 4).test("lsof -i"))
    assert.strictEqual(coveringPattern(ls!, 2), coveringPattern(ls!, 2))
    assert.strictEqual(ls!.covering.size, 2)
  })

  it("protects hook variables unless MCP_BG_ALLOWED_ENV lists them, by name or glob", () => {
    const policy = compile(options({ deniedCommands: [/^rm /], allowedEnv: ["NODE_OPTIONS", "PYTHON*"] }))
    assert.isTrue(isProtected(policy, "PATH"))
    assert.isTrue(isProtected(policy, "LD_PRELOAD"))
    assert.isTrue(isProtected(policy, "BASH_FUNC_ls%%"))
    assert.isFalse(isProtected(policy, "NODE_OPTIONS"))
    assert.isFalse(isProtected(policy, "PYTHONPATH"))
    assert.isFalse(isProtected(policy, "GREETING"))
  })

  it("finds a marker in what the allowing patterns spell", () => {
    assert.isTrue(spells(["^nohup ls$", "^echo "], "nohup"))
    assert.isFalse(spells(["^echo "], "$("))
    assert.isFalse(spells([], ""))
  })
})
