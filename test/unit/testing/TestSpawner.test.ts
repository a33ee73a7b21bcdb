/**
 * The scripted spawner keeps the `JobProcess` contract on the virtual clock: output at scripted times,
 * streams that end at exit, stdin with backpressure, signals to the whole group, children that outlive the
 * shell, and a clear failure for commands without a script.
 */
import { assert, describe, it } from "@effect/vitest"
import * as Chunk from "effect/Chunk"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Fiber from "effect/Fiber"
import * as Option from "effect/Option"
import * as Scope from "effect/Scope"
import * as Stream from "effect/Stream"
import * as TestClock from "effect/TestClock"
import { Spawner, type SpawnRequest } from "../../../src/Spawner.js"
import { Script, TestSpawner, VirtualTime } from "../../../src/testing/index.js"

const request = (command: string, stdin: "pipe" | "null" = "pipe"): SpawnRequest => ({
  shell: "/bin/sh",
  command,
  cwd: "/",
  env: {},
  stdin
})

const text = (stream: Stream.Stream<Uint8Array>) =>
  Stream.runCollect(Stream.decodeText(stream)).pipe(Effect.map((chunks) => Chunk.join(chunks, "")))

const bytes = (value: string) => new TextEncoder().encode(value)

const scripts = [
  Script.on("build", [
    Script.stdout("compiling\n", { after: "2 minutes" }),
    Script.stderr("warning: slow\n", { after: "1 minute" }),
    Script.exit(3, { after: "30 seconds" })
  ]),
  Script.on(/^greet /, (req) => [Script.stdout(`hello ${req.command.slice(6)}\n`)]),
  Script.on("repl", [
    Script.stdout("> "),
    Script.readLines((line) => [Script.stdout(`${line.toUpperCase()}\n> `, { after: "100 millis" })], {
      onEof: [Script.stdout("bye\n")]
    })
  ]),
  Script.on("stubborn", [Script.stdout("up\n"), Script.hang], { signals: { SIGTERM: "ignore" } }),
  Script.on("graceful", [Script.hang], {
    signals: { SIGTERM: [Script.stdout("stopping\n"), Script.exit(0, { after: "2 seconds" })] }
  }),
  Script.on("daemonize", [Script.spawnChild({ ignoresSigterm: true }), Script.exit(0, { after: "1 second" })]),
  Script.on("short-child", [Script.spawnChild({ exitsAfter: "10 seconds" }), Script.exit(0)]),
  Script.on("deaf", [Script.hang]),
  Script.on("crash", [Script.die("SIGSEGV", { after: "5 seconds" })]),
  Script.failToSpawn("missing-tool", "the shell says: missing-tool: not found")
]

const withSpawner = <A, E>(effect: Effect.Effect<A, E, Spawner | TestSpawner | Scope.Scope>) =>
  effect.pipe(Effect.scoped, Effect.provide(TestSpawner.layer(scripts, { stdinCapacity: 8 })))

