/**
 * The live spawner's output pipes: a child's two pipes read into a sink with plain callbacks, nothing lost
 * between the spawn and the sink's attachment, the end seen once both pipes end, and each turn of the event
 * loop read for a bounded time when many pipes flood.
 */
import { assert, describe, it } from "@effect/vitest"
import { spawn } from "node:child_process"
import { PassThrough } from "node:stream"
import { OutputPipes } from "../../src/internal/node/outputPipes.js"

const ended = (pipes: OutputPipes) => new Promise<void>((resolve) => pipes.onEnd(resolve))

describe("OutputPipes", () => {
  it("hands a child's stdout and stderr to the sink, the part read before the sink came first, then ends", async () => {
    const child = spawn("/bin/sh", ["-c", "printf early; sleep 0.2; printf late; printf oops >&2; head -c 300000 /dev/zero"], {
      stdio: ["ignore", "pipe", "pipe"]
    })
    const pipes = new OutputPipes(child.stdout, child.stderr)
    // Attached after the child has written: nothing it wrote meanwhile is lost.
    await new Promise((resolve) => setTimeout(resolve, 100))
    const seen = { stdout: [] as Array<Buffer>, stderr: [] as Array<Buffer> }
    pipes.attach((stream, chunk) => seen[stream].push(Buffer.from(chunk)))
    await ended(pipes)
    const stdout = Buffer.concat(seen.stdout)
    assert.strictEqual(stdout.subarray(0, 9).toString(), "earlylate")
    assert.strictEqual(stdout.length, 9 + 300_000)
    assert.isTrue(stdout.subarray(9).every((byte) => byte === 0))
    assert.strictEqual(Buffer.concat(seen.stderr).toString(), "oops")
    assert.isTrue(pipes.ended)
  })

  it("reads streams that are not a child's pipes with data events, and pauses them beyond the pending limit", async () => {
    const stdout = new PassThrough()
    const stderr = new PassThrough()
    const pipes = new OutputPipes(stdout, stderr)
    const big = Buffer.alloc(64 * 1024, 120)
    for (let i = 0; i < 40; i++) stdout.write(big)
    await new Promise((resolve) => setImmediate(resolve))
    // Nobody attached: reading stops after about a megabyte instead of holding everything.
    assert.isTrue(stdout.isPaused(), "the pipe waits for a sink")
    let total = 0
    pipes.attach((_, chunk) => (total += chunk.length))
    stdout.end()
    stderr.end()
    await ended(pipes)
    assert.strictEqual(total, 40 * 64 * 1024)
  })

  it("reads a bounded share of each event-loop turn while 30 children flood", async () => {
    const children = Array.from({ length: 30 }, () => spawn("/bin/sh", ["-c", "head -c 2000000 /dev/zero"], { stdio: ["ignore", "pipe", "pipe"] }))
    // One count per turn of the event loop: the check phase runs once per turn.
    let turn = 0
    let flooding = true
    const tick = () => {
      turn++
      if (flooding) setImmediate(tick)
    }
    setImmediate(tick)
    const chunksPerTurn = new Map<number, number>()
    let total = 0
    const all = children.map((child) => {
      const pipes = new OutputPipes(child.stdout, child.stderr)
      pipes.attach((_, chunk) => {
        total += chunk.length
        chunksPerTurn.set(turn, (chunksPerTurn.get(turn) ?? 0) + 1)
        // A slow sink (a millisecond a chunk): every pipe is full again by the time the others are read.
        const until = performance.now() + 1
        while (performance.now() < until) { /* busy */ }
      })
      return ended(pipes)
    })
    await Promise.all(all)
    flooding = false
    assert.strictEqual(total, 30 * 2_000_000)
    // Unbounded, a turn reads every ready pipe: about 30 chunks. Within a budget of a few milliseconds at a
    // millisecond a chunk, a handful (fewer when the machine is busy, never more).
    assert.isAtMost(Math.max(...chunksPerTurn.values()), 8)
    assert.isAbove(chunksPerTurn.size, 20, "the reads were spread over many turns")
  }, 60_000)
})
