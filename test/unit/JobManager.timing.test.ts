/**
 * The runtime's time-based behaviour, on scripted processes and the virtual clock: job timeouts, the kill
 * grace period, the sweep of what a shell leaves behind, the cleanup interval, `wait` bounds, `interact`
 * idle window and timeout, `restart`, shutdown, and the event buffer of a slow subscriber. Each test takes
 * milliseconds of real time however many minutes it covers.
 */
import { assert, describe, it } from "@effect/vitest"
import * as Chunk from "effect/Chunk"
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Fiber from "effect/Fiber"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import * as Queue from "effect/Queue"
import * as Scope from "effect/Scope"
import * as Stream from "effect/Stream"
import { JobManager } from "../../src/JobManager.js"
import { Script, TestSpawner, VirtualTime } from "../../src/testing/index.js"

const scripts = [
  Script.on("server", [Script.stdout("listening\n"), Script.hang]),
  Script.on("stubborn", [Script.stdout("up\n"), Script.hang], { signals: { SIGTERM: "ignore" } }),
  Script.on("slow-stop", [Script.hang], {
    signals: { SIGTERM: [Script.stdout("draining\n"), Script.exit(0, { after: "8 seconds" })] }
  }),
  Script.on("quick", [Script.stdout("done\n", { after: "1 second" }), Script.exit(0)]),
  Script.on("daemonize", [Script.spawnChild({ ignoresSigterm: true }), Script.exit(0, { after: "1 second" })]),
  Script.on("boot", [
    Script.stdout("booting\n"),
    Script.stdout("ready on :3000\n", { after: "20 seconds" }),
    Script.exit(0, { after: "40 seconds" })
  ]),
  Script.on("repl", [
    Script.readLines((line) => [Script.stdout(`${line.toUpperCase()}\n> `, { after: "100 millis" })])
  ]),
  Script.on("chatty", [Script.readLine(() => [Script.repeat([Script.stdout("tick\n", { after: "300 millis" })])])]),
  Script.on("deaf", [Script.hang]),
  Script.on("flood", [Script.repeat([Script.stdout("line\n")], { times: 2000 }), Script.exit(0)])
]

const config = { killGrace: "5 seconds", cleanupInterval: "5 minutes", jobTimeout: "10 minutes" } as const

const withJobs = <A, E>(effect: Effect.Effect<A, E, JobManager | TestSpawner | Scope.Scope>) =>
  effect.pipe(Effect.scoped, Effect.provide(TestSpawner.layerJobManager(scripts, config)))

const running = <A>(fiber: Fiber.Fiber<A, unknown>) => Effect.map(Fiber.poll(fiber), Option.isNone)

describe("job time limit", () => {
  it.effect("stops a job at the configured 10-minute timeout, as timed_out", () =>
    withJobs(Effect.gen(function*() {
      const jobs = yield* JobManager
      const job = yield* jobs.execute({ command: "server" })
      assert.strictEqual(job.timeoutMs, 600_000)

      yield* VirtualTime.adjust("599999 millis")
      assert.strictEqual((yield* jobs.status(job.id)).status, "running")
      yield* VirtualTime.adjust("1 milli")

      const ended = yield* jobs.status(job.id)
      assert.strictEqual(ended.status, "timed_out")
      assert.strictEqual(ended.signal, "SIGTERM")
      assert.strictEqual(ended.endedAt?.getTime(), 600_000)
      assert.strictEqual(ended.durationMs, 600_000)
      assert.deepStrictEqual((yield* (yield* TestSpawner).process("server")).signals, [{ signal: "SIGTERM", at: 600_000 }])
    })))

  it.effect("takes a per-job timeout of 5 minutes over the default, and none when told", () =>
    withJobs(Effect.gen(function*() {
      const jobs = yield* JobManager
      const short = yield* jobs.execute({ command: "server", timeout: "5 minutes" })
      const unlimited = yield* jobs.execute({ command: "server", timeout: null })
      yield* VirtualTime.adjust("5 minutes")
      assert.strictEqual((yield* jobs.status(short.id)).status, "timed_out")
      yield* VirtualTime.adjust("1 hour")
      assert.strictEqual((yield* jobs.status(unlimited.id)).status, "running")
    })))

  it.effect("escalates to SIGKILL when a timed-out job outlives the grace period", () =>
    withJobs(Effect.gen(function*() {
      const jobs = yield* JobManager
      const job = yield* jobs.execute({ command: "slow-stop", timeout: "1 minute" })
      yield* VirtualTime.adjust("1 minute")
      assert.strictEqual((yield* jobs.status(job.id)).status, "timed_out", "final as soon as it is decided")
      yield* VirtualTime.adjust("5 seconds")
      const record = yield* (yield* TestSpawner).process("slow-stop")
      assert.deepStrictEqual(record.signals, [{ signal: "SIGTERM", at: 60_000 }, { signal: "SIGKILL", at: 65_000 }])
      const ended = yield* jobs.status(job.id)
      assert.strictEqual(ended.status, "timed_out")
      assert.strictEqual(ended.signal, "SIGKILL")
      assert.strictEqual((yield* jobs.output(job.id)).stdout, "draining\n")
    })))
})