describe("TestSpawner", () => {
  it.effect("prints at scripted virtual times and ends both streams when the process exits", () =>
    withSpawner(Effect.gen(function*() {
      const spawner = yield* Spawner
      const child = yield* spawner.spawn(request("build"))
      const stdout = yield* Effect.fork(text(child.stdout))
      const stderr = yield* Effect.fork(text(child.stderr))
      const exit = yield* Effect.fork(child.exit)

      yield* VirtualTime.adjust("2 minutes")
      assert.isTrue(Option.isNone(yield* Fiber.poll(exit)), "still running after 2 minutes")
      yield* VirtualTime.adjust("1 minute")
      assert.isTrue(Option.isNone(yield* Fiber.poll(stdout)), "stdout open while the process runs")
      yield* VirtualTime.adjust("30 seconds")

      assert.deepStrictEqual(yield* Fiber.join(exit), { code: 3, signal: null })
      assert.strictEqual(yield* Fiber.join(stdout), "compiling\n")
      assert.strictEqual(yield* Fiber.join(stderr), "warning: slow\n")
      assert.isFalse(yield* child.groupAlive)
      const record = yield* (yield* TestSpawner).process("build")
      assert.strictEqual(record.exitedAt, 210_000)
    })))

  it.effect("chooses the first matching script; a function of the request may build the steps", () =>
    withSpawner(Effect.gen(function*() {
      const child = yield* (yield* Spawner).spawn(request("greet world"))
      assert.strictEqual(yield* text(child.stdout), "hello world\n")
      assert.deepStrictEqual(yield* child.exit, { code: 0, signal: null })
    })))

  it.effect("fails to start a command without a script, naming the command", () =>
    withSpawner(Effect.gen(function*() {
      const error = yield* Effect.flip((yield* Spawner).spawn(request("rm -rf /tmp/x")))
      assert.strictEqual(error._tag, "SpawnFailed")
      assert.strictEqual(error.command, "rm -rf /tmp/x")
      assert.include(error.message, `"rm -rf /tmp/x"`)
      assert.include(error.message, "Script.on")
      const scripted = yield* Effect.flip((yield* Spawner).spawn(request("missing-tool")))
      assert.include(scripted.message, "missing-tool: not found")
    })))

  it.effect("answers lines of stdin, sees end-of-file, and reports stdin closed after exit", () =>
    withSpawner(Effect.gen(function*() {
      const child = yield* (yield* Spawner).spawn(request("repl"))
      const stdout = yield* Effect.fork(text(child.stdout))
      yield* child.write(bytes("hello\nwor"))
      yield* child.write(bytes("ld\n"))
      assert.isTrue(yield* child.stdinOpen)
      yield* child.closeStdin
      assert.isFalse(yield* child.stdinOpen)
      yield* VirtualTime.adjust("1 second")
      assert.strictEqual(yield* Fiber.join(stdout), "> HELLO\n> WORLD\n> bye\n")
      assert.deepStrictEqual(yield* child.exit, { code: 0, signal: null })
      const error = yield* Effect.flip(child.write(bytes("late\n")))
      assert.strictEqual(error._tag, "StdinUnavailable")
      assert.deepStrictEqual((yield* (yield* TestSpawner).process("repl")).linesRead, ["hello", "world"])
    })))

  it.effect("pushes back on writes the script does not read, beyond the stdin capacity", () =>
    withSpawner(Effect.gen(function*() {
      const child = yield* (yield* Spawner).spawn(request("deaf"))
      yield* child.write(bytes("12345678"))
      const blocked = yield* Effect.fork(child.write(bytes("9")))
      yield* VirtualTime.adjust("1 hour")
      assert.isTrue(Option.isNone(yield* Fiber.poll(blocked)), "a full pipe blocks the writer")
      yield* child.signal("SIGTERM")
      const error = yield* Effect.flip(Fiber.join(blocked))
      assert.strictEqual(error._tag, "StdinUnavailable")
    })))

  it.effect("starts with stdin at end-of-file when asked to", () =>
    withSpawner(Effect.gen(function*() {
      const child = yield* (yield* Spawner).spawn(request("repl", "null"))
      assert.isFalse(yield* child.stdinOpen)
      assert.strictEqual((yield* Effect.flip(child.write(bytes("x\n")))).reason, "it was started with stdin set to null")
      assert.strictEqual(yield* text(child.stdout), "> bye\n")
    })))

  it.effect("dies of SIGTERM by default, ignores it when scripted to, and always dies of SIGKILL", () =>
    withSpawner(Effect.gen(function*() {
      const spawner = yield* Spawner
      const deaf = yield* spawner.spawn(request("deaf"))
      yield* deaf.signal("SIGTERM")
      assert.deepStrictEqual(yield* deaf.exit, { code: null, signal: "SIGTERM" })

      const stubborn = yield* spawner.spawn(request("stubborn"))
      yield* stubborn.signal("SIGTERM")
      yield* VirtualTime.adjust("1 minute")
      assert.isTrue(yield* stubborn.groupAlive)
      yield* stubborn.signal("SIGKILL")
      assert.deepStrictEqual(yield* stubborn.exit, { code: null, signal: "SIGKILL" })
      assert.isFalse(yield* stubborn.groupAlive)
      assert.deepStrictEqual(
        (yield* (yield* TestSpawner).process("stubborn")).signals,
        [{ signal: "SIGTERM", at: 0 }, { signal: "SIGKILL", at: 60_000 }]
      )
    })))

  it.effect("runs a signal handler instead of the rest of the script", () =>
    withSpawner(Effect.gen(function*() {
      const child = yield* (yield* Spawner).spawn(request("graceful"))
      const stdout = yield* Effect.fork(text(child.stdout))
      yield* child.signal("SIGTERM")
      yield* child.signal("SIGTERM")
      yield* VirtualTime.adjust("1999 millis")
      assert.isTrue(yield* child.groupAlive)
      yield* VirtualTime.adjust("1 milli")
      assert.deepStrictEqual(yield* child.exit, { code: 0, signal: null })
      assert.strictEqual(yield* Fiber.join(stdout), "stopping\n", "the handler ran once")
    })))

  it.effect("dies of a signal it sends itself", () =>
    withSpawner(Effect.gen(function*() {
      const child = yield* (yield* Spawner).spawn(request("crash"))
      yield* VirtualTime.adjust("5 seconds")
      assert.deepStrictEqual(yield* child.exit, { code: null, signal: "SIGSEGV" })
    })))

  it.effect("keeps a child in the group after the shell exits, until a signal it honours", () =>
    withSpawner(Effect.gen(function*() {
      const spawner = yield* Spawner
      const child = yield* spawner.spawn(request("daemonize"))
      yield* VirtualTime.adjust("1 second")
      assert.deepStrictEqual(yield* child.exit, { code: 0, signal: null })
      assert.isTrue(yield* child.groupAlive, "the child outlives the shell")
      yield* child.signal("SIGTERM")
      assert.isTrue(yield* child.groupAlive, "the child ignores SIGTERM")
      yield* child.signal("SIGKILL")
      assert.isFalse(yield* child.groupAlive)

      const shortLived = yield* spawner.spawn(request("short-child"))
      yield* shortLived.exit
      yield* VirtualTime.adjust("9 seconds")
      assert.isTrue(yield* shortLived.groupAlive)
      yield* VirtualTime.adjust("1 second")
      assert.isFalse(yield* shortLived.groupAlive, "the child exits by itself")
    })))

  it.effect("kills a still running process when its scope closes, as the live spawner does", () =>
    withSpawner(Effect.gen(function*() {
      const scope = yield* Scope.make()
      const child = yield* (yield* Spawner).spawn(request("stubborn")).pipe(Scope.extend(scope))
      yield* Scope.close(scope, Exit.void)
      assert.deepStrictEqual(yield* child.exit, { code: null, signal: "SIGKILL" })
      assert.isFalse(yield* child.stdinOpen)
    })))

  it.effect("records processes with pids, start times and signals", () =>
    withSpawner(Effect.gen(function*() {
      const spawner = yield* Spawner
      yield* TestClock.adjust("1 minute")
      const first = yield* spawner.spawn(request("deaf"))
      const second = yield* spawner.spawn(request("deaf"))
      assert.notStrictEqual(first.pid, second.pid)
      const records = yield* (yield* TestSpawner).processes
      assert.deepStrictEqual(records.map((r) => [r.pid, r.command, r.startedAt, r.exit]), [
        [first.pid, "deaf", 60_000, undefined],
        [second.pid, "deaf", 60_000, undefined]
      ])
    })))
})

