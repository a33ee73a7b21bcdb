/**
 * The package as a user sees it: everything of ours comes from `mcp-background-job` and
 * `mcp-background-job/testing`, resolved through package.json `exports` to the built `dist` (the package
 * refers to itself by name, as an installed dependency would be referred to).
 */
import * as NodeContext from "@effect/platform-node/NodeContext"
import { assert, describe, it } from "@effect/vitest"
import { Client } from "@modelcontextprotocol/sdk/client/index.js"
import { InMemoryTransport } from "@modelcontextprotocol/sdk/inMemory.js"
import { Server } from "@modelcontextprotocol/sdk/server/index.js"
import * as Chunk from "effect/Chunk"
import * as ConfigProvider from "effect/ConfigProvider"
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Logger from "effect/Logger"
import * as LogLevel from "effect/LogLevel"
import * as Schema from "effect/Schema"
import * as Stream from "effect/Stream"
import {
  JobConfig,
  type JobError,
  JobEvent,
  JobManager,
  McpJobServer,
  McpTool,
  NodeSpawner
} from "mcp-background-job"
import { Script, TestSpawner, VirtualTime } from "mcp-background-job/testing"
import * as fs from "node:fs"
import { createRequire } from "node:module"
import * as os from "node:os"
import * as path from "node:path"
import { afterAll } from "vitest"
import { eventually } from "../../support/polling.js"
import { killMarked, processesWithMarker, uniqueMarker } from "../../support/processes.js"

const marker = uniqueMarker("consumer")
afterAll(() => killMarked(marker))

const liveJobs = (config: Parameters<typeof JobConfig.make>[0] = {}) =>
  JobManager.layer(JobConfig.make({ killGrace: "1 second", ...config })).pipe(
    Layer.provide(NodeSpawner.layer),
    Layer.provide(Logger.minimumLogLevel(LogLevel.Warning))
  )

describe("resolution", () => {
  it("resolves both entry points through exports to the built dist", async () => {
    const require = createRequire(import.meta.url)
    const root = path.resolve(import.meta.dirname, "../../..")
    assert.strictEqual(require.resolve("mcp-background-job"), path.join(root, "dist/index.js"))
    assert.strictEqual(require.resolve("mcp-background-job/testing"), path.join(root, "dist/testing/index.js"))
    // The modules this file imported by package name are the very modules of dist.
    const dist = (await import(path.join(root, "dist/index.js"))) as Record<string, unknown>
    const distTesting = (await import(path.join(root, "dist/testing/index.js"))) as Record<string, unknown>
    assert.strictEqual(dist.JobManager, JobManager)
    assert.strictEqual(distTesting.TestSpawner, TestSpawner)
  })
})