describe("kill", () => {
  it.effect("sends SIGTERM, then SIGKILL exactly when the grace period ends", () =>
    withJobs(Effect.gen(function*() {
      const jobs = yield* JobManager
      const job = yield* jobs.execute({ command: "stubborn" })
      yield* VirtualTime.adjust("30 seconds")
      assert.strictEqual(yield* jobs.kill(job.id), "killed")
      assert.strictEqual((yield* jobs.status(job.id)).status, "killed", "final at once")

      yield* VirtualTime.adjust("4999 millis")
      const spawner = yield* TestSpawner
      assert.deepStrictEqual((yield* spawner.process("stubborn")).signals, [{ signal: "SIGTERM", at: 30_000 }])
      yield* VirtualTime.adjust("1 milli")
      const record = yield* spawner.process("stubborn")
      assert.deepStrictEqual(record.signals.map((s) => [s.signal, s.at]), [["SIGTERM", 30_000], ["SIGKILL", 35_000]])
      assert.deepStrictEqual(record.exit, { code: null, signal: "SIGKILL" })
      assert.strictEqual((yield* jobs.status(job.id)).status, "killed")
      assert.strictEqual(yield* jobs.kill(job.id), "already_terminated")
    })))

  it.effect("does not escalate when the job stops within the grace period", () =>
    withJobs(Effect.gen(function*() {
      const jobs = yield* JobManager
      const job = yield* jobs.execute({ command: "server" })
      yield* jobs.kill(job.id)
      yield* VirtualTime.adjust("1 minute")
      assert.deepStrictEqual((yield* (yield* TestSpawner).process("server")).signals, [{ signal: "SIGTERM", at: 0 }])
      assert.strictEqual((yield* jobs.status(job.id)).status, "killed")
    })))

  it.effect("sends a named signal once, without escalation", () =>
    withJobs(Effect.gen(function*() {
      const jobs = yield* JobManager
      const job = yield* jobs.execute({ command: "stubborn" })
      assert.strictEqual(yield* jobs.kill(job.id, { signal: "SIGTERM" }), "signalled")
      yield* VirtualTime.adjust("1 minute")
      assert.strictEqual((yield* jobs.status(job.id)).status, "running")
      assert.deepStrictEqual((yield* (yield* TestSpawner).process("stubborn")).signals, [{ signal: "SIGTERM", at: 0 }])
    })))

  it.effect("SIGKILL is sent alone, once: no SIGTERM first, so no TERM handler runs; the job is killed", () =>
    withJobs(Effect.gen(function*() {
      const jobs = yield* JobManager
      const job = yield* jobs.execute({ command: "slow-stop" })
      yield* VirtualTime.adjust("2 seconds")
      assert.strictEqual(yield* jobs.kill(job.id, { signal: "SIGKILL" }), "killed")
      assert.strictEqual((yield* jobs.status(job.id)).status, "killed", "final at once")
      yield* VirtualTime.adjust("1 minute")
      const record = yield* (yield* TestSpawner).process("slow-stop")
      assert.deepStrictEqual(record.signals, [{ signal: "SIGKILL", at: 2_000 }])
      assert.deepStrictEqual(record.exit, { code: null, signal: "SIGKILL" })
      const ended = yield* jobs.wait(job.id, { fromStart: true, timeout: "1 second" })
      assert.deepInclude(ended, { status: "killed", reason: "exited", stdout: "" })
      assert.strictEqual(yield* jobs.kill(job.id, { signal: "SIGKILL" }), "already_terminated")
    })))

  it.effect("sweeps a child the shell left in its group: SIGTERM, then SIGKILL after the grace period", () =>
    withJobs(Effect.gen(function*() {
      const jobs = yield* JobManager
      const job = yield* jobs.execute({ command: "daemonize" })
      yield* VirtualTime.adjust("1 second")
      assert.strictEqual((yield* jobs.status(job.id)).status, "completed")
      const spawner = yield* TestSpawner
      assert.strictEqual((yield* spawner.process("daemonize")).liveChildren, 1)
      yield* VirtualTime.adjust("5 seconds")
      const record = yield* spawner.process("daemonize")
      assert.deepStrictEqual(record.signals, [{ signal: "SIGTERM", at: 1_000 }, { signal: "SIGKILL", at: 6_000 }])
      assert.strictEqual(record.liveChildren, 0)
      assert.strictEqual((yield* jobs.status(job.id)).status, "completed", "the sweep does not change the status")
    })))
})

