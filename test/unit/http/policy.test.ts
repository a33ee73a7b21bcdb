import * as Either from "effect/Either"
import * as Option from "effect/Option"
import { describe, expect, it } from "vitest"
import { defaultTokenFile, generateToken, makeVerifier } from "../../../src/http/HttpAuth.js"
import { checkExposure, HttpConfig, isLoopback, parseTokens } from "../../../src/http/HttpConfig.js"
import { hostAllowed, originAllowed, requestPolicy } from "../../../src/http/requestGuards.js"

describe("MCP_BG_HTTP_TOKEN", () => {
  it("takes one unnamed token (owner default) or name:token pairs", () => {
    expect(parseTokens("abc123")).toEqual(Option.some([{ name: "default", token: "abc123" }]))
    expect(parseTokens(" alice:tok-a , bob:tok:b ")).toEqual(
      Option.some([{ name: "alice", token: "tok-a" }, { name: "bob", token: "tok:b" }])
    )
  })

  it("refuses ambiguous or unusable lists", () => {
    for (const bad of ["", " , ", "a:x,b:x", "a:x,a:y", "plain,b:y", "bad name:x", "a:", ":x", "a:with space", "a:é"]) {
      expect(parseTokens(bad), bad).toEqual(Option.none())
    }
  })

  it("verifies bearer headers against every token and names the owner", () => {
    const verifier = makeVerifier([{ name: "alice", token: "tok-a" }, { name: "bob", token: "tok-b" }])
    expect(verifier.verify("Bearer tok-a")).toBe("alice")
    expect(verifier.verify("bearer   tok-b ")).toBe("bob")
    for (const header of [undefined, "", "Bearer", "Bearer tok-", "Bearer tok-ab", "Basic tok-a", "tok-a", "Bearer tok-a tok-b"]) {
      expect(verifier.verify(header), String(header)).toBeUndefined()
    }
  })

  it("generates distinct 256-bit tokens", () => {
    const tokens = new Set(Array.from({ length: 50 }, generateToken))
    expect(tokens.size).toBe(50)
    for (const token of tokens) expect(Buffer.from(token, "base64url").length).toBe(32)
  })

  it("keeps a generated token under the runtime directory, else the state directory, one file per port", () => {
    expect(defaultTokenFile(7345, { XDG_RUNTIME_DIR: "/run/user/1000" })).toBe("/run/user/1000/mcp-background-job/http-7345.token")
    expect(defaultTokenFile(80, { XDG_STATE_HOME: "/home/u/.state" })).toBe("/home/u/.state/mcp-background-job/http-80.token")
  })
})

describe("exposure", () => {
  it("knows loopback addresses", () => {
    for (const host of ["127.0.0.1", "127.1.2.3", "::1", "[::1]", "localhost", "LOCALHOST", "::ffff:127.0.0.1"]) expect(isLoopback(host), host).toBe(true)
    for (const host of ["0.0.0.0", "::", "192.168.1.10", "10.0.0.1", "example.com", "128.0.0.1"]) expect(isLoopback(host), host).toBe(false)
  })

  it("refuses a non-loopback address without an explicit token", () => {
    expect(Either.isLeft(checkExposure(HttpConfig.make({ host: "0.0.0.0" })))).toBe(true)
    expect(Either.isLeft(checkExposure(HttpConfig.make({ host: "192.168.1.10" })))).toBe(true)
    expect(Either.isRight(checkExposure(HttpConfig.make({ host: "0.0.0.0", tokens: [{ name: "default", token: "t" }] })))).toBe(true)
    expect(Either.isRight(checkExposure(HttpConfig.make({ host: "127.0.0.1" })))).toBe(true)
  })
})

describe("Host and Origin checks", () => {
  it("accepts the loopback names of a loopback server and the allowed hosts, nothing else", () => {
    const policy = requestPolicy(HttpConfig.make({ host: "127.0.0.1", allowedHosts: ["jobs.example.com", "proxy.example:8443"] }))
    for (const host of ["127.0.0.1:7345", "localhost:7345", "LOCALHOST", "[::1]:7345", "jobs.example.com", "jobs.example.com:443", "proxy.example:8443"]) {
      expect(hostAllowed(policy, host), host).toBe(true)
    }
    for (const host of [undefined, "", "evil.example", "evil.example:7345", "127.0.0.1.evil.example", "proxy.example:8444", "proxy.example", "192.168.1.10:7345"]) {
      expect(hostAllowed(policy, host), String(host)).toBe(false)
    }
  })

  it("accepts the bound address of a server on another interface", () => {
    const policy = requestPolicy(HttpConfig.make({ host: "192.168.1.10" }))
    expect(hostAllowed(policy, "192.168.1.10:7345")).toBe(true)
    expect(hostAllowed(policy, "localhost:7345")).toBe(false)
  })

  it("lets requests without Origin through and browser pages only from allowed origins", () => {
    const policy = requestPolicy(HttpConfig.make({ allowedOrigins: ["http://localhost:5173/", "HTTPS://App.Example.com"] }))
    expect(originAllowed(policy, undefined)).toBe(true)
    expect(originAllowed(policy, "http://localhost:5173")).toBe(true)
    expect(originAllowed(policy, "https://app.example.com")).toBe(true)
    for (const origin of ["null", "http://localhost:5174", "http://app.example.com", "https://evil.example"]) {
      expect(originAllowed(policy, origin), origin).toBe(false)
    }
  })
})
