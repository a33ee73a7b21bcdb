/**
 * One job's record: what was asked, its process, its output ring, its status, and signals that wake
 * whoever waits on it when output arrives or its state changes.
 *
 * @since 0.1.0
 */
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import type * as Option from "effect/Option"
import type * as Scope from "effect/Scope"
import * as os from "node:os"
import { InvalidArgument } from "../domain/errors.js"
import type { JobStatus, StdinMode } from "../domain/JobStatus.js"
import type { JobDetails, JobPorts, JobRun, JobSummary } from "../domain/JobViews.js"
import type { Position, StreamName } from "../OutputBuffer.js"
import { OutputBuffer } from "../OutputBuffer.js"
import type { ExitInfo, JobProcess } from "../Spawner.js"
import type { LinePattern } from "./LinePattern.js"
import type { RestartPolicy } from "./RestartPolicy.js"

/**
 * What a job was started with; `restart` starts a new job from the same spec.
 *
 * @since 0.1.0
 * @category models
 */
export interface JobSpec {
  readonly command: string
  /** Absolute working directory. */
  readonly cwd: string
  /** Variables added to the inherited environment. */
  readonly env: Readonly<Record<string, string>>
  readonly timeout: Option.Option<Duration.Duration>
  readonly stdin: StdinMode
  /** Who started the job; only the manager and that owner's view see it. */
  readonly owner?: string | undefined
  /** When the job counts as ready: a line of output matches, or it listens on a port (`true`: any). */
  readonly ready?: { readonly until: LinePattern } | { readonly port: true | number } | undefined
  /** Whether the command runs again when it exits; none means `no`. */
  readonly restart?: RestartPolicy | undefined
}

/**
 * Why the runtime stopped a job; decides its final status whatever the process does while dying.
 *
 * @internal
 */
export type StopReason = "killed" | "timed_out"

/**
 * Callbacks to run when something happens to a job. Firing with no listener costs nothing, so an
 * unwatched job pays nothing per output chunk.
 *
 * @internal
 */
export class Notifier {
  private readonly listeners = new Set<() => void>()

  /** Registers a listener; the returned function removes it. */
  listen(listener: () => void): () => void {
    this.listeners.add(listener)
    return () => this.listeners.delete(listener)
  }

  fire(): void {
    for (const listener of this.listeners) listener()
  }
}

/** Earlier runs kept in a job's details: a job that restarts for days does not grow without bound. */
const RUNS_KEPT = 20

/** A job's ready condition in words: its pattern, `port 3000` or `any port`. */
const describeReady = (ready: JobSpec["ready"]): string | null =>
  ready === undefined ? null : "until" in ready ? ready.until.source : ready.port === true ? "any port" : `port ${ready.port}`

/**
 * The opaque cursor for a position in a job's output: `<first 8 characters of the id>:<stdout>:<stderr>`.
 *
 * @internal
 */
export const cursorFor = (jobId: string, position: Position): string =>
  `${jobId.slice(0, 8)}:${position.stdout}:${position.stderr}`

/**
 * The state of one job, owned by the `JobManager`. It is created once its process has started, so it always
 * has one; its state changes only through the transition methods, each of which wakes whoever waits on the
 * job.
 *
 * @internal
 */
export class Job {
  readonly buffer: OutputBuffer
  /** Fired for every chunk of output. */
  readonly outputArrived = new Notifier()
  /** Fired when the status, the exit or stdin changes. */
  readonly stateChanged = new Notifier()
  /** Fired when the ports the job listens on change. */
  readonly portsChanged = new Notifier()
  /** The ports found by the last look; null while unknown. */
  private portsValue: JobPorts | null = null
  private exitInfo: ExitInfo | undefined
  private endedAtDate: Date | undefined
  private stopReasonValue: StopReason | undefined
  /** Signals sent on request (`kill` with a signal): the shell ending on one of them is `killed`, not `failed`. */
  private readonly signalsSent = new Set<string>()
  private removed = false
  private drained = false
  private shuttingDown = false
  private currentProcess: JobProcess
  private runStartedAt: Date
  private readonly earlierRuns: Array<JobRun> = []
  private restartCount = 0
  /** Restarts since the last stable run: what the restart policy's limit counts. */
  consecutiveRestarts = 0