describe("cleanup interval", () => {
  it.effect("keeps an ended job readable for exactly the cleanup interval, then removes it", () =>
    withJobs(Effect.gen(function*() {
      const jobs = yield* JobManager
      const events = yield* jobs.subscribe
      const job = yield* jobs.execute({ command: "quick" })
      yield* VirtualTime.adjust("1 second")
      assert.strictEqual((yield* jobs.status(job.id)).endedAt?.getTime(), 1_000)

      yield* VirtualTime.adjust("299999 millis")
      assert.strictEqual((yield* jobs.output(job.id)).stdout, "done\n")
      yield* VirtualTime.adjust("1 milli")

      const error = yield* Effect.flip(jobs.status(job.id))
      assert.strictEqual(error._tag, "JobNotFound")
      assert.deepStrictEqual(yield* jobs.list, [])
      const tags = Chunk.toReadonlyArray(yield* Queue.takeAll(events)).map((event) => event._tag)
      assert.deepStrictEqual(tags, ["Started", "Output", "Exited", "Removed"])
    })))

  it.effect("frees the job's slot at once when it ends, before it is removed", () =>
    Effect.gen(function*() {
      const jobs = yield* JobManager
      yield* jobs.execute({ command: "quick" })
      const refused = yield* Effect.flip(jobs.execute({ command: "quick" }))
      assert.strictEqual(refused._tag, "JobLimitReached")
      yield* VirtualTime.adjust("1 second")
      yield* jobs.execute({ command: "quick" })
      assert.strictEqual((yield* jobs.list).length, 2)
    }).pipe(Effect.scoped, Effect.provide(TestSpawner.layerJobManager(scripts, { ...config, maxJobs: 1 }))))
})

describe("wait", () => {
  it.effect("returns at its timeout, when the pattern appears, and when the job exits", () =>
    withJobs(Effect.gen(function*() {
      const jobs = yield* JobManager
      const job = yield* jobs.execute({ command: "boot" })

      const bounded = yield* Effect.fork(jobs.wait(job.id, { timeout: "10 seconds", fromStart: true }))
      yield* VirtualTime.adjust("9999 millis")
      assert.isTrue(yield* running(bounded))
      yield* VirtualTime.adjust("1 milli")
      const timedOut = yield* Fiber.join(bounded)
      assert.strictEqual(timedOut.reason, "timeout")
      assert.strictEqual(timedOut.stdout, "booting\n")

      const ready = yield* Effect.fork(jobs.wait(job.id, { until: "ready on", timeout: "1 minute", cursor: timedOut.cursor }))
      yield* VirtualTime.adjust("10 seconds")
      const matched = yield* Fiber.join(ready)
      assert.strictEqual(matched.reason, "matched")
      assert.deepStrictEqual(matched.matchedLine, Option.some("ready on :3000"))

      const exited = yield* Effect.fork(jobs.wait(job.id, { timeout: "1 minute" }))
      yield* VirtualTime.adjust("39999 millis")
      assert.isTrue(yield* running(exited), "the job exits at 60 s")
      yield* VirtualTime.adjust("1 milli")
      const result = yield* Fiber.join(exited)
      assert.strictEqual(result.reason, "exited")
      assert.strictEqual(result.status, "completed")
    })))
})

