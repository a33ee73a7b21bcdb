/**
 * Reading a child's stdout and stderr pipes for the live spawner, as plain callbacks: no fiber, queue or stream
 * per chunk. Every pipe reads into one shared buffer (a read is handed on before the next read starts), so a
 * flood allocates nothing per chunk and leaves no garbage behind. Reading takes a fair share of each turn of
 * the event loop: once a turn has spent its budget, each pipe pauses after its current chunk until the next
 * turn, so that requests are answered however many jobs flood.
 *
 * @internal
 */
import * as net from "node:net"
import type { Readable } from "node:stream"
import type { StreamName } from "../../OutputBuffer.js"
import type { OutputSink } from "../../Spawner.js"

/** The time one turn of the event loop may spend reading output before the pipes wait for the next turn. */
const TURN_BUDGET_MS = 4
/** A pipe holds at most 64 KiB by default: one read takes at most that much. */
const READ_SIZE = 64 * 1024
/** Output kept while no sink is attached yet; beyond it the pipes wait (the process blocks) until one is. */
const PENDING_LIMIT = 1024 * 1024

/** The one read buffer of every pipe. */
const readBuffer = Buffer.allocUnsafe(READ_SIZE)

/** A pipe being read, ended once it has reached end-of-file or failed. */
interface PipeReader {
  readonly pause: () => void
  readonly resume: () => void
  readonly destroy: () => void
}

/** Every pipe being read, of every job. */
const openReaders = new Set<PipeReader>()

/**
 * The share of the event loop's turns that reading takes. Once a turn has spent its budget, every open pipe is
 * paused at once: libuv then skips the reads still due in this turn (a stopped watcher gets no callback), so a
 * turn costs the budget and one chunk, however many pipes are ready. The next turn resumes them.
 */
const turn = {
  startedAt: -1,
  paused: [] as Array<PipeReader>,
  /** Records a read; whether this turn may go on reading. */
  spend(): boolean {
    const now = performance.now()
    if (turn.startedAt < 0) {
      turn.startedAt = now
      // The check phase follows the poll phase that delivered the reads: the next turn begins there.
      setImmediate(turn.end)
    }
    if (now - turn.startedAt < TURN_BUDGET_MS) return true
    if (turn.paused.length === 0) {
      for (const reader of openReaders) {
        reader.pause()
        turn.paused.push(reader)
      }
    }
    return false
  },
  end(): void {
    turn.startedAt = -1
    for (const reader of turn.paused.splice(0)) if (openReaders.has(reader)) reader.resume()
  }
}

/**
 * Reads `pipe` into `onChunk` (a view of the shared buffer, valid during the call) until it ends, then calls
 * `onEnd` once. `onChunk` returns false to pause the pipe until `resume`.
 */
const readPipe = (pipe: Readable, onChunk: (chunk: Uint8Array) => boolean, onEnd: () => void): PipeReader => {
  let reader: PipeReader
  const end = () => {
    if (!openReaders.delete(reader)) return
    onEnd()
  }
  // A child's pipe is a net.Socket over a libuv pipe handle: a socket of our own on that handle reads into the
  // shared buffer (Node's `onread`). Where the handle is not there to take, plain `data` events do the same.
  const handle = (pipe as { _handle?: unknown })._handle
  if (pipe instanceof net.Socket && typeof handle === "object" && handle !== null) {
    const socket: net.Socket = new net.Socket({
      handle,
      readable: true,
      writable: false,
      onread: { buffer: readBuffer, callback: (length: number, buffer: Uint8Array) => onChunk(buffer.subarray(0, length)) }
    } as net.SocketConstructorOpts)
    socket.on("error", end)
    socket.on("close", end)
    // The child's own socket is left with nothing to read; Node still resumes it when the child exits.
    pipe.on("error", () => {})
    reader = { pause: () => socket.pause(), resume: () => socket.resume(), destroy: () => socket.destroy() }
  } else {
    pipe.on("data", (chunk: Buffer) => {
      if (!onChunk(chunk)) pipe.pause()
    })
    pipe.on("error", end)
    pipe.on("close", end)
    reader = { pause: () => pipe.pause(), resume: () => pipe.resume(), destroy: () => pipe.destroy() }
  }
  openReaders.add(reader)
  return reader
}

/**
 * Both output pipes of one child. Chunks go to the attached sink; before one is attached they are kept (up to a
 * limit, then the pipes wait for it), so that nothing read between the spawn and the runtime's first look is lost.
 *
 * @internal
 */
export class OutputPipes {
  private sink: OutputSink | undefined
  private pending: Array<readonly [StreamName, Uint8Array]> = []
  private pendingBytes = 0
  private open = 2
  private failure: unknown
  private readonly readers: ReadonlyArray<PipeReader>
  private readonly endListeners: Array<() => void> = []

  constructor(stdout: Readable, stderr: Readable) {
    this.readers = [
      readPipe(stdout, (chunk) => this.deliver("stdout", chunk), () => this.streamEnded()),
      readPipe(stderr, (chunk) => this.deliver("stderr", chunk), () => this.streamEnded())
    ]
  }

  /** Whether both pipes have ended. */
  get ended(): boolean {
    return this.open === 0
  }

  /** What the sink threw, if it did: reading stopped there. */
  get defect(): unknown {
    return this.failure
  }

  /** Hands every chunk to `sink` from now on, the chunks kept so far first. */
  attach(sink: OutputSink): void {
    for (const [stream, chunk] of this.pending) sink(stream, chunk)
    this.pending = []
    this.pendingBytes = 0
    this.sink = sink
    for (const reader of this.readers) reader.resume()
  }

  /** Calls `listener` once both pipes have ended (at once if they have). */
  onEnd(listener: () => void): void {
    if (this.ended) listener()
    else this.endListeners.push(listener)
  }

  /** Stops reading and closes both pipes (processes that still hold them open get EPIPE). */
  close(): void {
    for (const reader of this.readers) reader.destroy()
  }

  /** Whether the pipe may go on reading in this turn; when not, it is resumed at the next (or on `attach`). */
  private deliver(stream: StreamName, chunk: Uint8Array): boolean {
    if (this.sink === undefined) {
      this.pending.push([stream, Uint8Array.prototype.slice.call(chunk)])
      this.pendingBytes += chunk.length
      return this.pendingBytes < PENDING_LIMIT
    }
    try {
      this.sink(stream, chunk)
    } catch (defect) {
      this.failure = defect
      this.close()
      return false
    }
    return turn.spend()
  }

  private streamEnded(): void {
    this.open--
    if (this.open === 0) for (const listener of this.endListeners.splice(0)) listener()
  }
}
