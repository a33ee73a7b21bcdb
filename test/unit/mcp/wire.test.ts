/**
 * The wire contract: snake_case JSON derived from the domain schemas, decoded by the client to the values the
 * library returns and encoded back to the same JSON.
 */
import { assert, describe, it } from "@effect/vitest"
import * as Either from "effect/Either"
import * as Option from "effect/Option"
import * as Schema from "effect/Schema"
import * as Wire from "../../../src/mcp/wire.js"

const details = {
  job_id: "0f0e0d0c-0000-4000-8000-000000000000",
  status: "failed",
  command: "make test",
  started: "2026-12-04T10:00:00.000Z",
  ended: "2026-12-04T10:00:01.500Z",
  exit_code: 2,
  ports: { tcp: [{ address: "[::]:3000", port: 3000, url: "http://localhost:3000" }], udp: [] },
  signal: null,
  pid: 4242,
  cwd: "/app",
  duration_ms: 1500,
  timeout_s: 90,
  stdin: "pipe",
  stdin_open: false,
  ready: "any port",
  restart_policy: "on-failure",
  restarts: 1,
  runs: [{ pid: 4200, started: "2026-12-04T09:59:58.000Z", ended: "2026-12-04T09:59:59.000Z", exit_code: 1, signal: null }],
  stdout_bytes: 10,
  stderr_bytes: 3,
  dropped_stdout_bytes: 0,
  dropped_stderr_bytes: 0,
  retained_bytes: 13
}

describe("wire schemas", () => {
  it("decode a status answer to the library's JobDetails: names, times as Date, timeout in milliseconds", () => {
    const job = Schema.decodeUnknownSync(Wire.JobDetails)(details)
    assert.strictEqual(job.id, details.job_id)
    assert.strictEqual(job.startedAt.toISOString(), details.started)
    assert.strictEqual(job.endedAt?.getTime(), Date.parse(details.ended))
    assert.strictEqual(job.timeoutMs, 90_000)
    assert.strictEqual(job.exitCode, 2)
    assert.deepStrictEqual(Schema.encodeSync(Wire.JobDetails)(job), details)
  })

  it("keep, decoded and encoded again, the fields a newer server adds", () => {
    const fromNewerServer = { ...details, notices: [{ job_id: "x", status: "completed" }] }
    const options = { onExcessProperty: "preserve", propertyOrder: "original" } as const
    const job = Schema.decodeUnknownSync(Wire.JobDetails, options)(fromNewerServer)
    assert.deepStrictEqual(Schema.encodeSync(Wire.JobDetails, options)(job), fromNewerServer)
  })

  it("refuse a time that is not one, instead of an invalid Date", () => {
    const decoded = Schema.decodeUnknownEither(Wire.JobSummary)({ ...details, started: "yesterday" })
    assert.isTrue(Either.isLeft(decoded))
    if (Either.isLeft(decoded)) assert.include(String(decoded.left), "expected an ISO-8601 time")
  })

  it("encode a wait result's matched line as a string or null", () => {
    const base = {
      status: "running",
      exitCode: null,
      reason: "matched",
      stdout: "ready\n",
      stderr: "",
      cursor: "0f0e0d0c:6:0",
      truncated: false,
      droppedStdoutBytes: 0,
      droppedStderrBytes: 0,
      omittedBytes: 0,
      omittedLines: 0,
      omittedCursor: null,
      remainingBytes: 0
    } as const
    assert.strictEqual(Schema.encodeSync(Wire.WaitResult)({ ...base, matchedLine: Option.some("ready") }).matched_line, "ready")
    assert.strictEqual(Schema.encodeSync(Wire.WaitResult)({ ...base, matchedLine: Option.none() }).matched_line, null)
  })
})
