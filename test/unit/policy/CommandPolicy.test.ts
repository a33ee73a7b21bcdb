/**
 * The policy service as wiring: it parses with the `ShellParser` it is given (only under a command list),
 * runs the rules, logs a refusal at info level and fails with `CommandRejected`.
 */
import { assert, describe, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Layer from "effect/Layer"
import * as Logger from "effect/Logger"
import { CommandPolicy } from "../../../src/policy/CommandPolicy.js"
import { ShellParser } from "../../../src/shell/ShellParser.js"
import { ShellSyntaxError } from "../../../src/shell/ShellSyntax.js"
import { options, simple } from "../../support/shellSyntax.js"
import { collectingLogger } from "../../support/runtime.js"

/** A parser that reads each `;`-separated part as a simple command, and records what it is asked to parse. */
const countingParser = () => {
  const parsed: Array<string> = []
  const layer = Layer.succeed(
    ShellParser,
    ShellParser.of({
      parse: (source) => {
        parsed.push(source)
        return source.includes("'") ?
          Either.left(new ShellSyntaxError({ message: "unterminated quote" })) :
          Either.right({ units: source.split(";").map((part) => simple(part.trim())), problems: [] })
      }
    })
  )
  return { layer, parsed }
}

describe("CommandPolicy", () => {
  it.effect("refuses on the parser it is given, logging the refusal at info level", () => {
    const { layer, parsed } = countingParser()
    const lines: Array<string> = []
    return Effect.gen(function*() {
      const policy = yield* CommandPolicy.makeWithParser(options({ allowedCommands: [/^echo /] }))
      assert.isTrue(policy.active)
      yield* policy.check("echo a")
      const error = yield* Effect.flip(policy.check("echo a; rm victim"))
      assert.strictEqual(error._tag, "CommandRejected")
      assert.strictEqual(error.rule, "not-allowed")
      assert.strictEqual(error.refused, "rm victim")
      assert.include(error.reason, "refused by rule not-allowed: the simple command `rm victim`: it matches none")
      assert.deepStrictEqual(parsed, ["echo a", "echo a; rm victim"])
      assert.strictEqual(lines.length, 1)
      assert.match(lines[0]!, /^INFO command refused /)
      assert.include(lines[0]!, "\"rule\":\"not-allowed\"")
      assert.include(lines[0]!, "\"refused\":\"rm victim\"")
      const syntax = yield* Effect.flip(policy.check("echo 'a"))
      assert.strictEqual(syntax.reason, "refused by rule syntax: the shell parser could not parse it: unterminated quote. Fix the syntax.")
    }).pipe(Effect.provide(layer), Effect.provide(collectingLogger(lines)))
  })

  it.effect("without a command list, refuses only empty commands and parses nothing", () => {
    const { layer, parsed } = countingParser()
    return Effect.gen(function*() {
      const policy = yield* CommandPolicy.makeWithParser(options({ allowedEnv: ["PATH"] }))
      assert.isFalse(policy.active)
      yield* policy.check("rm -rf 'anything")
      yield* policy.checkEnv("ls", { LD_PRELOAD: "./evil.so" })
      const empty = yield* Effect.flip(policy.check("   "))
      assert.strictEqual(empty.rule, "empty")
      assert.strictEqual(empty.reason, "the command is empty. Pass a shell command such as `npm test`.")
      assert.deepStrictEqual(parsed, [])
    }).pipe(Effect.provide(layer), Effect.provide(Logger.remove(Logger.defaultLogger)))
  })

  it.effect("refuses hook variables in a job's env under a command list", () =>
    Effect.gen(function*() {
      const policy = yield* CommandPolicy.makeWithParser(options({ deniedCommands: [/^rm /], allowedEnv: ["NODE_OPTIONS"] }))
      yield* policy.checkEnv("ls", { NODE_OPTIONS: "--trace-warnings", GREETING: "hi" })
      const error = yield* Effect.flip(policy.checkEnv("ls", { PATH: "./bin" }))
      assert.strictEqual(error.rule, "protected-variable")
      assert.strictEqual(error.refused, "PATH")
      assert.include(error.reason, "refused by rule protected-variable: the variable `PATH`: the job's env sets PATH")
    }).pipe(Effect.provide(countingParser().layer), Effect.provide(Logger.remove(Logger.defaultLogger))))

  it.effect("as a layer on the tree-sitter parser", () =>
    Effect.gen(function*() {
      const policy = yield* CommandPolicy
      const error = yield* Effect.flip(policy.check("ls | sh -c 'rm -r victim'"))
      assert.strictEqual(error.rule, "denied")
      assert.strictEqual(error.refused, "rm -r victim")
    }).pipe(
      Effect.provide(CommandPolicy.layerWithParser(options({ deniedCommands: [/^rm /] })).pipe(Layer.provide(ShellParser.layer))),
      Effect.provide(Logger.remove(Logger.defaultLogger))
    ))
})
