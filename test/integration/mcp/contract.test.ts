/**
 * The MCP tool contract through the SDK Client, in memory: schemas, annotations, results, errors.
 */
import { assert, describe, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import { callToolEffect, callToolErrorEffect, connectedClient, toolResultEffect } from "../../support/mcpClient.js"

const uuid = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/
const isoTime = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/

describe("MCP tool contract", () => {
  it.scopedLive("lists the tools with object input schemas, descriptions and annotations", () =>
    Effect.gen(function*() {
      const client = yield* connectedClient()
      const { tools } = yield* Effect.promise(() => client.listTools())
      const names = tools.map((t) => t.name)
      for (const name of ["execute", "list", "status", "output", "tail", "interact", "kill", "wait"]) {
        assert.include(names, name)
      }
      for (const tool of tools) {
        assert.strictEqual(tool.inputSchema.type, "object", tool.name)
        assert.isUndefined((tool.inputSchema as Record<string, unknown>)["$ref"], `${tool.name} has no top-level $ref`)
        assert.isAbove(tool.description?.length ?? 0, 40, tool.name)
        for (const [arg, schema] of Object.entries(tool.inputSchema.properties ?? {})) {
          assert.isString((schema as { description?: string }).description, `${tool.name}.${arg} has a description`)
        }
      }
      const byName = new Map(tools.map((t) => [t.name, t]))
      for (const reader of ["list", "status", "output", "tail"]) {
        assert.strictEqual(byName.get(reader)?.annotations?.readOnlyHint, true, reader)
      }
      for (const writer of ["execute", "kill", "interact"]) {
        assert.strictEqual(byName.get(writer)?.annotations?.destructiveHint, true, writer)
      }
      assert.deepStrictEqual(byName.get("execute")?.inputSchema.required, ["command"])
      assert.deepStrictEqual(byName.get("tail")?.inputSchema.required, ["job_id"])
    }))

  it.scopedLive("execute, status, list, output and tail give the documented fields", () =>
    Effect.gen(function*() {
      const client = yield* connectedClient()
      const started = yield* callToolEffect(client, "execute", { command: "echo a && echo b; echo oops >&2; exit 3" })
      assert.match(String(started["job_id"]), uuid)
      assert.match(String(started["started"]), isoTime)
      const id = started["job_id"]
      const waited = yield* callToolEffect(client, "wait", { job_id: id, timeout_s: 10 })
      assert.strictEqual(waited["reason"], "exited")
      const status = yield* callToolEffect(client, "status", { job_id: id })
      assert.strictEqual(status["status"], "failed")
      assert.strictEqual(status["exit_code"], 3)
      assert.strictEqual(status["signal"], null)
      assert.match(String(status["ended"]), isoTime)
      assert.isNumber(status["duration_ms"])
      assert.isNumber(status["pid"])
      assert.strictEqual(status["stdout_bytes"], 4)
      assert.strictEqual(status["stderr_bytes"], 5)
      const listed = yield* callToolEffect<{ jobs: Array<Record<string, unknown>> }>(client, "list")
      assert.deepStrictEqual(Object.keys(listed.jobs[0]!).sort(), ["command", "ended", "exit_code", "job_id", "ports", "started", "status"])
      assert.strictEqual(listed.jobs[0]!["exit_code"], 3)
      const output = yield* callToolEffect(client, "output", { job_id: id })
      assert.strictEqual(output["stdout"], "a\nb\n")
      assert.strictEqual(output["stderr"], "oops\n")
      assert.strictEqual(output["truncated"], false)
      const tail = yield* callToolEffect(client, "tail", { job_id: id, lines: 1 })
      assert.strictEqual(tail["stdout"], "b\n")
      assert.strictEqual(tail["stderr"], "oops\n")
    }))

  it.scopedLive("results carry the same JSON as text", () =>
    Effect.gen(function*() {
      const client = yield* connectedClient()
      const result = yield* toolResultEffect(client, "list")
      const first = result.content[0]
      assert.strictEqual(first?.type, "text")
      assert.deepStrictEqual(JSON.parse(first?.type === "text" ? first.text : "null"), result.structuredContent)
    }))

  it.scopedLive("execute with wait_ms returns the finished job's status, exit code and output at once", () =>
    Effect.gen(function*() {
      const client = yield* connectedClient()
      const result = yield* callToolEffect(client, "execute", { command: "echo done", wait_ms: 5000 })
      assert.strictEqual(result["status"], "completed")
      assert.strictEqual(result["exit_code"], 0)
      assert.strictEqual(result["stdout"], "done\n")
      assert.strictEqual(result["stderr"], "")
    }))

  it.scopedLive("interact returns the output after the write; kill answers killed, then already_terminated", () =>
    Effect.gen(function*() {
      const client = yield* connectedClient()
      const { job_id } = yield* callToolEffect<{ job_id: string }>(client, "execute", { command: "while read line; do echo \"got $line\"; done" })
      const reply = yield* callToolEffect(client, "interact", { job_id, input: "ping" })
      assert.strictEqual(reply["stdout"], "got ping\n")
      assert.strictEqual(reply["status"], "running")
      assert.deepStrictEqual(yield* callToolEffect(client, "kill", { job_id }), { status: "killed" })
      const ended = yield* callToolEffect(client, "wait", { job_id, timeout_s: 5 })
      assert.strictEqual(ended["status"], "killed")
      assert.deepStrictEqual(yield* callToolEffect(client, "kill", { job_id }), { status: "already_terminated" })
      assert.deepStrictEqual(yield* callToolEffect(client, "kill", { job_id: "nope" }), { status: "not_found" })
    }))

  it.scopedLive("every failure an agent can cause is a tool error with a sentence", () =>
    Effect.gen(function*() {
      const client = yield* connectedClient({ maxJobs: 1, allowedCommands: ["^(echo|sleep|cat) "] })
      assert.match(yield* callToolErrorEffect(client, "execute", { command: "" }), /empty/)
      assert.match(yield* callToolErrorEffect(client, "execute", { command: "rm -rf /" }), /matches none of the allowed patterns \(MCP_BG_ALLOWED_COMMANDS/)
      assert.match(yield* callToolErrorEffect(client, "execute", { command: "echo x", cwd: "/no/such/dir" }), /cwd.*does not exist/)
      assert.match(yield* callToolErrorEffect(client, "status", { job_id: "missing" }), /^Job missing not found/)
      assert.match(yield* callToolErrorEffect(client, "output", { job_id: "missing" }), /^Job missing not found/)
      assert.match(yield* callToolErrorEffect(client, "tail", { job_id: "missing", lines: 5 }), /^Job missing not found/)
      assert.match(yield* callToolErrorEffect(client, "tail", { job_id: "x", lines: 0 }), /lines: expected lines from 1 to 1000, got 0/)
      assert.match(yield* callToolErrorEffect(client, "tail", { job_id: "x", lines: 1001 }), /1 to 1000/)
      assert.match(yield* callToolErrorEffect(client, "status", { job_id: 42 }), /job_id: Expected string, actual 42/)
      const { job_id } = yield* callToolEffect<{ job_id: string }>(client, "execute", { command: "sleep 30" })
      assert.match(yield* callToolErrorEffect(client, "execute", { command: "echo second" }), /Job limit reached/)
      const { jobs } = yield* callToolEffect<{ jobs: Array<unknown> }>(client, "list")
      assert.strictEqual(jobs.length, 1, "refused executions leave no record")
      yield* callToolEffect(client, "kill", { job_id })
      yield* callToolEffect(client, "wait", { job_id, timeout_s: 5 })
      assert.match(yield* callToolErrorEffect(client, "interact", { job_id, input: "x" }), /is not running \(status: killed\)/)
    }))

  it.scopedLive("an unknown tool is a protocol error", () =>
    Effect.gen(function*() {
      const client = yield* connectedClient()
      const error = yield* Effect.promise(() => client.callTool({ name: "nope", arguments: {} }).then(() => "no error", String))
      assert.match(error, /Unknown tool "nope"/)
    }))
})