describe("interact", () => {
  it.effect("returns the reply once the job has been quiet for the idle window (500 ms)", () =>
    withJobs(Effect.gen(function*() {
      const jobs = yield* JobManager
      const job = yield* jobs.execute({ command: "repl" })
      const reply = yield* Effect.fork(jobs.interact(job.id, "hello"))
      yield* VirtualTime.adjust("599 millis")
      assert.isTrue(yield* running(reply), "the reply came at 100 ms; quiet until 600 ms")
      yield* VirtualTime.adjust("1 milli")
      const result = yield* Fiber.join(reply)
      assert.strictEqual(result.reason, "idle")
      assert.strictEqual(result.stdout, "HELLO\n> ")
      assert.deepStrictEqual((yield* (yield* TestSpawner).process("repl")).linesRead, ["hello"])
    })))

  it.effect("returns at its timeout when the job never goes quiet, or on a match", () =>
    withJobs(Effect.gen(function*() {
      const jobs = yield* JobManager
      const job = yield* jobs.execute({ command: "chatty" })
      const reply = yield* Effect.fork(jobs.interact(job.id, "go", { timeout: "2 seconds" }))
      yield* VirtualTime.adjust("1999 millis")
      assert.isTrue(yield* running(reply))
      yield* VirtualTime.adjust("1 milli")
      const result = yield* Fiber.join(reply)
      assert.strictEqual(result.reason, "timeout")
      assert.strictEqual(result.stdout, "tick\n".repeat(6), "ticks at 300, 600, ... 1800 ms")

      const repl = yield* jobs.execute({ command: "repl" })
      const matched = yield* Effect.fork(jobs.interact(repl.id, "abc", { until: "^ABC$", idle: "10 seconds" }))
      yield* VirtualTime.adjust("100 millis")
      assert.strictEqual((yield* Fiber.join(matched)).reason, "matched")
    })))

  it.effect("fails with InputNotAccepted when the job does not read its input within the timeout", () =>
    withJobs(Effect.gen(function*() {
      const jobs = yield* JobManager
      const job = yield* jobs.execute({ command: "deaf" })
      const input = "x".repeat(100_000)
      const attempt = yield* Effect.fork(Effect.flip(jobs.interact(job.id, input, { timeout: "3 seconds" })))
      yield* VirtualTime.adjust("3 seconds")
      const error = yield* Fiber.join(attempt)
      assert.strictEqual(error._tag, "InputNotAccepted")
      if (error._tag === "InputNotAccepted") {
        assert.strictEqual(error.accepted, 64 * 1024, "what fits in the pipe's buffer")
        assert.strictEqual(error.total, 100_001)
      }
    })))
})

describe("interact errors", () => {
  it.effect("fails with StdinClosed, not InputNotAccepted, when stdin does not take input", () =>
    withJobs(Effect.gen(function*() {
      const jobs = yield* JobManager
      const noInput = yield* jobs.execute({ command: "deaf", stdin: "null" })
      const error = yield* Effect.flip(jobs.interact(noInput.id, "hello"))
      assert.strictEqual(error._tag, "StdinClosed")
      assert.include(error.message, "stdin set to null")

      const closed = yield* jobs.execute({ command: "deaf" })
      yield* jobs.interact(closed.id, "", { eof: true, timeout: "10 millis" }).pipe(Effect.fork)
      yield* VirtualTime.adjust("10 millis")
      assert.strictEqual((yield* Effect.flip(jobs.interact(closed.id, "more"))). _tag, "StdinClosed")
    })))
})