describe("VirtualTime", () => {
  it.effect("awaitUntil waits for a condition without moving the clock, and dies naming it when it never holds", () =>
    Effect.gen(function*() {
      let flag = false
      setTimeout(() => (flag = true), 5)
      yield* VirtualTime.awaitUntil(Effect.sync(() => flag))
      assert.strictEqual(yield* TestClock.currentTimeMillis, 0)
      const exit = yield* Effect.exit(
        VirtualTime.awaitUntil(Effect.succeed(false), { timeout: "50 millis", label: "the impossible" })
      )
      assert.isTrue(Exit.isFailure(exit))
      assert.include(String(Exit.isFailure(exit) ? exit.cause : ""), "the impossible did not hold")
    }))

  it.effect("adjust fires a timer set after real I/O that plain TestClock.adjust can miss", () =>
    Effect.gen(function*() {
      // The fiber reaches its sleep only after a file-system read: the pitfall's shape.
      const fiber = yield* Effect.fork(
        Effect.promise(() => import("node:fs/promises").then((fs) => fs.stat("/"))).pipe(
          Effect.zipRight(Effect.sleep("10 minutes"))
        )
      )
      yield* VirtualTime.adjust("10 minutes")
      assert.isTrue(Option.isSome(yield* Fiber.poll(fiber)), "the timer set after the I/O has fired")
    }))
})
