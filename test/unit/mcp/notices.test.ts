/**
 * The notice bookkeeping alone: what a notice says about a job, that pending notices are handed out once and
 * stay bounded, how they ride on a result (structured content, its JSON copy, or a text block of their own),
 * and that every output schema declares them so that a validating client accepts the result.
 */
import { assert, describe, it } from "@effect/vitest"
import type { CallToolResult, Tool } from "@modelcontextprotocol/sdk/types.js"
import { AjvJsonSchemaValidator } from "@modelcontextprotocol/sdk/validation/ajv"
import * as Schema from "effect/Schema"
import { JobEvent } from "../../../src/domain/JobEvent.js"
import { type JobNotice, noticeOf, shortenCommand } from "../../../src/domain/JobNotice.js"
import * as McpTool from "../../../src/mcp/McpTool.js"
import { declareNotices, NOTICES_HEADING, withNotices } from "../../../src/mcp/resultNotices.js"
import { PendingNotices } from "../../../src/mcp/SessionNotices.js"
import * as Wire from "../../../src/mcp/wire.js"

const ENDED = new Date("2026-01-02T03:04:05.678Z")

const notice = (n: number, overrides: Partial<JobNotice> = {}): JobNotice => ({
  id: `job-${n}`,
  command: `make test-${n}`,
  status: "failed",
  exitCode: 2,
  signal: null,
  endedAt: ENDED,
  ...overrides
})

const wireNotice = (n: number) => ({
  job_id: `job-${n}`,
  command: `make test-${n}`,
  status: "failed",
  exit_code: 2,
  signal: null,
  ended: "2026-01-02T03:04:05.678Z"
})

describe("a notice", () => {
  it("tells the job, its shortened command, how and when it ended", () => {
    const event = JobEvent.Exited({ jobId: "j1", command: "npm test", status: "killed", exitCode: null, signal: "SIGTERM", endedAt: ENDED })
    assert.deepStrictEqual(noticeOf(event), {
      id: "j1",
      command: "npm test",
      status: "killed",
      exitCode: null,
      signal: "SIGTERM",
      endedAt: ENDED
    })
    assert.deepStrictEqual(Schema.encodeSync(Wire.JobNotice)(noticeOf(event)), {
      job_id: "j1",
      command: "npm test",
      status: "killed",
      exit_code: null,
      signal: "SIGTERM",
      ended: "2026-01-02T03:04:05.678Z"
    })
  })

  it("shows a long or multi-line command on one line of at most 120 characters, marked where it was cut", () => {
    assert.strictEqual(shortenCommand("cd app &&\n  npm   test"), "cd app && npm test")
    const long = shortenCommand(`echo ${"x".repeat(300)}`)
    assert.strictEqual(long.length, 120)
    assert.isTrue(long.endsWith("…"))
    assert.strictEqual(shortenCommand("a".repeat(120)), "a".repeat(120))
    // An emoji across the cut is left out whole, never halved.
    const emoji = shortenCommand(`${"a".repeat(118)}😀tail`)
    assert.strictEqual(emoji, `${"a".repeat(118)}…`)
    assert.notMatch(emoji, /[\uD800-\uDBFF](?![\uDC00-\uDFFF])/)
  })
})

describe("PendingNotices", () => {
  it("hands each notice out once, in the order the jobs ended", () => {
    const pending = new PendingNotices()
    assert.isUndefined(pending.take())
    pending.add(notice(1))
    pending.add(notice(2))
    assert.deepStrictEqual(pending.take(), { notices: [notice(1), notice(2)], omitted: 0 })
    assert.isUndefined(pending.take(), "taken means gone")
    pending.add(notice(3))
    assert.deepStrictEqual(pending.take(), { notices: [notice(3)], omitted: 0 })
  })

  it("keeps the newest notices up to its limit and counts those it dropped, until they are taken", () => {
    const pending = new PendingNotices(3)
    for (let n = 1; n <= 5; n++) pending.add(notice(n))
    assert.deepStrictEqual(pending.take(), { notices: [notice(3), notice(4), notice(5)], omitted: 2 })
    pending.add(notice(6))
    assert.deepStrictEqual(pending.take(), { notices: [notice(6)], omitted: 0 }, "the count starts again")
  })

  it("holds 20 by default", () => {
    const pending = new PendingNotices()
    for (let n = 1; n <= 60; n++) pending.add(notice(n))
    const taken = pending.take()
    assert.strictEqual(taken?.notices.length, 20)
    assert.strictEqual(taken?.notices[0]?.id, "job-41")
    assert.strictEqual(taken?.omitted, 40)
  })
})