describe("restart", () => {
  it.effect("waits until the old process group is gone before starting again", () =>
    withJobs(Effect.gen(function*() {
      const jobs = yield* JobManager
      const job = yield* jobs.execute({ command: "stubborn" })
      const restarted = yield* Effect.fork(jobs.restart(job.id))
      yield* VirtualTime.adjust("4999 millis")
      assert.isTrue(yield* running(restarted))
      yield* VirtualTime.adjust("1 milli")
      const fresh = yield* Fiber.join(restarted)
      assert.strictEqual(fresh.startedAt.getTime(), 5_000)
      assert.strictEqual((yield* jobs.status(job.id)).status, "killed")
      assert.strictEqual(fresh.status, "running")
    })))
})

describe("shutdown", () => {
  it.effect("closing the layer stops every job, SIGKILL after the grace period, before it finishes closing", () =>
    Effect.gen(function*() {
      const scope = yield* Scope.make()
      const context = yield* Layer.buildWithScope(TestSpawner.layerJobManager(scripts, config), scope)
      const jobs = Context.get(context, JobManager)
      const spawner = Context.get(context, TestSpawner)
      const stubborn = yield* jobs.execute({ command: "stubborn" })
      const polite = yield* jobs.execute({ command: "server" })
      yield* VirtualTime.adjust("1 minute")
      yield* Scope.close(scope, Exit.void)
      const records = yield* spawner.processes
      assert.deepStrictEqual(records.map((r) => [r.command, r.signals.map((s) => `${s.signal}@${s.at}`), r.exit?.signal]), [
        ["stubborn", ["SIGTERM@60000", "SIGKILL@65000"], "SIGKILL"],
        ["server", ["SIGTERM@60000"], "SIGTERM"]
      ])
      assert.notStrictEqual(stubborn.id, polite.id)
    }))
})

describe("events", () => {
  it.effect("a subscriber that falls behind loses the oldest events, and the job is never held up", () =>
    withJobs(Effect.gen(function*() {
      const jobs = yield* JobManager
      const slow = yield* jobs.subscribe
      const job = yield* jobs.execute({ command: "flood" })
      yield* VirtualTime.awaitUntil(Effect.map(jobs.status(job.id), (d) => d.status === "completed"))
      assert.strictEqual((yield* jobs.status(job.id)).stdoutBytes, 2000 * 5, "the job ran to the end")

      const kept = Chunk.toReadonlyArray(yield* Queue.takeAll(slow))
      assert.strictEqual(kept.length, 512, "the subscriber's buffer holds the newest 512 events")
      assert.strictEqual(kept.at(-1)?._tag, "Exited")
      assert.notInclude(kept.map((event) => event._tag), "Started", "the oldest events were dropped")
      // What was dropped is still in the job's output: each Output event carries the cursor after its chunk.
      const first = kept[0]
      assert.strictEqual(first?._tag, "Output")
      const [, stdoutPosition] = first?._tag === "Output" ? first.cursor.split(":") : []
      assert.isAbove(Number(stdoutPosition), 5, "the first kept chunk is not the first one")
      assert.strictEqual((yield* jobs.output(job.id)).stdout, "line\n".repeat(2000))
    })))

  it.effect("events can be filtered by job", () =>
    withJobs(Effect.gen(function*() {
      const jobs = yield* JobManager
      const queue = yield* jobs.subscribe
      const a = yield* jobs.execute({ command: "quick" })
      yield* jobs.execute({ command: "server" })
      const seen = yield* Stream.fromQueue(queue).pipe(
        Stream.filter((event) => event.jobId === a.id),
        Stream.takeUntil((event) => event._tag === "Exited"),
        Stream.runCollect,
        Effect.fork
      )
      yield* VirtualTime.adjust("1 second")
      const tags = Chunk.toReadonlyArray(yield* Fiber.join(seen)).map((event) => event._tag)
      assert.deepStrictEqual(tags, ["Started", "Output", "Exited"])
    })))
})
