/**
 * HTTP mode's settings: defaults from the table, `make` that never throws, and `validate`, the one check
 * that the variables end in and that `listen` runs on a configuration built in code.
 */
import * as ConfigProvider from "effect/ConfigProvider"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Option from "effect/Option"
import { describe, expect, it } from "vitest"
import { HttpConfig, type HttpConfigInput } from "../../../src/http/HttpConfig.js"
import { listen } from "../../../src/http/McpHttpServer.js"
import { firstInvalidSetting } from "../../../src/JobConfig.js"
import { TestSpawner } from "../../../src/testing/index.js"

const problem = (input: HttpConfigInput) => {
  const result = HttpConfig.validate(HttpConfig.make(input))
  return Either.isLeft(result) ? firstInvalidSetting(result.left) : undefined
}

const read = (vars: Record<string, string>) =>
  Effect.runSync(Effect.either(Effect.withConfigProvider(HttpConfig.config, ConfigProvider.fromMap(new Map(Object.entries(vars))))))

describe("HttpConfig", () => {
  it("has the documented defaults, from the table", () => {
    const config = Either.getOrThrow(read({}))
    expect([config.host, config.port, config.tokens, config.maxBodySize]).toEqual(["127.0.0.1", 7345, [], 4 * 1024 * 1024])
    expect(Option.isNone(config.tokenFile)).toBe(true)
    expect(Duration.toSeconds(config.sessionIdle)).toBe(1800)
    expect(HttpConfig.make()).toEqual(config)
  })

  it("keeps the variables' checks and messages", () => {
    const result = read({ MCP_BG_HTTP_PORT: "70000" })
    expect(Either.isLeft(result) && firstInvalidSetting(result.left)).toEqual([
      "MCP_BG_HTTP_PORT",
      "invalid value \"70000\": expected a port number from 0 to 65535 (0 picks a free port)"
    ])
    // A port is written in digits only.
    expect(Either.isLeft(read({ MCP_BG_HTTP_PORT: "80.0" }))).toBe(true)
    expect(Either.isLeft(read({ MCP_BG_HTTP_SESSION_IDLE: "0" }))).toBe(true)
    expect(Duration.toMillis(Either.getOrThrow(read({ MCP_BG_HTTP_SESSION_IDLE: "1.5" })).sessionIdle)).toBe(1500)
  })

  it("make never throws: a duration that does not decode is reported by validate, naming the variable", () => {
    const config = HttpConfig.make({ sessionIdle: "a while" as Duration.DurationInput })
    expect(config.problems?.length).toBe(1)
    expect(problem({ sessionIdle: "a while" as Duration.DurationInput })).toEqual([
      "MCP_BG_HTTP_SESSION_IDLE",
      "invalid value \"a while\": expected a positive duration such as \"30 minutes\", a number of milliseconds or a Duration"
    ])
    expect(problem({ sessionIdle: -1 })?.[0]).toBe("MCP_BG_HTTP_SESSION_IDLE")
  })

  it("validate checks the range of every number", () => {
    expect(problem({ port: 65536 })).toEqual([
      "MCP_BG_HTTP_PORT",
      "invalid value 65536: expected a port number from 0 to 65535 (0 picks a free port)"
    ])
    expect(problem({ port: 80.5 })?.[0]).toBe("MCP_BG_HTTP_PORT")
    expect(problem({ maxBodySize: 0 })).toEqual(["MCP_BG_HTTP_MAX_BODY", "invalid value 0: expected a positive whole number of bytes"])
    expect(problem({ sessionIdle: 0 })?.[0]).toBe("MCP_BG_HTTP_SESSION_IDLE")
    expect(problem({ port: 0, sessionIdle: "300 millis" })).toBeUndefined()
  })

  it("listen refuses a configuration built in code that validate refuses, naming the variable", async () => {
    const refused = await Effect.runPromise(
      listen({ name: "test", version: "0.0.0" }, HttpConfig.make({ port: 0, maxBodySize: -1 })).pipe(
        Effect.flip,
        Effect.scoped,
        Effect.provide(TestSpawner.layerJobManager([]))
      )
    )
    expect(refused._tag).toBe("HttpServerError")
    expect(refused.message).toBe("MCP_BG_HTTP_MAX_BODY: invalid value -1: expected a positive whole number of bytes")
  })
})
