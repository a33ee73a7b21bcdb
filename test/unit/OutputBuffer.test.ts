import { assert, describe, it } from "@effect/vitest"
import { OutputBuffer } from "../../src/OutputBuffer.js"

const bytes = (text: string) => new TextEncoder().encode(text)
const text = (data: Uint8Array) => new TextDecoder().decode(data)

/** Appends `count` numbered lines alternating between streams; returns what each stream received. */
const fill = (buffer: OutputBuffer, count: number) => {
  const written = { stdout: "", stderr: "" }
  for (let i = 0; i < count; i++) {
    const stream = i % 3 === 0 ? "stderr" : "stdout"
    const line = `${stream}-${i}\n`
    buffer.append(stream, bytes(line))
    written[stream] += line
  }
  return written
}

describe("OutputBuffer", () => {
  it("keeps each stream apart and counts positions per stream", () => {
    const buffer = new OutputBuffer(1024)
    buffer.append("stdout", bytes("a\n"))
    buffer.append("stderr", bytes("E\n"))
    buffer.append("stdout", bytes("b\n"))
    const slice = buffer.readSince({ stdout: 0, stderr: 0 })
    assert.strictEqual(text(slice.stdout), "a\nb\n")
    assert.strictEqual(text(slice.stderr), "E\n")
    assert.deepStrictEqual(buffer.position, { stdout: 4, stderr: 2 })
    assert.strictEqual(text(buffer.readInterleaved()), "a\nE\nb\n")
  })

  it("reads only what comes after a position", () => {
    const buffer = new OutputBuffer(1024)
    buffer.append("stdout", bytes("one\n"))
    const mark = buffer.position
    buffer.append("stdout", bytes("two\n"))
    buffer.append("stderr", bytes("err\n"))
    const slice = buffer.readSince(mark)
    assert.strictEqual(text(slice.stdout), "two\n")
    assert.strictEqual(text(slice.stderr), "err\n")
    assert.strictEqual(slice.droppedStdout, 0)
  })

  it("drops the oldest bytes of either stream beyond the cap and counts them per stream", () => {
    const buffer = new OutputBuffer(10)
    buffer.append("stdout", bytes("12345"))
    buffer.append("stderr", bytes("abcde"))
    buffer.append("stdout", bytes("678"))
    // 13 bytes written into 10: the first three stdout bytes went.
    assert.strictEqual(buffer.retained, 10)
    assert.strictEqual(buffer.bytesDropped("stdout"), 3)
    assert.strictEqual(buffer.bytesDropped("stderr"), 0)
    const slice = buffer.readSince({ stdout: 0, stderr: 0 })
    assert.strictEqual(text(slice.stdout), "45678")
    assert.strictEqual(text(slice.stderr), "abcde")
    assert.strictEqual(slice.droppedStdout, 3)
    buffer.append("stdout", bytes("9012345"))
    assert.strictEqual(buffer.bytesDropped("stderr"), 5)
    assert.strictEqual(text(buffer.readSince({ stdout: 0, stderr: 0 }).stderr), "")
    assert.strictEqual(buffer.bytesDropped("stdout"), 5)
    assert.strictEqual(text(buffer.read("stdout", 0, Infinity)), "6789012345")
  })

  it("a chunk larger than the cap keeps only its newest bytes", () => {
    const buffer = new OutputBuffer(8)
    buffer.append("stderr", bytes("xy"))
    buffer.append("stdout", bytes("0123456789ABCDEF"))
    assert.strictEqual(text(buffer.read("stdout", 0, Infinity)), "89ABCDEF")
    assert.strictEqual(buffer.bytesDropped("stdout"), 8)
    assert.strictEqual(buffer.bytesDropped("stderr"), 2)
    assert.deepStrictEqual(buffer.position, { stdout: 16, stderr: 2 })
  })

  it("cursor reads across wrap-around return every byte once, or report what was dropped", () => {
    const buffer = new OutputBuffer(200)
    let position = buffer.position
    const seen = { stdout: "", stderr: "" }
    let dropped = 0
    const expected = { stdout: "", stderr: "" }
    for (let round = 0; round < 50; round++) {
      const written = fill(buffer, 5)
      expected.stdout += written.stdout
      expected.stderr += written.stderr
      const slice = buffer.readSince(position)
      seen.stdout += text(slice.stdout)
      seen.stderr += text(slice.stderr)
      dropped += slice.droppedStdout + slice.droppedStderr
      position = buffer.position
    }
    // Reads keep up with writes (5 short lines < cap), so nothing is skipped or repeated.
    assert.strictEqual(dropped, 0)
    assert.strictEqual(seen.stdout, expected.stdout)
    assert.strictEqual(seen.stderr, expected.stderr)
    assert.isAbove(buffer.bytesDropped("stdout"), 0, "the ring wrapped around")
  })

  it("a slow reader is told exactly how many bytes of each stream it missed", () => {
    const buffer = new OutputBuffer(64)
    const start = buffer.position
    const written = fill(buffer, 40)
    const slice = buffer.readSince(start)
    assert.strictEqual(slice.droppedStdout + slice.stdout.length, written.stdout.length)
    assert.strictEqual(slice.droppedStderr + slice.stderr.length, written.stderr.length)
    assert.strictEqual(text(slice.stdout), written.stdout.slice(slice.droppedStdout))
    assert.strictEqual(text(slice.stderr), written.stderr.slice(slice.droppedStderr))
  })

  it("grows its storage lazily up to the cap", () => {
    const buffer = new OutputBuffer(1024 * 1024)
    const chunk = new Uint8Array(100_000).fill(65)
    for (let i = 0; i < 25; i++) buffer.append("stdout", chunk)
    assert.strictEqual(buffer.retained, 1024 * 1024)
    assert.strictEqual(buffer.bytesDropped("stdout"), 25 * 100_000 - 1024 * 1024)
    assert.isTrue(buffer.read("stdout", 0, Infinity).every((b) => b === 65))
  })

  describe("tailStart", () => {
    it("finds the start of the last N lines, a final newline not opening a new one", () => {
      const buffer = new OutputBuffer(1024)
      buffer.append("stdout", bytes("a\nb\nc\n"))
      const at = (lines: number) => text(buffer.read("stdout", buffer.tailStart("stdout", lines), Infinity))
      assert.strictEqual(at(1), "c\n")
      assert.strictEqual(at(2), "b\nc\n")
      assert.strictEqual(at(3), "a\nb\nc\n")
      assert.strictEqual(at(10), "a\nb\nc\n")
      buffer.append("stdout", bytes("partial"))
      assert.strictEqual(at(1), "partial")
      assert.strictEqual(at(2), "c\npartial")
    })

    it("skips the other stream's bytes and survives wrap-around", () => {
      const buffer = new OutputBuffer(50)
      for (let i = 0; i < 30; i++) {
        buffer.append("stdout", bytes(`o${i}\n`))
        buffer.append("stderr", bytes(`e${i}\n`))
      }
      const tail = text(buffer.read("stdout", buffer.tailStart("stdout", 3), Infinity))
      assert.strictEqual(tail, "o27\no28\no29\n")
      const errTail = text(buffer.read("stderr", buffer.tailStart("stderr", 2), Infinity))
      assert.strictEqual(errTail, "e28\ne29\n")
    })

    it("returns everything retained when a line started before the oldest byte", () => {
      const buffer = new OutputBuffer(16)
      buffer.append("stdout", bytes("x".repeat(40)))
      assert.strictEqual(buffer.tailStart("stdout", 5), buffer.bytesDropped("stdout"))
      assert.strictEqual(buffer.read("stdout", buffer.tailStart("stdout", 5), Infinity).length, 16)
    })

    it("is empty for a stream that wrote nothing", () => {
      const buffer = new OutputBuffer(16)
      buffer.append("stderr", bytes("only stderr\n"))
      assert.strictEqual(buffer.read("stdout", buffer.tailStart("stdout", 5), Infinity).length, 0)
    })
  })

  it("agrees with a naive model on random appends, reads and tails", () => {
    let seed = 42
    const random = (n: number) => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31
      return seed % n
    }
    for (const cap of [1, 7, 64, 1000]) {
      const buffer = new OutputBuffer(cap)
      const log: Array<["stdout" | "stderr", number]> = []
      for (let step = 0; step < 200; step++) {
        const stream = random(2) === 0 ? "stdout" : "stderr"
        const length = random(5) === 0 ? random(cap * 2 + 3) : random(12)
        const chunk = Uint8Array.from({ length }, () => (random(4) === 0 ? 10 : 97 + random(26)))
        buffer.append(stream, chunk)
        for (const b of chunk) log.push([stream, b])
        const kept = log.slice(Math.max(0, log.length - cap))
        const droppedPart = log.slice(0, Math.max(0, log.length - cap))
        const expectedStream = (name: "stdout" | "stderr") => kept.filter(([s]) => s === name).map(([, b]) => b)
        const droppedOf = (name: "stdout" | "stderr") => droppedPart.filter(([s]) => s === name).length
        assert.strictEqual(buffer.bytesDropped("stdout"), droppedOf("stdout"))
        assert.strictEqual(buffer.bytesDropped("stderr"), droppedOf("stderr"))
        assert.deepStrictEqual(Array.from(buffer.read("stdout", 0, Infinity)), expectedStream("stdout"))
        assert.deepStrictEqual(Array.from(buffer.read("stderr", 0, Infinity)), expectedStream("stderr"))
        assert.deepStrictEqual(Array.from(buffer.readInterleaved()), kept.map(([, b]) => b))
        // A read from an arbitrary earlier position.
        const from = { stdout: random(buffer.position.stdout + 1), stderr: random(buffer.position.stderr + 1) }
        const slice = buffer.readSince(from)
        const stdoutAll = log.filter(([s]) => s === "stdout").map(([, b]) => b)
        const stdoutFrom = Math.max(from.stdout, droppedOf("stdout"))
        assert.deepStrictEqual(Array.from(slice.stdout), stdoutAll.slice(stdoutFrom))
        assert.strictEqual(slice.droppedStdout, Math.max(0, droppedOf("stdout") - from.stdout))
        // Tail: the naive answer from the retained stdout text.
        const lines = 1 + random(4)
        const retained = String.fromCharCode(...expectedStream("stdout"))
        const body = retained.endsWith("\n") ? retained.slice(0, -1) : retained
        const parts = body.split("\n")
        const naive = parts.length <= lines ? retained : retained.slice(body.length - parts.slice(-lines).join("\n").length)
        const actual = String.fromCharCode(...buffer.read("stdout", buffer.tailStart("stdout", lines), Infinity))
        assert.strictEqual(actual, naive)
      }
    }
  })

  it("rejects a capacity that is not a positive integer", () => {
    assert.throws(() => new OutputBuffer(0))
    assert.throws(() => new OutputBuffer(1.5))
  })
})
