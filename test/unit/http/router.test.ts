/**
 * The router's decisions alone, as functions of a request's facts: browser checks and CORS, routing and
 * authentication, the POST checks and where a body goes, and the body reader on a stream.
 */
import { assert, describe, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import type * as http from "node:http"
import { PassThrough } from "node:stream"
import { HttpConfig } from "../../../src/http/HttpConfig.js"
import { requestPolicy } from "../../../src/http/requestGuards.js"
import { checkBrowser, checkPostHeaders, postTarget, readBody, replies, type RequestFacts, route } from "../../../src/http/router.js"

const policy = requestPolicy(HttpConfig.make({ host: "127.0.0.1", port: 7345, allowedOrigins: ["http://localhost:5173"] }))
const authenticate = (authorization: string | undefined) => (authorization === "Bearer right" ? "alice" : undefined)
const facts = (method: string, path: string, headers: http.IncomingHttpHeaders = {}): RequestFacts => ({
  method,
  path,
  headers,
  remoteAddress: "127.0.0.1"
})
const errorOf = (body: unknown) => (body as { readonly error: { readonly code: number; readonly message: string } }).error
const initialize = { jsonrpc: "2.0", id: 1, method: "initialize", params: { protocolVersion: "2025-06-18", capabilities: {}, clientInfo: { name: "t", version: "0" } } }

describe("checkBrowser", () => {
  it("refuses a Host that does not name the server, or none, with 403 and a debug line", () => {
    for (const host of ["attacker.example:7345", undefined]) {
      const checked = checkBrowser(policy, host === undefined ? {} : { host })
      if (Either.isRight(checked)) return assert.fail(`accepted Host ${host}`)
      assert.strictEqual(checked.left.reply.status, 403)
      assert.strictEqual(
        errorOf(checked.left.reply.body).message,
        `Forbidden: Host ${JSON.stringify(host ?? "")} does not name this server (MCP_BG_HTTP_ALLOWED_HOSTS).`
      )
      assert.deepStrictEqual(checked.left.log, { message: "request refused: Host not allowed", annotations: { host: host ?? "" } })
    }
  })

  it("refuses an Origin that is not allowed, the opaque null included", () => {
    for (const origin of ["http://evil.example", "null"]) {
      const checked = checkBrowser(policy, { host: "127.0.0.1:7345", origin })
      if (Either.isRight(checked)) return assert.fail(`accepted Origin ${origin}`)
      assert.strictEqual(checked.left.reply.status, 403)
      assert.strictEqual(errorOf(checked.left.reply.body).code, -32000)
      assert.include(errorOf(checked.left.reply.body).message, "MCP_BG_HTTP_ALLOWED_ORIGINS")
    }
  })

  it("gives CORS headers for an allowed Origin, and none without one", () => {
    assert.deepStrictEqual(checkBrowser(policy, { host: "localhost:7345", origin: "http://localhost:5173" }), Either.right({
      "access-control-allow-origin": "http://localhost:5173",
      "access-control-allow-headers": "Authorization, Content-Type, Accept, Mcp-Session-Id, Mcp-Protocol-Version, Last-Event-Id",
      "access-control-allow-methods": "GET, POST, DELETE",
      "access-control-expose-headers": "Mcp-Session-Id, WWW-Authenticate",
      "vary": "Origin"
    }))
    assert.deepStrictEqual(checkBrowser(policy, { host: "localhost:7345" }), Either.right({}))
  })
})

describe("route", () => {
  it("answers /healthz to GET and HEAD without a token, 405 otherwise", () => {
    for (const method of ["GET", "HEAD"]) {
      assert.deepStrictEqual(route(facts(method, "/healthz"), authenticate), { _tag: "Reply", reply: { status: 200, body: { status: "ok" } }, log: undefined })
    }
    const post = route(facts("POST", "/healthz"), authenticate)
    assert.deepStrictEqual(post, { _tag: "Reply", reply: { status: 405, body: { error: "use GET" }, headers: { allow: "GET, HEAD" } }, log: undefined })
  })

  it("answers 404 off the endpoint and 204 to a preflight, neither needing a token", () => {
    const elsewhere = route(facts("POST", "/other", { authorization: "Bearer right" }), authenticate)
    assert.deepStrictEqual(elsewhere._tag === "Reply" && elsewhere.reply, { status: 404, body: { error: "Not found: the MCP endpoint is /mcp" } })
    const preflight = route(facts("OPTIONS", "/mcp"), authenticate)
    assert.deepStrictEqual(preflight._tag === "Reply" && preflight.reply, { status: 204, headers: { allow: "GET, POST, DELETE, OPTIONS" } })
  })

  it("refuses a missing or wrong token with 401 and a WWW-Authenticate challenge", () => {
    const missing = route(facts("POST", "/mcp"), authenticate)
    if (missing._tag !== "Reply") return assert.fail("accepted a request without a token")
    assert.strictEqual(missing.reply.status, 401)
    assert.deepStrictEqual(missing.reply.headers, { "www-authenticate": "Bearer realm=\"mcp-background-job\"" })
    assert.match(errorOf(missing.reply.body).message, /send Authorization: Bearer <token>/)
    assert.deepStrictEqual(missing.log, { message: "request refused: no valid token", annotations: { from: "127.0.0.1", presented: false } })

    const wrong = route(facts("GET", "/mcp", { authorization: "Bearer wrong", "mcp-session-id": "s" }), authenticate)
    if (wrong._tag !== "Reply") return assert.fail("accepted a wrong token")
    assert.strictEqual(wrong.reply.status, 401)
    assert.deepStrictEqual(wrong.reply.headers, { "www-authenticate": "Bearer realm=\"mcp-background-job\", error=\"invalid_token\"" })
    assert.strictEqual(errorOf(wrong.reply.body).message, "Unauthorized: the bearer token is not valid.")
  })

  it("dispatches by method: POST to the body, GET and DELETE to their session, others 405", () => {
    const auth = { authorization: "Bearer right" }
    assert.deepStrictEqual(route(facts("POST", "/mcp", auth), authenticate), { _tag: "Post", owner: "alice" })
    for (const method of ["GET", "DELETE"]) {
      assert.deepStrictEqual(route(facts(method, "/mcp", { ...auth, "mcp-session-id": "s1" }), authenticate), {
        _tag: "Session",
        owner: "alice",
        sessionId: "s1"
      })
      const without = route(facts(method, "/mcp", auth), authenticate)
      assert.strictEqual(without._tag === "Reply" && without.reply.status, 400)
    }
    const put = route(facts("PUT", "/mcp", auth), authenticate)
    if (put._tag !== "Reply") return assert.fail("accepted PUT")
    assert.strictEqual(put.reply.status, 405)
    assert.deepStrictEqual(put.reply.headers, { allow: "GET, POST, DELETE" })
  })
})

describe("checkPostHeaders", () => {
  it("refuses a body that is not JSON with 415", () => {
    for (const contentType of [undefined, "text/plain", "application/jsonx"]) {
      const checked = checkPostHeaders(contentType === undefined ? {} : { "content-type": contentType }, 4096)
      assert.strictEqual(Either.isLeft(checked) && checked.left.status, 415, String(contentType))
    }
    assert.isTrue(Either.isRight(checkPostHeaders({ "content-type": "Application/JSON; charset=utf-8" }, 4096)))
  })

  it("tells a waiting client to send its body unless it declared too much", () => {
    const json = { "content-type": "application/json" }
    assert.deepStrictEqual(checkPostHeaders(json, 4096), Either.right({ sendContinue: false }))
    assert.deepStrictEqual(checkPostHeaders({ ...json, expect: "100-Continue", "content-length": "4096" }, 4096), Either.right({ sendContinue: true }))
    assert.deepStrictEqual(checkPostHeaders({ ...json, expect: "100-continue", "content-length": "4097" }, 4096), Either.right({ sendContinue: false }))
  })
})

describe("postTarget", () => {
  const bytes = (value: unknown) => Buffer.from(JSON.stringify(value))

  it("refuses what is not JSON with a parse error", () => {
    const target = postTarget({}, Buffer.from("{not json"))
    if (target._tag !== "Reply") return assert.fail("accepted invalid JSON")
    assert.strictEqual(target.reply.status, 400)
    assert.strictEqual(errorOf(target.reply.body).code, -32700)
  })

  it("sends a message with a session id to that session", () => {
    const list = { jsonrpc: "2.0", id: 2, method: "tools/list" }
    assert.deepStrictEqual(postTarget({ "mcp-session-id": "s1" }, bytes(list)), { _tag: "Session", sessionId: "s1", body: list })
  })

  it("opens a session only for an initialize, alone or in a batch", () => {
    assert.deepStrictEqual(postTarget({}, bytes(initialize)), { _tag: "Initialize", body: initialize })
    const batch = [initialize, { jsonrpc: "2.0", method: "notifications/initialized" }]
    assert.deepStrictEqual(postTarget({}, bytes(batch)), { _tag: "Initialize", body: batch })
    const list = postTarget({}, bytes({ jsonrpc: "2.0", id: 2, method: "tools/list" }))
    if (list._tag !== "Reply") return assert.fail("opened a session without initialize")
    assert.strictEqual(list.reply.status, 400)
    assert.strictEqual(errorOf(list.reply.body).message, "Bad Request: Mcp-Session-Id header is required (start with initialize)")
  })
})

describe("replies", () => {
  it("name the limits they enforce", () => {
    assert.strictEqual(replies.payloadTooLarge(4096).status, 413)
    assert.deepStrictEqual(replies.payloadTooLarge(4096).headers, { connection: "close" })
    assert.match(errorOf(replies.payloadTooLarge(4096).body).message, /must not exceed 4096 bytes \(MCP_BG_HTTP_MAX_BODY\)/)
    assert.strictEqual(replies.tooManySessions(256).status, 503)
    assert.match(errorOf(replies.tooManySessions(256).body).message, /^Too many sessions \(256\)/)
    assert.strictEqual(replies.sessionNotFound.status, 404)
  })
})

describe("readBody", () => {
  /** A request body stream with the given headers. */
  const request = (headers: http.IncomingHttpHeaders = {}) => Object.assign(new PassThrough(), { headers }) as unknown as http.IncomingMessage & PassThrough

  it.effect("reads a body within the limit", () =>
    Effect.gen(function*() {
      const req = request()
      req.end("hello")
      assert.strictEqual((yield* readBody(req, 5)).toString("utf8"), "hello")
    }))

  it.effect("fails as too large on the declared length, before reading, or once the limit is passed", () =>
    Effect.gen(function*() {
      assert.deepStrictEqual(yield* Effect.flip(readBody(request({ "content-length": "6" }), 5)), "too_large")
      const streamed = request()
      streamed.write("abc")
      streamed.write("def")
      assert.deepStrictEqual(yield* Effect.flip(readBody(streamed, 5)), "too_large")
    }))

  it.effect("fails as aborted when the stream closes before its end", () =>
    Effect.gen(function*() {
      const req = request()
      req.write("partial")
      setImmediate(() => req.destroy())
      assert.deepStrictEqual(yield* Effect.flip(readBody(req, 1024)), "aborted")
    }))
})