describe("embedding the runtime", () => {
  it.live("runs a real job inside an Effect program and reads its events", () =>
    Effect.gen(function*() {
      const jobs = yield* JobManager
      const events = yield* jobs.subscribe
      const job = yield* jobs.execute({ command: `echo out-${marker}; echo err >&2; exit 3` })
      const seen = yield* Stream.fromQueue(events).pipe(
        Stream.filter((event) => event.jobId === job.id),
        Stream.takeUntil(JobEvent.$is("Exited")),
        Stream.runCollect,
        Effect.map(Chunk.toReadonlyArray)
      )

      assert.deepStrictEqual(seen[0], JobEvent.Started({ jobId: job.id, command: job.command, pid: job.pid }))
      const exited = seen.at(-1)
      const ended = (yield* jobs.status(job.id)).endedAt
      assert.deepStrictEqual(
        exited,
        JobEvent.Exited({ jobId: job.id, command: job.command, status: "failed", exitCode: 3, signal: null, endedAt: ended ?? new Date(0) })
      )
      const outputs = seen.filter(JobEvent.$is("Output"))
      const text = (stream: "stdout" | "stderr") =>
        outputs.filter((event) => event.stream === stream).map((event) => new TextDecoder().decode(event.bytes)).join("")
      assert.strictEqual(text("stdout"), `out-${marker}\n`)
      assert.strictEqual(text("stderr"), "err\n")
      // The cursor of the last Output event continues where the events left off.
      const rest = yield* jobs.output(job.id, { cursor: outputs.at(-1)!.cursor })
      assert.strictEqual(rest.stdout + rest.stderr, "")
      assert.strictEqual((yield* jobs.status(job.id)).exitCode, 3)
    }).pipe(Effect.scoped, Effect.provide(liveJobs())))

  it.live("catches every tagged error of the operations by its tag", () =>
    Effect.gen(function*() {
      const jobs = yield* JobManager
      const tagOf = <A, R>(effect: Effect.Effect<A, JobError, R>) =>
        effect.pipe(
          Effect.as("no error"),
          Effect.catchTags({
            JobNotFound: (error) => Effect.succeed(error._tag),
            JobsNotFound: (error) => Effect.succeed(error._tag),
            JobLimitReached: (error) => Effect.succeed(error._tag),
            CommandRejected: (error) => Effect.succeed(error._tag),
            JobNotRunning: (error) => Effect.succeed(error._tag),
            StdinClosed: (error) => Effect.succeed(error._tag),
            InputNotAccepted: (error) => Effect.succeed(error._tag),
            SpawnFailed: (error) => Effect.succeed(error._tag),
            InvalidArgument: (error) => Effect.succeed(error._tag)
          })
        )

      assert.strictEqual(yield* tagOf(jobs.status("no-such-job")), "JobNotFound")
      assert.strictEqual(yield* tagOf(jobs.waitAny(["no-such-job"])), "JobsNotFound")
      assert.strictEqual(yield* tagOf(jobs.execute({ command: "   " })), "CommandRejected")
      assert.strictEqual(yield* tagOf(jobs.execute({ command: "true", cwd: "/no/such/dir" })), "InvalidArgument")

      const ended = yield* jobs.execute({ command: `exit 0 # ${marker}` })
      yield* jobs.wait(ended.id, { timeout: "10 seconds" })
      assert.strictEqual(yield* tagOf(jobs.interact(ended.id, "hello")), "JobNotRunning")
      assert.strictEqual(yield* tagOf(jobs.tail(ended.id, 0)), "InvalidArgument")

      const noInput = yield* jobs.execute({ command: `sleep 30 # ${marker}`, stdin: "null" })
      assert.strictEqual(yield* tagOf(jobs.interact(noInput.id, "hello")), "StdinClosed")
      const deaf = yield* jobs.execute({ command: `sleep 30 # ${marker}` })
      assert.strictEqual(
        yield* tagOf(jobs.interact(deaf.id, "x".repeat(4 * 1024 * 1024), { timeout: "300 millis" })),
        "InputNotAccepted"
      )
      assert.strictEqual(yield* tagOf(jobs.execute({ command: `sleep 30 # ${marker}` })), "JobLimitReached")

      const broken = yield* Effect.provide(
        Effect.flatMap(JobManager, (other) => tagOf(other.execute({ command: "true" }))),
        liveJobs({ shell: "/no/such/shell" })
      )
      assert.strictEqual(broken, "SpawnFailed")
    }).pipe(Effect.scoped, Effect.provide(liveJobs({ maxJobs: 2 }))))

  it.live("reads its configuration through any ConfigProvider", () =>
    Effect.gen(function*() {
      const jobs = yield* JobManager
      yield* jobs.execute({ command: `sleep 30 # ${marker}` })
      const refused = yield* Effect.flip(jobs.execute({ command: `sleep 30 # ${marker}` }))
      assert.strictEqual(refused._tag, "JobLimitReached")
      assert.include(refused.message, "MCP_BG_MAX_JOBS=1")
    }).pipe(
      Effect.scoped,
      Effect.provide(
        JobManager.layerConfig.pipe(
          Layer.provide(NodeSpawner.layer),
          Layer.provide(Layer.setConfigProvider(ConfigProvider.fromMap(new Map([["MCP_BG_MAX_JOBS", "1"]]))))
        )
      )
    ))

  it.live("fails to build from an invalid setting with a ConfigError naming the variable", () =>
    Effect.gen(function*() {
      const built = yield* Effect.flip(
        Layer.build(
          JobManager.layerConfig.pipe(
            Layer.provide(NodeSpawner.layer),
            Layer.provide(Layer.setConfigProvider(ConfigProvider.fromMap(new Map([["MCP_BG_MAX_JOBS", "ten"]]))))
          )
        )
      )
      assert.include(String(built), "MCP_BG_MAX_JOBS")
      assert.include(String(built), "expected a positive integer")
    }).pipe(Effect.scoped))

  it.live("runs on the live Spawner built from the application's own NodeContext", () =>
    Effect.gen(function*() {
      const jobs = yield* JobManager
      const job = yield* jobs.execute({ command: `echo executor # ${marker}` })
      const result = yield* jobs.wait(job.id, { timeout: "10 seconds", fromStart: true })
      assert.deepStrictEqual([result.status, result.stdout], ["completed", "executor\n"])
    }).pipe(
      Effect.scoped,
      Effect.provide(
        JobManager.layer(JobConfig.make()).pipe(Layer.provide(NodeSpawner.layerExecutor), Layer.provide(NodeContext.layer))
      )
    ))

  it.live("stops every job before the layer's scope finishes closing: SIGTERM, then SIGKILL after the grace", () =>
    Effect.gen(function*() {
      const scopeMarker = uniqueMarker("consumer-scope")
      const termFile = path.join(os.tmpdir(), `${scopeMarker}.term`)
      // Records SIGTERM and ignores it, so only SIGKILL after the grace period ends it.
      const stubborn = `process.on("SIGTERM", () => require("fs").writeFileSync(${JSON.stringify(termFile)}, "term")); console.log("ready"); setInterval(() => {}, 1000)`
      yield* Effect.gen(function*() {
        const jobs = yield* JobManager
        const node = yield* jobs.execute({ command: `node -e '${stubborn}' ${scopeMarker}` })
        yield* jobs.execute({ command: `sleep 60 # ${scopeMarker}` })
        const ready = yield* jobs.wait(node.id, { until: "^ready$", timeout: "20 seconds", fromStart: true })
        assert.strictEqual(ready.reason, "matched", "the SIGTERM handler is installed")
        const started = yield* Effect.promise(() => eventually(() => processesWithMarker(scopeMarker).length >= 3))
        assert.isTrue(started, "both jobs are running")
      }).pipe(Effect.scoped, Effect.provide(liveJobs()))
      assert.deepStrictEqual(processesWithMarker(scopeMarker), [], "no process survives the closed scope")
      assert.strictEqual(fs.readFileSync(termFile, "utf8"), "term", "SIGTERM came first")
      fs.rmSync(termFile)
    }))
})