describe("withNotices", () => {
  const success = McpTool.success({ status: "killed" })

  it("leaves a result alone when there is nothing to tell", () => {
    assert.strictEqual(withNotices(success, undefined), success)
  })

  it("adds notices to the structured content and to its JSON copy", () => {
    const result = withNotices(success, { notices: [notice(1)], omitted: 0 })
    assert.deepStrictEqual(result.structuredContent, { status: "killed", notices: [wireNotice(1)] })
    assert.deepStrictEqual(result.content, [{ type: "text", text: JSON.stringify(result.structuredContent) }])
  })

  it("says how many more ended than it lists", () => {
    const result = withNotices(success, { notices: [notice(1)], omitted: 7 })
    assert.deepStrictEqual(result.structuredContent, { status: "killed", notices: [wireNotice(1)], notices_omitted: 7 })
  })

  it("adds a text block of its own to an error, which has no structured content", () => {
    const failure = McpTool.failure("Job x not found.")
    const result = withNotices(failure, { notices: [notice(1), notice(2)], omitted: 0 })
    assert.isTrue(result.isError)
    assert.isUndefined(result.structuredContent)
    assert.deepStrictEqual(result.content[0], failure.content[0])
    assert.deepStrictEqual(result.content[1], {
      type: "text",
      text: `${NOTICES_HEADING}: ${JSON.stringify([wireNotice(1), wireNotice(2)])}`
    })
    const more = withNotices(failure, { notices: [notice(1)], omitted: 3 })
    assert.match((more.content[1] as { text: string }).text, /^Jobs that ended since your last call \(and 3 earlier, not listed\): \[/)
  })

  it("keeps an application's own text and adds the notices as a block of their own where no text is the JSON copy", () => {
    const custom: CallToolResult = { content: [{ type: "text", text: "Hello, Ada" }], structuredContent: { greeting: "Hello, Ada" } }
    const result = withNotices(custom, { notices: [notice(1)], omitted: 0 })
    assert.deepStrictEqual(result.structuredContent, { greeting: "Hello, Ada", notices: [wireNotice(1)] })
    assert.strictEqual(result.content.length, 2)
    assert.deepStrictEqual(result.content[0], custom.content[0])
    assert.match((result.content[1] as { text: string }).text, /^Jobs that ended since your last call: /)
  })
})

describe("declareNotices", () => {
  const validator = new AjvJsonSchemaValidator()
  const validates = (tool: Tool, value: unknown) =>
    validator.getValidator(tool.outputSchema as Parameters<AjvJsonSchemaValidator["getValidator"]>[0])(value).valid

  it("declares notices in an output schema that allows no other fields, so that the result still validates", () => {
    // An application's own strict schema (ours leave additional properties open).
    const tool: Tool = {
      name: "greet",
      inputSchema: { type: "object" },
      outputSchema: { type: "object", properties: { greeting: { type: "string" } }, required: ["greeting"], additionalProperties: false }
    }
    const result = withNotices(McpTool.success({ greeting: "hi" }), { notices: [notice(1)], omitted: 2 })
    assert.isFalse(validates(tool, result.structuredContent), "undeclared, the notices make the result invalid")
    const declared = declareNotices(tool)
    assert.isTrue(validates(declared, result.structuredContent))
    assert.isTrue(validates(declared, { greeting: "hi" }), "and stay optional")
    assert.isFalse(validates(declared, { greeting: "hi", other: 1 }), "nothing else is let through")
  })

  it("declares them in each alternative of a union, and leaves a tool without an output schema as it is", () => {
    const union: Tool = {
      name: "u",
      inputSchema: { type: "object" },
      outputSchema: {
        type: "object",
        anyOf: [
          { type: "object", properties: { a: { type: "string" } }, required: ["a"], additionalProperties: false },
          { type: "object", properties: { b: { type: "number" } }, required: ["b"], additionalProperties: false }
        ]
      }
    }
    assert.isTrue(validates(declareNotices(union), { b: 1, notices: [wireNotice(1)] }))
    const bare: Tool = { name: "bare", inputSchema: { type: "object" } }
    assert.strictEqual(declareNotices(bare), bare)
  })
})
