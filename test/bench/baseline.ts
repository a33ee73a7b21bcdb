/** The physical baseline: plain Node `child_process.spawn`, measured the same way as our runtime. */
import { spawn } from "node:child_process"

/** Reads a command's stdout with on('data') into a ring of `cap` bytes; resolves bytes read and elapsed ms. */
export const spawnIntoRing = (command: string, cap: number): Promise<{ bytes: number; ms: number }> =>
  new Promise((resolve, reject) => {
    const ring = new Uint8Array(cap)
    let at = 0
    let bytes = 0
    const start = performance.now()
    const child = spawn("/bin/sh", ["-c", command], { stdio: ["ignore", "pipe", "pipe"] })
    const keep = (chunk: Buffer) => {
      bytes += chunk.length
      const tail = chunk.length > cap ? chunk.subarray(chunk.length - cap) : chunk
      const first = Math.min(tail.length, cap - at)
      ring.set(tail.subarray(0, first), at)
      if (first < tail.length) ring.set(tail.subarray(first), 0)
      at = (at + tail.length) % cap
    }
    child.stdout.on("data", keep)
    child.stderr.on("data", keep)
    child.on("error", reject)
    child.on("close", () => resolve({ bytes, ms: performance.now() - start }))
  })

/** Time to the 'spawn' event and to the first stdout byte. */
export const spawnLatency = (command: string): Promise<{ spawnMs: number; firstByteMs: number }> =>
  new Promise((resolve, reject) => {
    const start = performance.now()
    let spawnMs = Number.NaN
    const child = spawn("/bin/sh", ["-c", command], { stdio: ["ignore", "pipe", "ignore"] })
    child.on("spawn", () => (spawnMs = performance.now() - start))
    child.stdout.once("data", () => {
      const firstByteMs = performance.now() - start
      child.stdout.resume()
      child.on("close", () => resolve({ spawnMs, firstByteMs }))
    })
    child.on("error", reject)
  })

/** Runs a command to its exit. */
export const spawnToExit = (command: string): Promise<void> =>
  new Promise((resolve, reject) => {
    const child = spawn("/bin/sh", ["-c", command], { stdio: "ignore" })
    child.on("error", reject)
    child.on("exit", () => resolve())
  })

/** Time from `spawn` to the child's 'spawn' event (resolved once the child has exited, so none pile up). */
export const spawnToSpawnEvent = (command: string): Promise<number> =>
  new Promise((resolve, reject) => {
    const start = performance.now()
    let spawnMs = Number.NaN
    const child = spawn("/bin/sh", ["-c", command], { stdio: "ignore" })
    child.on("spawn", () => (spawnMs = performance.now() - start))
    child.on("error", reject)
    child.on("exit", () => resolve(spawnMs))
  })