class Greeter extends Context.Tag("consumer/Greeter")<Greeter, { readonly greet: (name: string) => string }>() {}

const greetTool = McpTool.make({
  name: "greet",
  description: "Greets someone.",
  input: Schema.Struct({ name: Schema.String }),
  output: Schema.Struct({ greeting: Schema.String }),
  handler: ({ name }) => Effect.map(Greeter, (greeter) => ({ greeting: greeter.greet(name) }))
})

describe("the MCP adapter on the application's own server", () => {
  it.live("serves the job tools next to the application's tool", () =>
    Effect.gen(function*() {
      const server = new Server({ name: "my-app", version: "1.0.0" }, { capabilities: {} })
      const client = new Client({ name: "consumer-test", version: "1.0.0" })
      yield* Effect.gen(function*() {
        const [clientTransport, serverTransport] = InMemoryTransport.createLinkedPair()
        yield* Effect.promise(() => server.connect(serverTransport))
        yield* Effect.promise(() => client.connect(clientTransport))
        yield* Effect.addFinalizer(() => Effect.promise(() => client.close()))

        const names = (yield* Effect.promise(() => client.listTools())).tools.map((tool) => tool.name)
        assert.includeMembers(names, ["execute", "wait", "kill", "greet"])

        const greeting = yield* Effect.promise(() => client.callTool({ name: "greet", arguments: { name: "Ada" } }))
        assert.deepStrictEqual(greeting.structuredContent, { greeting: "Hello, Ada" })

        const run = yield* Effect.promise(() =>
          client.callTool({ name: "execute", arguments: { command: `echo from-mcp # ${marker}`, wait_ms: 10_000 } })
        )
        assert.isUndefined(run.isError)
        assert.strictEqual((run.structuredContent as { status: string }).status, "completed")
        assert.strictEqual((run.structuredContent as { stdout: string }).stdout, "from-mcp\n")
      }).pipe(
        Effect.scoped,
        Effect.provide(
          McpJobServer.layer(server, { tools: [greetTool] }).pipe(
            Layer.provideMerge(liveJobs()),
            Layer.provide(Layer.succeed(Greeter, { greet: (name) => `Hello, ${name}` }))
          )
        )
      )
    }))
})

describe("testing on the virtual clock", () => {
  const scripts = [
    Script.on("npm run dev", [Script.stdout("ready\n", { after: "3 seconds" }), Script.hang]),
    Script.on("npm test", [Script.stdout("ok\n", { after: "90 seconds" }), Script.exit(0)])
  ]
  const layer = TestSpawner.layerJobManager(scripts, { jobTimeout: "10 minutes", cleanupInterval: "5 minutes" })

  it.effect("a 10-minute timeout takes milliseconds", () =>
    Effect.gen(function*() {
      const realStart = performance.now()
      const jobs = yield* JobManager
      const job = yield* jobs.execute({ command: "npm run dev" })
      yield* VirtualTime.adjust("9 minutes")
      assert.strictEqual((yield* jobs.status(job.id)).status, "running")
      yield* VirtualTime.adjust("1 minute")
      const ended = yield* jobs.status(job.id)
      assert.strictEqual(ended.status, "timed_out")
      assert.strictEqual(ended.durationMs, 600_000)
      console.log(`10-minute timeout checked in ${(performance.now() - realStart).toFixed(0)} ms of real time`)
    }).pipe(Effect.provide(layer)))

  it.effect("a job is removed when the cleanup interval after its end has passed", () =>
    Effect.gen(function*() {
      const realStart = performance.now()
      const jobs = yield* JobManager
      const job = yield* jobs.execute({ command: "npm test" })
      yield* VirtualTime.adjust("90 seconds")
      assert.strictEqual((yield* jobs.status(job.id)).status, "completed")
      yield* VirtualTime.adjust("4 minutes")
      assert.strictEqual((yield* jobs.output(job.id)).stdout, "ok\n")
      yield* VirtualTime.adjust("1 minute")
      const gone = yield* Effect.flip(jobs.status(job.id))
      assert.strictEqual(gone._tag, "JobNotFound")
      console.log(`5-minute cleanup interval checked in ${(performance.now() - realStart).toFixed(0)} ms of real time`)
    }).pipe(Effect.provide(layer)))
})
