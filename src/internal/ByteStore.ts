/**
 * The backing store of an output ring: `size` bytes addressed modulo `size`, held in fixed segments that are
 * allocated when first written. A ring grows with what a job writes, up to its cap, without ever copying what
 * it holds (no doubling and moving), and a flood touches each page of it once.
 *
 * @internal
 */

/** Small enough that a quiet job holds little, large enough that a 64 KiB read spans a handful. */
const SEGMENT_SIZE = 16 * 1024

/**
 * Occurrences of `byte` in `view`: a native search per occurrence while they are sparse (long lines), a plain
 * loop once they are dense, where one native call per occurrence would cost ten times more (`yes` output).
 */
const countIn = (view: Uint8Array, byte: number): number => {
  const dense = view.length >> 4
  let count = 0
  for (let at = view.indexOf(byte); at >= 0; at = view.indexOf(byte, at + 1)) {
    count++
    if (count > dense) {
      for (let rest = at + 1; rest < view.length; rest++) if (view[rest] === byte) count++
      return count
    }
  }
  return count
}

/** @internal */
export class ByteStore {
  private readonly segments: Array<Uint8Array | undefined>
  private readonly segmentSize: number

  constructor(readonly size: number) {
    this.segmentSize = Math.min(size, SEGMENT_SIZE)
    this.segments = new Array<Uint8Array | undefined>(Math.ceil(size / this.segmentSize))
  }

  /** Writes `bytes` (at most `size` of them) at `offset`, modulo the size. */
  write(offset: number, bytes: Uint8Array): void {
    let physical = offset % this.size
    let done = 0
    while (done < bytes.length) {
      const index = Math.floor(physical / this.segmentSize)
      const at = physical - index * this.segmentSize
      const stretch = Math.min(bytes.length - done, this.segmentSize - at, this.size - physical)
      // Uninitialised: only what was written is ever read, and pages not yet written cost no memory.
      const segment = this.segments[index] ??= Buffer.allocUnsafeSlow(Math.min(this.segmentSize, this.size - index * this.segmentSize))
      segment.set(bytes.subarray(done, done + stretch), at)
      done += stretch
      physical = (physical + stretch) % this.size
    }
  }

  /** Calls `visit` with views of the `length` bytes written at `offset` (modulo the size), in order. */
  views(offset: number, length: number, visit: (view: Uint8Array) => void): void {
    let physical = offset % this.size
    let remaining = length
    while (remaining > 0) {
      const index = Math.floor(physical / this.segmentSize)
      const at = physical - index * this.segmentSize
      const stretch = Math.min(remaining, this.segmentSize - at, this.size - physical)
      visit(this.segments[index]!.subarray(at, at + stretch))
      remaining -= stretch
      physical = (physical + stretch) % this.size
    }
  }

  /** Copies `length` bytes written at `offset` (modulo the size) into `target` at `targetOffset`. */
  copyOut(offset: number, length: number, target: Uint8Array, targetOffset: number): void {
    let done = targetOffset
    this.views(offset, length, (view) => {
      target.set(view, done)
      done += view.length
    })
  }

  /** How many times `byte` occurs in the `length` bytes written at `offset` (modulo the size). */
  count(byte: number, offset: number, length: number): number {
    let count = 0
    this.views(offset, length, (view) => {
      count += countIn(view, byte)
    })
    return count
  }

  /** Where the last `byte` in [from, to) is (offsets as written, not modulo), or -1. */
  lastIndexOf(byte: number, from: number, to: number): number {
    let end = to
    while (end > from) {
      const physicalEnd = ((end - 1) % this.size) + 1
      const index = Math.floor((physicalEnd - 1) / this.segmentSize)
      const segmentStart = index * this.segmentSize
      const stretch = Math.min(end - from, physicalEnd - segmentStart)
      const at = physicalEnd - stretch - segmentStart
      const found = this.segments[index]!.subarray(at, at + stretch).lastIndexOf(byte)
      if (found >= 0) return end - stretch + found
      end -= stretch
    }
    return -1
  }
}
