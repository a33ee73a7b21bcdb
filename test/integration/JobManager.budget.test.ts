/**
 * The result budget through the library API with real processes: the configured `maxResultSize` bounds every
 * read (output, wait, interact, tail, transcript), a call's `maxBytes` overrides it, cursor pages reassemble
 * the output exactly, and a budget out of range is refused at start or per call.
 */
import { assert, describe, it } from "@effect/vitest"
import * as ConfigError from "effect/ConfigError"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import { JobManager } from "../../src/JobManager.js"
import { startCursor } from "../../src/mcp/wire.js"
import { nodeScript } from "../support/agentHarness.js"
import { assertHeadAndTail, seqText, textCost } from "../support/resultBudget.js"
import { finished, liveJobs } from "../support/runtime.js"

const BUDGET = 4096

const withJobs = <A, E, R>(effect: Effect.Effect<A, E, R>) => effect.pipe(Effect.provide(liveJobs({ maxResultSize: BUDGET })))

describe("JobManager result budget with real processes", () => {
  it.live("maxResultSize bounds output, wait, tail and transcript; maxBytes overrides it per call", () =>
    withJobs(Effect.gen(function*() {
      const jobs = yield* JobManager
      assert.strictEqual(jobs.maxResultSize, BUDGET)
      const expected = seqText(1, 100_000)
      const job = yield* jobs.execute({ command: "seq 1 100000; echo done >&2" })
      const waited = yield* finished(job.id, "20 seconds")
      assert.strictEqual(waited.status, "completed")
      assert.isAtMost(textCost(waited.stdout) + textCost(waited.stderr), BUDGET)
      assert.strictEqual(waited.stderr, "done\n")
      assert.isTrue(waited.stdout.startsWith("1\n2\n") && waited.stdout.endsWith("\n100000\n"))
      assert.strictEqual(assertHeadAndTail("wait", waited.stdout, expected).bytes, waited.omittedBytes)

      const summary = yield* jobs.output(job.id)
      assert.isAtMost(textCost(summary.stdout) + textCost(summary.stderr), BUDGET)
      const parts = assertHeadAndTail("output", summary.stdout, expected)
      assert.strictEqual(summary.omittedCursor, parts.cursor)
      assert.isTrue(summary.truncated)
      assert.strictEqual(summary.remainingBytes, 0)

      const tail = yield* jobs.tail(job.id, 1000)
      assert.isAtMost(textCost(tail.stdout) + textCost(tail.stderr), BUDGET)
      assert.isTrue(tail.truncated)
      // The newest whole lines: the text before them ends a line.
      assert.isTrue(expected.endsWith(tail.stdout))
      assert.strictEqual(expected[expected.length - tail.stdout.length - 1], "\n")
      assert.strictEqual(tail.stderr, "done\n")

      const transcript = yield* jobs.transcript(job.id)
      assert.isAtMost(textCost(transcript), BUDGET)
      assertHeadAndTail("transcript", transcript, expected + "done\n")

      const wider = yield* jobs.output(job.id, { maxBytes: 3 * BUDGET })
      assert.isAbove(Buffer.byteLength(wider.stdout), 2 * BUDGET)
      assert.isAtMost(textCost(wider.stdout) + textCost(wider.stderr), 3 * BUDGET)
      for (const maxBytes of [0, 1024 * 1024 + 1]) {
        const refused = yield* Effect.flip(jobs.output(job.id, { maxBytes }))
        assert.strictEqual(refused._tag, "InvalidArgument")
        assert.match(refused.message, /max_bytes/)
      }
    })))

  it.live("cursor pages reassemble the output exactly, each within the budget", () =>
    withJobs(Effect.gen(function*() {
      const jobs = yield* JobManager
      const job = yield* jobs.execute({ command: "seq 1 100000; seq 1 2000 >&2" })
      yield* finished(job.id, "20 seconds")
      let cursor = startCursor(job.id)
      let stdout = ""
      let stderr = ""
      let pages = 0
      while (true) {
        const page = yield* jobs.output(job.id, { cursor })
        pages++
        assert.isAtMost(textCost(page.stdout) + textCost(page.stderr), BUDGET)
        stdout += page.stdout
        stderr += page.stderr
        if (page.remainingBytes === 0) break
        assert.notStrictEqual(page.cursor, cursor, "every page moves on")
        cursor = page.cursor
      }
      assert.isTrue(stdout === seqText(1, 100_000), "stdout reassembled exactly")
      assert.isTrue(stderr === seqText(1, 2000), "stderr reassembled exactly")
      assert.isAtLeast(pages, Math.ceil((stdout.length + stderr.length) / BUDGET))
      assert.isAtMost(pages, Math.ceil((stdout.length + stderr.length) / (BUDGET - 16)))
    })))

  it.live("interact returns the head and the tail of a reply larger than the budget", () =>
    withJobs(Effect.gen(function*() {
      const jobs = yield* JobManager
      const job = yield* jobs.execute({
        command: nodeScript(
          "process.stdin.once('data', () => { const lines = []; for (let n = 1; n <= 50000; n++) lines.push(n + '\\n'); process.stdout.write(lines.join('')) }); setInterval(() => {}, 1000)"
        )
      })
      const reply = yield* jobs.interact(job.id, "go", { until: "^50000$", timeout: "20 seconds" })
      assert.strictEqual(reply.reason, "matched")
      assert.isAtMost(textCost(reply.stdout) + textCost(reply.stderr), BUDGET)
      assertHeadAndTail("interact", reply.stdout, seqText(1, 50_000))
      yield* jobs.kill(job.id, { signal: "SIGKILL" })
      yield* finished(job.id)
    })))

  it.effect("a maxResultSize outside 1 KiB to 1 MiB stops the runtime at start, naming the variable", () =>
    Effect.gen(function*() {
      for (const maxResultSize of [100, 2 * 1024 * 1024]) {
        const error = yield* Effect.flip(Layer.build(liveJobs({ maxResultSize })).pipe(Effect.scoped))
        assert.isTrue(ConfigError.isConfigError(error), String(maxResultSize))
        assert.match(String(error), /MCP_BG_MAX_RESULT_SIZE/)
        assert.match(String(error), /from 1KB to 1MB/)
      }
    }))
})