  constructor(
    readonly id: string,
    readonly spec: JobSpec,
    readonly startedAt: Date,
    outputCap: number,
    /** The started process. */
    process: JobProcess,
    /** The scope that owns the job's processes; closing it stops the current process group. */
    readonly scope: Scope.CloseableScope
  ) {
    this.buffer = new OutputBuffer(outputCap)
    this.currentProcess = process
    this.runStartedAt = startedAt
  }

  /** The process of the current run (a restart policy replaces it). */
  get process(): JobProcess {
    return this.currentProcess
  }

  /** When the current run started. */
  get currentRunStartedAt(): Date {
    return this.runStartedAt
  }

  /** How many times the restart policy started the command again. */
  get restarts(): number {
    return this.restartCount
  }

  /** The restart policy replaced the run that ended with `exit` at `endedAt` by `process`, started at `startedAt`. */
  startNextRun(exit: ExitInfo, endedAt: Date, process: JobProcess, startedAt: Date): void {
    this.earlierRuns.push({ pid: this.currentProcess.pid, startedAt: this.runStartedAt, endedAt, exitCode: exit.code, signal: exit.signal })
    if (this.earlierRuns.length > RUNS_KEPT) this.earlierRuns.shift()
    this.currentProcess = process
    this.runStartedAt = startedAt
    this.restartCount++
    this.consecutiveRestarts++
    this.stateChanged.fire()
  }

  get exit(): ExitInfo | undefined {
    return this.exitInfo
  }

  get endedAt(): Date | undefined {
    return this.endedAtDate
  }

  /** Why the runtime stopped the job, once it did. */
  get stopReason(): StopReason | undefined {
    return this.stopReasonValue
  }

  /** Whether the output the shell wrote before it exited has been read: the output is complete. */
  get outputComplete(): boolean {
    return this.drained
  }

  /**
   * Whether waiting on the job is over: its shell has exited and its last output has been read (a killed
   * job's status is final at once, but its output is not), it was removed, or the runtime is shutting down.
   */
  get settled(): boolean {
    return this.drained || this.removed || this.shuttingDown
  }

  /** Whether the shell is still alive; a job holds a concurrency slot until then. */
  get processRunning(): boolean {
    return this.exitInfo === undefined
  }

  get status(): JobStatus {
    if (this.stopReasonValue !== undefined) return this.stopReasonValue
    if (this.exitInfo === undefined) return "running"
    return this.outcomeOf(this.exitInfo)
  }

  /** The status an exit gives a job the runtime did not stop: killed by a signal sent with `kill`, else completed or failed. */
  outcomeOf(exit: ExitInfo): "completed" | "failed" | "killed" {
    if (this.signalsSent.size > 0 && this.endedBySentSignal(exit)) return "killed"
    return exit.code === 0 ? "completed" : "failed"
  }

  /** Whether the runtime decided to stop the job (kill, timeout, shutdown): no restart follows. */
  get stopping(): boolean {
    return this.stopReasonValue !== undefined || this.shuttingDown
  }

  /** Whether the shell died of a signal sent with `kill`, or exited with 128 + its number (its program died of it). */
  private endedBySentSignal(exit: ExitInfo): boolean {
    const signals: Record<string, number> = os.constants.signals
    for (const name of this.signalsSent) {
      const number = signals[name]
      if (exit.signal === name || (number !== undefined && exit.code === 128 + number)) return true
    }
    return false
  }

  get ports(): JobPorts | null {
    return this.portsValue
  }

  /** Records the ports a look found; the previous ones, so that a caller can tell a change. */
  setPorts(ports: JobPorts | null): JobPorts | null {
    const previous = this.portsValue
    this.portsValue = ports
    this.portsChanged.fire()
    return previous
  }

