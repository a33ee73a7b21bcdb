/** The argument checks of job operations, as pure functions. */
import { assert, describe, it } from "@effect/vitest"
import * as Duration from "effect/Duration"
import * as Either from "effect/Either"
import {
  checkDuration,
  checkEnv,
  checkMaxBytes,
  checkSignal,
  checkTailLines,
  inputBytes,
  signalTarget
} from "../../src/internal/jobArguments.js"

const reason = <A>(result: Either.Either<A, { readonly message: string }>) => (Either.isLeft(result) ? result.left.message : "")

describe("job arguments", () => {
  it("durations: any Duration form; negative amounts and nonsense refused with what is wrong", () => {
    assert.strictEqual(Duration.toMillis(Either.getOrThrow(checkDuration("timeout", "2 seconds"))), 2000)
    assert.strictEqual(Duration.toMillis(Either.getOrThrow(checkDuration("timeout", 0))), 0)
    assert.include(reason(checkDuration("timeout", -5)), "must not be negative")
    assert.include(reason(checkDuration("timeout", "-1 seconds" as Duration.DurationInput)), "must not be negative")
    assert.include(reason(checkDuration("idle", "soon" as Duration.DurationInput)), "Invalid idle: soon is not a duration")
  })

  it("env: names without = or NUL, values without NUL", () => {
    assert.isTrue(Either.isRight(checkEnv({ PORT: "3000" })))
    assert.include(reason(checkEnv({ "A=B": "x" })), "not a valid variable name")
    assert.include(reason(checkEnv({ "": "x" })), "not a valid variable name")
    assert.include(reason(checkEnv({ A: "x\0y" })), "without NUL")
  })

  it("max_bytes and tail lines within their ranges", () => {
    assert.deepStrictEqual(checkMaxBytes(undefined, 32768), Either.right(32768))
    assert.deepStrictEqual(checkMaxBytes(1, 32768), Either.right(1))
    assert.deepStrictEqual(checkMaxBytes(1024 * 1024, 32768), Either.right(1024 * 1024))
    assert.include(reason(checkMaxBytes(0, 32768)), "from 1 to 1048576")
    assert.include(reason(checkMaxBytes(1.5, 32768)), "from 1 to 1048576")
    assert.include(reason(checkMaxBytes(1024 * 1024 + 1, 32768)), "from 1 to 1048576")
    assert.deepStrictEqual(checkTailLines(1000), Either.right(1000))
    assert.include(reason(checkTailLines(1001)), "from 1 to 1000")
  })

  it("signals by name in any case; terminal signals to the group, the others to the programs", () => {
    assert.deepStrictEqual(checkSignal("sigint"), Either.right("SIGINT"))
    assert.deepStrictEqual(checkSignal(undefined), Either.right(undefined))
    assert.include(reason(checkSignal("SIGNOPE")), "is not a signal name")
    assert.strictEqual(signalTarget("SIGINT"), "group")
    assert.strictEqual(signalTarget("SIGTERM"), "group")
    assert.strictEqual(signalTarget("SIGHUP"), "programs")
    assert.strictEqual(signalTarget("SIGUSR1"), "programs")
  })

  it("input gets a newline unless it has one, newline is false, or it only closes stdin", () => {
    assert.strictEqual(inputBytes("y", {}).toString(), "y\n")
    assert.strictEqual(inputBytes("y\n", {}).toString(), "y\n")
    assert.strictEqual(inputBytes("y", { newline: false }).toString(), "y")
    assert.strictEqual(inputBytes("", { eof: true }).toString(), "")
    assert.strictEqual(inputBytes("", {}).toString(), "\n")
  })
})
