/**
 * HTTP mode's settings: defaults from the table, `make` that never throws, and `validate`, the one check
 * that the variables end in and that `listen` runs on a configuration built in code.
 */
import { assert, describe, it } from "@effect/vitest"
import * as ConfigProvider from "effect/ConfigProvider"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Option from "effect/Option"
import { HttpConfig, type HttpConfigInput } from "../../../src/http/HttpConfig.js"
import { listen } from "../../../src/http/McpHttpServer.js"
import { firstInvalidSetting } from "../../../src/JobConfig.js"
import { TestSpawner } from "../../../src/testing/index.js"

const problem = (input: HttpConfigInput) => {
  const result = HttpConfig.validate(HttpConfig.make(input))
  return Either.isLeft(result) ? firstInvalidSetting(result.left) : undefined
}

/** The settings as read from these variables, or the error. */
const read = (vars: Record<string, string>) =>
  Effect.either(Effect.withConfigProvider(HttpConfig.config, ConfigProvider.fromMap(new Map(Object.entries(vars)))))

describe("HttpConfig", () => {
  it.effect("has the documented defaults, from the table", () =>
    Effect.gen(function*() {
      const config = Either.getOrThrow(yield* read({}))
      assert.deepStrictEqual([config.host, config.port, config.tokens, config.maxBodySize], ["127.0.0.1", 7345, [], 4 * 1024 * 1024])
      assert.isTrue(Option.isNone(config.tokenFile))
      assert.strictEqual(Duration.toSeconds(config.sessionIdle), 1800)
      assert.deepStrictEqual(HttpConfig.make(), config)
    }))

  it.effect("keeps the variables' checks and messages", () =>
    Effect.gen(function*() {
      const result = yield* read({ MCP_BG_HTTP_PORT: "70000" })
      assert.deepStrictEqual(Either.isLeft(result) && firstInvalidSetting(result.left), [
        "MCP_BG_HTTP_PORT",
        "invalid value \"70000\": expected a port number from 0 to 65535 (0 picks a free port)"
      ])
      // A port is written in digits only.
      assert.isTrue(Either.isLeft(yield* read({ MCP_BG_HTTP_PORT: "80.0" })))
      assert.isTrue(Either.isLeft(yield* read({ MCP_BG_HTTP_SESSION_IDLE: "0" })))
      assert.strictEqual(Duration.toMillis(Either.getOrThrow(yield* read({ MCP_BG_HTTP_SESSION_IDLE: "1.5" })).sessionIdle), 1500)
    }))

  it("make never throws: a duration that does not decode is reported by validate, naming the variable", () => {
    const config = HttpConfig.make({ sessionIdle: "a while" as Duration.DurationInput })
    assert.strictEqual(config.problems?.length, 1)
    assert.deepStrictEqual(problem({ sessionIdle: "a while" as Duration.DurationInput }), [
      "MCP_BG_HTTP_SESSION_IDLE",
      "invalid value \"a while\": expected a positive duration such as \"30 minutes\", a number of milliseconds or a Duration"
    ])
    assert.strictEqual(problem({ sessionIdle: -1 })?.[0], "MCP_BG_HTTP_SESSION_IDLE")
  })

  it("validate checks the range of every number", () => {
    assert.deepStrictEqual(problem({ port: 65536 }), [
      "MCP_BG_HTTP_PORT",
      "invalid value 65536: expected a port number from 0 to 65535 (0 picks a free port)"
    ])
    assert.strictEqual(problem({ port: 80.5 })?.[0], "MCP_BG_HTTP_PORT")
    assert.deepStrictEqual(problem({ maxBodySize: 0 }), ["MCP_BG_HTTP_MAX_BODY", "invalid value 0: expected a positive whole number of bytes"])
    assert.strictEqual(problem({ sessionIdle: 0 })?.[0], "MCP_BG_HTTP_SESSION_IDLE")
    assert.isUndefined(problem({ port: 0, sessionIdle: "300 millis" }))
  })

  it.scoped("listen refuses a configuration built in code that validate refuses, naming the variable", () =>
    Effect.gen(function*() {
      const refused = yield* Effect.flip(listen({ name: "test", version: "0.0.0" }, HttpConfig.make({ port: 0, maxBodySize: -1 })))
      assert.strictEqual(refused._tag, "HttpServerError")
      assert.strictEqual(refused.message, "MCP_BG_HTTP_MAX_BODY: invalid value -1: expected a positive whole number of bytes")
    }).pipe(Effect.provide(TestSpawner.layerJobManager([]))))
})
