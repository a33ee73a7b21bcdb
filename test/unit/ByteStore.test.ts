import { assert, describe, it } from "@effect/vitest"
import { ByteStore } from "../../src/internal/ByteStore.js"
import { OutputBuffer } from "../../src/OutputBuffer.js"

/** A deterministic generator, so that a failure replays. */
const generator = (seed: number) => (n: number) => {
  seed = (seed * 1103515245 + 12345) % 2 ** 31
  return seed % n
}

describe("ByteStore", () => {
  it("agrees with a flat array on writes and reads across segment boundaries and wrap-around", () => {
    const random = generator(7)
    // Smaller than a segment, exactly three segments, and not a multiple of the segment size.
    for (const size of [100, 3 * 16 * 1024, 40_000]) {
      const store = new ByteStore(size)
      const model = new Uint8Array(size)
      let offset = 0
      for (let step = 0; step < 300; step++) {
        const length = 1 + random(Math.min(size, random(3) === 0 ? 70_000 : 300))
        const bytes = Uint8Array.from({ length }, () => (random(50) === 0 ? 10 : 97 + random(26)))
        store.write(offset, bytes)
        for (let i = 0; i < length; i++) model[(offset + i) % size] = bytes[i]!
        offset += length
        // Read back a window of what was written last, wrapping where it does.
        const window = 1 + random(length)
        const from = offset - window
        const out = new Uint8Array(window)
        store.copyOut(from, window, out, 0)
        const expected = Uint8Array.from({ length: window }, (_, i) => model[(from + i) % size]!)
        assert.deepStrictEqual(out, expected)
        const viewed: Array<number> = []
        store.views(from, window, (view) => viewed.push(...view))
        assert.deepStrictEqual(viewed, Array.from(expected))
        assert.strictEqual(store.count(10, from, window), expected.filter((byte) => byte === 10).length)
        const last = expected.lastIndexOf(10)
        assert.strictEqual(store.lastIndexOf(10, from, offset), last < 0 ? -1 : from + last)
      }
    }
  })

  it("counts a byte the same whether it is sparse or dense", () => {
    const store = new ByteStore(64 * 1024)
    const dense = Uint8Array.from({ length: 40_000 }, (_, i) => (i % 2 === 0 ? 10 : 121))
    const sparse = Uint8Array.from({ length: 20_000 }, (_, i) => (i % 5000 === 4999 ? 10 : 120))
    store.write(0, dense)
    store.write(40_000, sparse)
    assert.strictEqual(store.count(10, 0, 40_000), 20_000)
    assert.strictEqual(store.count(10, 40_000, 20_000), 4)
    assert.strictEqual(store.count(10, 39_990, 20), 5)
  })

  it("takes memory as it is written: a quiet ring holds one segment", () => {
    const store = new ByteStore(10 * 1024 * 1024)
    store.write(0, new Uint8Array([1, 2, 3]))
    const segments = (store as unknown as { segments: Array<Uint8Array | undefined> }).segments
    assert.strictEqual(segments.filter((segment) => segment !== undefined).length, 1)
  })
})

describe("OutputBuffer on segments", () => {
  it("keeps every retained byte, line count and tail right when the cap spans many segments", () => {
    const random = generator(11)
    const cap = 100_000
    const buffer = new OutputBuffer(cap)
    let all = ""
    for (let step = 0; step < 200; step++) {
      const line = "x".repeat(random(3000)) + (random(3) === 0 ? "" : "\n")
      buffer.append("stdout", new TextEncoder().encode(line))
      all += line
      const kept = all.slice(Math.max(0, all.length - cap))
      assert.strictEqual(new TextDecoder().decode(buffer.read("stdout", 0, Infinity)), kept)
      assert.strictEqual(buffer.countNewlines("stdout", 0, Infinity), kept.split("\n").length - 1)
      const body = kept.endsWith("\n") ? kept.slice(0, -1) : kept
      const parts = body.split("\n")
      const lastTwo = parts.length <= 2 ? kept : kept.slice(body.length - parts.slice(-2).join("\n").length)
      assert.strictEqual(new TextDecoder().decode(buffer.read("stdout", buffer.tailStart("stdout", 2), Infinity)), lastTwo)
    }
  })
})
