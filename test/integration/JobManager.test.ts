/**
 * The job runtime with real processes: every operation and status through the library API.
 */
import { assert, describe, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Option from "effect/Option"
import type { JobConfigInput } from "../../src/JobConfig.js"
import { JobManager } from "../../src/JobManager.js"
import { liveGroupMembers } from "../../src/internal/processTable.js"
import { markedSleepScoped } from "../support/markedSleep.js"
import { eventuallyEffect } from "../support/polling.js"
import { finished, liveJobs } from "../support/runtime.js"

const withJobs = <A, E, R>(effect: Effect.Effect<A, E, R>, config: JobConfigInput = {}) => effect.pipe(Effect.provide(liveJobs(config)))

describe("JobManager with real processes", () => {
  it.live("runs commands through the shell and captures both streams", () =>
    withJobs(Effect.gen(function*() {
      const jobs = yield* JobManager
      const job = yield* jobs.execute({ command: "echo a && echo b; echo err >&2; x=42; echo \"$x\"" })
      assert.strictEqual(job.status, "running")
      const result = yield* finished(job.id)
      assert.strictEqual(result.status, "completed")
      assert.strictEqual(result.exitCode, 0)
      assert.strictEqual(result.stdout, "a\nb\n42\n")
      assert.strictEqual(result.stderr, "err\n")
      const details = yield* jobs.status(job.id)
      assert.strictEqual(details.status, "completed")
      assert.isNotNull(details.endedAt)
      assert.strictEqual(details.stdoutBytes, 7)
      assert.strictEqual(details.stderrBytes, 4)
    })))

  it.live("a non-zero exit is failed with its exit code", () =>
    withJobs(Effect.gen(function*() {
      const jobs = yield* JobManager
      const job = yield* jobs.execute({ command: "echo before; exit 3" })
      const result = yield* finished(job.id)
      assert.strictEqual(result.status, "failed")
      assert.strictEqual(result.exitCode, 3)
      assert.strictEqual((yield* jobs.status(job.id)).exitCode, 3)
    })))

  it.live("a signal the server did not send is failed, with the signal named", () =>
    withJobs(Effect.gen(function*() {
      const jobs = yield* JobManager
      const job = yield* jobs.execute({ command: "kill -USR1 $$" })
      const result = yield* finished(job.id)
      assert.strictEqual(result.status, "failed")
      const details = yield* jobs.status(job.id)
      assert.strictEqual(details.signal, "SIGUSR1")
      assert.isNull(details.exitCode)
    })))

  it.scopedLive("kill stops a job that traps SIGTERM within grace + 1 s, as killed, and answers at once", () =>
    withJobs(Effect.gen(function*() {
      const jobs = yield* JobManager
      const { sleep, live } = yield* markedSleepScoped
      const job = yield* jobs.execute({ command: `trap 'echo got TERM' TERM; while true; do ${sleep} 0.1; done` })
      yield* eventuallyEffect(() => live() > 0)
      const before = Date.now()
      const answer = yield* jobs.kill(job.id)
      const answeredIn = Date.now() - before
      assert.strictEqual(answer, "killed")
      assert.isBelow(answeredIn, 500, "kill must not wait for the grace period")
      assert.strictEqual((yield* jobs.status(job.id)).status, "killed")
      const gone = yield* eventuallyEffect(() => liveGroupMembers(job.pid).length === 0 && live() === 0, 2_000 + 1_000)
      assert.isTrue(gone, "the job's processes are gone within grace + 1 s")
      const ended = yield* finished(job.id, "2 seconds")
      assert.strictEqual(ended.status, "killed", "killed stays killed whatever the process did")
      assert.strictEqual(yield* jobs.kill(job.id), "already_terminated")
    }), { killGrace: "1 second" }))

  it.scopedLive("kill with SIGKILL sends SIGKILL alone: the TERM trap never runs, the job is killed and gone", () =>
    withJobs(Effect.gen(function*() {
      const jobs = yield* JobManager
      const { sleep, live } = yield* markedSleepScoped
      const job = yield* jobs.execute({ command: `trap 'echo TERM-TRAP; exit 0' TERM; echo ready; while :; do ${sleep} 0.1; done` })
      const ready = yield* jobs.wait(job.id, { until: "^ready$", fromStart: true, timeout: "10 seconds" })
      assert.strictEqual(ready.reason, "matched")
      const before = Date.now()
      assert.strictEqual(yield* jobs.kill(job.id, { signal: "SIGKILL" }), "killed")
      const ended = yield* finished(job.id)
      assert.isBelow(Date.now() - before, 4_000, "SIGKILL needs no grace period (5 s here)")
      assert.deepInclude(ended, { status: "killed", reason: "exited", stdout: "ready\n" })
      assert.strictEqual((yield* jobs.status(job.id)).signal, "SIGKILL", "the shell died of SIGKILL, not of its trap's exit 0")
      const gone = yield* eventuallyEffect(() => liveGroupMembers(job.pid).length === 0 && live() === 0, 3_000)
      assert.isTrue(gone, "no process of the job is left")
    }), { killGrace: "5 seconds" }))

  it.scopedLive("kill leaves no background child behind", () =>
    withJobs(Effect.gen(function*() {
      const jobs = yield* JobManager
      const { sleep, sleepers, live } = yield* markedSleepScoped
      const job = yield* jobs.execute({ command: `${sleep} 300 & ${sleep} 300` })
      assert.isTrue(yield* eventuallyEffect(() => sleepers() === 2))
      assert.strictEqual(yield* jobs.kill(job.id), "killed")
      assert.isTrue(yield* eventuallyEffect(() => live() === 0, 3_000))
    })))

  it.live("an unknown id is JobNotFound; kill of an unknown id is not_found", () =>
    withJobs(Effect.gen(function*() {
      const jobs = yield* JobManager
      const error = yield* Effect.flip(jobs.status("no-such-job"))
      assert.strictEqual(error._tag, "JobNotFound")
      assert.match(error.message, /^Job no-such-job not found/)
      assert.strictEqual(yield* jobs.kill("no-such-job"), "not_found")
    })))

  it.live("a finished job frees its slot at once (max jobs 1)", () =>
    withJobs(Effect.gen(function*() {
      const jobs = yield* JobManager
      // cat runs until its stdin closes: the test decides when the first job ends.
      const first = yield* jobs.execute({ command: "cat" })
      const refused = yield* Effect.flip(jobs.execute({ command: "true" }))
      assert.strictEqual(refused._tag, "JobLimitReached")
      assert.match(refused.message, /1 jobs are running/)
      yield* jobs.interact(first.id, "", { eof: true })
      yield* finished(first.id)
      // No polling, no cleanup pass: the ended job no longer counts.
      const second = yield* jobs.execute({ command: "echo second" })
      assert.strictEqual((yield* finished(second.id)).stdout, "second\n")
      assert.strictEqual((yield* jobs.list).length, 2, "ended jobs stay listed until cleanup")
    }), { maxJobs: 1 }))

  it.live("a refused command, a bad cwd or the limit leave no job record behind", () =>
    withJobs(Effect.gen(function*() {
      const jobs = yield* JobManager
      const empty = yield* Effect.flip(jobs.execute({ command: "   " }))
      assert.strictEqual(empty._tag, "CommandRejected")
      assert.match(empty.message, /empty/)
      const refused = yield* Effect.flip(jobs.execute({ command: "rm -rf /tmp/nothing" }))
      assert.strictEqual(refused._tag, "CommandRejected")
      assert.match(refused.message, /MCP_BG_ALLOWED_COMMANDS/)
      const missing = yield* Effect.flip(jobs.execute({ command: "echo hi", cwd: "does/not/exist" }))
      assert.strictEqual(missing._tag, "InvalidArgument")
      assert.match(missing.message, /cwd.*does not exist/)
      assert.strictEqual((yield* jobs.list).length, 0)
      const ok = yield* jobs.execute({ command: "echo allowed" })
      assert.strictEqual((yield* finished(ok.id)).stdout, "allowed\n")
    }), { allowedCommands: ["^echo "] }))

  it.live("a spawn failure is a clear error that holds no slot", () =>
    withJobs(Effect.gen(function*() {
      const jobs = yield* JobManager
      const failed = yield* Effect.flip(jobs.execute({ command: "echo hi" }))
      assert.strictEqual(failed._tag, "SpawnFailed")
      assert.match(failed.message, /\/nonexistent-shell.*not found.*MCP_BG_SHELL/)
      assert.strictEqual((yield* jobs.list).length, 0)
      const again = yield* Effect.flip(jobs.execute({ command: "echo hi" }))
      assert.strictEqual(again._tag, "SpawnFailed", "not JobLimitReached: the failed start held no slot")
    }), { shell: "/nonexistent-shell", maxJobs: 1 }))

  it.live("runs in the working directory and a relative cwd, with added env", () =>
    withJobs(Effect.gen(function*() {
      const jobs = yield* JobManager
      const job = yield* jobs.execute({ command: "pwd; echo \"$GREETING\"", cwd: "src", env: { GREETING: "hello" } })
      const result = yield* finished(job.id)
      assert.strictEqual(result.stdout, `${process.cwd()}/src\nhello\n`)
    })))

  it.live("tail returns the last lines of each stream; lines outside 1-1000 are refused", () =>
    withJobs(Effect.gen(function*() {
      const jobs = yield* JobManager
      const job = yield* jobs.execute({ command: "seq 1 100; seq 1 5 >&2" })
      yield* finished(job.id)
      const tail = yield* jobs.tail(job.id, 3)
      assert.strictEqual(tail.stdout, "98\n99\n100\n")
      assert.strictEqual(tail.stderr, "3\n4\n5\n")
      for (const lines of [0, 1001, 2.5]) {
        const error = yield* Effect.flip(jobs.tail(job.id, lines))
        assert.strictEqual(error._tag, "InvalidArgument")
        assert.match(error.message, /1 to 1000/)
      }
    })))

  it.live("seq 1 300000 keeps the newest lines within the cap and reports what was dropped", () =>
    withJobs(Effect.gen(function*() {
      const jobs = yield* JobManager
      const job = yield* jobs.execute({ command: "seq 1 300000" })
      yield* finished(job.id, "20 seconds")
      // A budget as large as the cap: everything retained in one result.
      const output = yield* jobs.output(job.id, { maxBytes: 64 * 1024 })
      assert.isFalse(output.omittedBytes > 0)
      assert.isAtMost(Buffer.byteLength(output.stdout), 64 * 1024)
      assert.isTrue(output.stdout.endsWith("299999\n300000\n"))
      const total = (yield* jobs.status(job.id)).stdoutBytes
      assert.strictEqual(output.droppedStdoutBytes + Buffer.byteLength(output.stdout), total)
      // The kept part is a run of whole consecutive numbers after the first cut line.
      const lines = output.stdout.split("\n").slice(1, -1).map(Number)
      lines.forEach((n, i) => i > 0 && assert.strictEqual(n, lines[i - 1]! + 1))
    }), { maxOutputSize: 64 * 1024 }))

  it.live("interact drives a REPL and catches a slow reply", () =>
    withJobs(Effect.gen(function*() {
      const jobs = yield* JobManager
      const repl = yield* jobs.execute({ command: "node -i" })
      const answer = yield* jobs.interact(repl.id, "6 * 7", { until: /42/ })
      assert.match(answer.stdout, /42/)
      assert.strictEqual(answer.reason, "matched")
      const slow = yield* jobs.interact(repl.id, "await new Promise((r) => setTimeout(() => r('late answer'), 300))")
      assert.match(slow.stdout, /late answer/)
      assert.notMatch(slow.stdout, /42/, "the reply holds only output that arrived after the write")
      const bye = yield* jobs.interact(repl.id, ".exit", { timeout: "5 seconds" })
      assert.strictEqual(bye.reason, "exited")
      const late = yield* Effect.flip(jobs.interact(repl.id, "1"))
      assert.strictEqual(late._tag, "JobNotRunning")
      assert.match(late.message, /not running/)
    })))

  it.live("interact with cat returns the echo of the input in order", () =>
    withJobs(Effect.gen(function*() {
      const jobs = yield* JobManager
      const cat = yield* jobs.execute({ command: "cat" })
      for (const word of ["one", "two", "three"]) {
        const reply = yield* jobs.interact(cat.id, word, { until: new RegExp(`^${word}$`) })
        assert.strictEqual(reply.stdout, `${word}\n`)
      }
      const last = yield* jobs.interact(cat.id, "end", { eof: true })
      assert.strictEqual(last.stdout, "end\n")
      assert.strictEqual((yield* finished(cat.id)).status, "completed")
    })))

  it.scopedLive("a job over its time limit ends as timed_out and its processes are gone", () =>
    withJobs(Effect.gen(function*() {
      const jobs = yield* JobManager
      const { sleep, live } = yield* markedSleepScoped
      const job = yield* jobs.execute({ command: `${sleep} 300`, timeout: "300 millis" })
      const result = yield* finished(job.id)
      assert.strictEqual(result.status, "timed_out")
      assert.isTrue(yield* eventuallyEffect(() => live() === 0, 3_000))
      const noLimit = yield* jobs.execute({ command: "echo fine", timeout: null })
      assert.strictEqual((yield* finished(noLimit.id)).status, "completed")
    }), { jobTimeout: "10 seconds" }))

  it.live("the default job timeout applies", () =>
    withJobs(Effect.gen(function*() {
      const jobs = yield* JobManager
      const job = yield* jobs.execute({ command: "sleep 30" })
      assert.strictEqual((yield* finished(job.id)).status, "timed_out")
      assert.strictEqual((yield* jobs.status(job.id)).timeoutMs, 200)
    }), { jobTimeout: "200 millis" }))

  it.live("ended jobs are removed after the cleanup interval", () =>
    withJobs(Effect.gen(function*() {
      const jobs = yield* JobManager
      const job = yield* jobs.execute({ command: "echo bye" })
      yield* finished(job.id)
      const removed = yield* eventuallyEffect(Effect.map(Effect.either(jobs.status(job.id)), Either.isLeft), 5_000)
      assert.isTrue(removed)
      assert.strictEqual((yield* jobs.list).length, 0)
    }), { cleanupInterval: "300 millis" }))

  it.live("binary and invalid UTF-8 output is kept and decoded with replacement characters", () =>
    withJobs(Effect.gen(function*() {
      const jobs = yield* JobManager
      const job = yield* jobs.execute({ command: "printf 'a\\377\\376b\\n'; head -c 1000 /dev/urandom; printf '\\nend\\n'" })
      const result = yield* finished(job.id)
      assert.strictEqual(result.status, "completed")
      assert.isTrue(result.stdout.startsWith("a\uFFFD\uFFFDb\n"))
      assert.isTrue(result.stdout.endsWith("\nend\n"))
      assert.isAtLeast((yield* jobs.status(job.id)).stdoutBytes, 1000)
    })))

  it.scopedLive("a job ends when its shell ends, even if a background child holds the pipe", () =>
    withJobs(Effect.gen(function*() {
      const jobs = yield* JobManager
      const { sleep, live } = yield* markedSleepScoped
      const job = yield* jobs.execute({ command: `${sleep} 60 & echo hi` })
      const result = yield* finished(job.id, "5 seconds")
      assert.strictEqual(result.status, "completed")
      // Measured by the job's own clock (start of spawn to the decided end), not the test's.
      assert.isBelow((yield* jobs.status(job.id)).durationMs, 1_000)
      assert.strictEqual(result.stdout, "hi\n")
      assert.isTrue(yield* eventuallyEffect(() => live() === 0, 3_000), "the leftover child is swept")
    })))

  it.live("list shows jobs newest first; wait on a running job times out", () =>
    withJobs(Effect.gen(function*() {
      const jobs = yield* JobManager
      const a = yield* jobs.execute({ command: "sleep 5" })
      const b = yield* jobs.execute({ command: "sleep 5" })
      const listed = yield* jobs.list
      assert.deepStrictEqual(listed.map((j) => j.id), [b.id, a.id])
      const waited = yield* jobs.wait(a.id, { timeout: "100 millis" })
      assert.strictEqual(waited.reason, "timeout")
      assert.strictEqual(waited.status, "running")
      assert.isTrue(Option.isNone(waited.matchedLine))
    })))
})

describe("JobManager shutdown", () => {
  it.scopedLive("closing the layer stops every job, TERM-ignoring ones with SIGKILL after the grace", () =>
    Effect.gen(function*() {
      const { sleep, sleepers, live } = yield* markedSleepScoped
      yield* withJobs(Effect.gen(function*() {
        const jobs = yield* JobManager
        yield* jobs.execute({ command: `${sleep} 300` })
        yield* jobs.execute({ command: `trap '' TERM; ${sleep} 300 & ${sleep} 300` })
        assert.isTrue(yield* eventuallyEffect(() => sleepers() === 3))
      }))
      // The layer's scope closed after the TERM -> grace -> KILL sequence.
      assert.strictEqual(live(), 0)
    }))
})