  append(stream: StreamName, chunk: Uint8Array): void {
    this.buffer.append(stream, chunk)
    this.outputArrived.fire()
  }

  /** The shell exited: the status is final and the slot is free. */
  markExited(exit: ExitInfo, at: Date): void {
    this.exitInfo = exit
    this.endedAtDate = at
    this.stateChanged.fire()
  }

  /** The output the shell wrote before it exited has been read. */
  markDrained(): void {
    this.drained = true
    this.stateChanged.fire()
  }

  /** Decides that the runtime stops a running job, and why; false when it is not running (nothing decided). */
  markStopping(reason: StopReason): boolean {
    if (this.status !== "running") return false
    this.stopReasonValue = reason
    this.stateChanged.fire()
    return true
  }

  /** A signal was sent on request: if the shell ends of it, the job was killed. */
  recordSignal(signal: string): void {
    this.signalsSent.add(signal)
  }

  /** The runtime is shutting down: a running job is killed, and nobody should wait on it any longer. */
  markShuttingDown(): void {
    if (this.status === "running") this.stopReasonValue = "killed"
    this.shuttingDown = true
    this.stateChanged.fire()
  }

  /** The job left the registry (cleanup or shutdown). */
  markRemoved(): void {
    this.removed = true
    this.stateChanged.fire()
  }

  summary(): JobSummary {
    return {
      id: this.id,
      status: this.status,
      command: this.spec.command,
      startedAt: this.startedAt,
      endedAt: this.endedAtDate ?? null,
      exitCode: this.exitInfo?.code ?? null,
      ports: this.portsValue
    }
  }

  details(now: number, stdinOpen: boolean): JobDetails {
    const buffer = this.buffer
    return {
      ...this.summary(),
      signal: this.exitInfo?.signal ?? null,
      pid: this.process.pid,
      cwd: this.spec.cwd,
      durationMs: Math.max(0, (this.endedAtDate?.getTime() ?? now) - this.startedAt.getTime()),
      timeoutMs: this.spec.timeout._tag === "Some" ? Duration.toMillis(this.spec.timeout.value) : null,
      stdin: this.spec.stdin,
      stdinOpen,
      ready: describeReady(this.spec.ready),
      restartPolicy: this.spec.restart?.mode ?? "no",
      restarts: this.restartCount,
      runs: [...this.earlierRuns],
      stdoutBytes: buffer.bytesSeen("stdout"),
      stderrBytes: buffer.bytesSeen("stderr"),
      droppedStdoutBytes: buffer.bytesDropped("stdout"),
      droppedStderrBytes: buffer.bytesDropped("stderr"),
      retainedBytes: buffer.retained
    }
  }

  /** An opaque cursor for a position in this job's output. */
  cursorAt(position: Position): string {
    return cursorFor(this.id, position)
  }

  /** Reads a cursor given back by a caller, checking that it belongs to this job and is not ahead of it. */
  parseCursor(cursor: string): Effect.Effect<Position, InvalidArgument> {
    const match = /^([0-9a-f]{8}):(\d+):(\d+)$/.exec(cursor)
    if (match === null) {
      return Effect.fail(
        new InvalidArgument({
          argument: "cursor",
          reason: `${JSON.stringify(cursor)} is not a cursor. Pass the cursor value returned by a previous call, or omit it.`
        })
      )
    }
    if (match[1] !== this.id.slice(0, 8)) {
      return Effect.fail(
        new InvalidArgument({
          argument: "cursor",
          reason: `the cursor ${JSON.stringify(cursor)} belongs to another job. Use a cursor returned for job ${this.id}.`
        })
      )
    }
    const position = { stdout: Number(match[2]), stderr: Number(match[3]) }
    const seen = this.buffer.position
    if (position.stdout > seen.stdout || position.stderr > seen.stderr) {
      return Effect.fail(
        new InvalidArgument({
          argument: "cursor",
          reason: `the cursor ${JSON.stringify(cursor)} is ahead of the job's output. Use a cursor returned for this job.`
        })
      )
    }
    return Effect.succeed(position)
  }
}
