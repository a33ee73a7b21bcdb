/**
 * The ports each job listens on, kept on the job: one scan covers every job (the sockets are read once),
 * a scan less than a second old answers `status` and `list`, and while jobs run a watcher notices a job
 * that starts or stops listening (a `PortsChanged` event, and `portsChanged` for waiters). The watcher's
 * tick only reads the listening sockets' inodes and scans the jobs' descriptors when those changed; it
 * ticks every 2 seconds, and five times a second while someone waits on a port. Measured here (a 2-core VM
 * whose TCP hash has 262,144 buckets): a tick costs about 4 ms, most of it the kernel walking that hash to
 * write /proc/net/tcp and tcp6; a scan adds a read of the process table (about 0.1 ms per process) and of
 * each job process's descriptors.
 *
 * @internal
 */
import * as Clock from "effect/Clock"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import { JobEvent } from "../domain/JobEvent.js"
import type { JobPorts } from "../domain/JobViews.js"
import type { EventHub } from "./EventHub.js"
import type { Job } from "./Job.js"
import type { JobTable } from "./JobTable.js"
import { listeningFingerprint, portSource, scanPorts, stillListening } from "./portScan.js"
import { samePorts } from "./socketTable.js"

/** A scan this recent answers `status` and `list`. @internal */
export const PORT_CACHE_MS = 1_000
const WATCH_INTERVAL = Duration.seconds(2)
const WAITED_INTERVAL = Duration.millis(200)
const FREE_POLL = Duration.millis(50)

const NO_PORTS: JobPorts = { tcp: [], udp: [] }

/** @internal */
export interface PortMonitor {
  /** Brings every job's ports up to date, unless a scan at most `maxAgeMs` old covered `jobs`. */
  readonly refresh: (jobs: Iterable<Job>, maxAgeMs?: number) => Effect.Effect<void>
  /** Runs `effect` with the watcher ticking fast: someone waits for a port. */
  readonly watching: <A, E, R>(effect: Effect.Effect<A, E, R>) => Effect.Effect<A, E, R>
  /** A job started: its ports are known to be none yet (where they can be read), and the watcher runs. */
  readonly jobStarted: (job: Job) => Effect.Effect<void>
  /** Waits until nothing listens on any of `ports`, within `bound`: true once free, null where sockets cannot be read. */
  readonly awaitFree: (ports: JobPorts, bound: Duration.Duration) => Effect.Effect<boolean | null>
}

/** Whether the job's ports can be read here. */
const observable = (job: Job) => job.process.processIds !== undefined && portSource() !== "none"

/** Whether the watcher must keep looking at the job: it runs, or it held ports when last seen. */
const watched = (job: Job) =>
  observable(job) && (job.processRunning || (job.ports !== null && (job.ports.tcp.length > 0 || job.ports.udp.length > 0)))

/** @internal */
export const makePortMonitor = Effect.fnUntraced(function*(table: JobTable, hub: EventHub) {
  const lock = yield* Effect.makeSemaphore(1)
  const active = yield* Effect.makeLatch(false)
  let lastScanAt = Number.NEGATIVE_INFINITY
  let scanned = new Set<string>()
  let waiters = 0

  const update = (job: Job, ports: JobPorts | null) => {
    const previous = job.setPorts(ports)
    return ports !== null && previous !== null && !samePorts(previous, ports) ?
      hub.publish(JobEvent.PortsChanged({ jobId: job.id, ports })) :
      Effect.void
  }

  /** One scan for every job whose ports can be read. */
  const scanAll = Effect.gen(function*() {
    const jobs = Array.from(table.all()).filter(observable)
    const owners = yield* Effect.forEach(jobs, (job) =>
      Effect.map(job.process.processIds!, (pids) => ({
        // Once the shell is gone its group id may be handed out again: only the pids found count.
        pgid: job.processRunning ? job.process.pid : -1,
        pids
      })))
    const ports = yield* scanPorts(owners)
    lastScanAt = yield* Clock.currentTimeMillis
    scanned = new Set(jobs.map((job) => job.id))
    yield* Effect.forEach(jobs, (job, index) => update(job, ports?.[index] ?? null), { discard: true })
  })

  const refresh = (jobs: Iterable<Job>, maxAgeMs = PORT_CACHE_MS) =>
    lock.withPermits(1)(Effect.gen(function*() {
      const wanted = Array.from(jobs).filter(observable)
      if (wanted.length === 0) return
      const now = yield* Clock.currentTimeMillis
      if (now - lastScanAt > maxAgeMs || wanted.some((job) => !scanned.has(job.id))) yield* scanAll
    }))

  // The watcher: while jobs run, a tick reads the listening sockets' inodes; only a change (or another set of
  // jobs) costs a scan of the jobs' descriptors. Where only lsof works, it scans only while someone waits.
  let fingerprint: string | undefined
  let jobsKey = ""
  yield* Effect.gen(function*() {
    yield* active.await
    yield* Effect.sleep(waiters > 0 ? WAITED_INTERVAL : WATCH_INTERVAL)
    const jobs = Array.from(table.all()).filter(watched)
    if (jobs.length === 0) {
      yield* active.close
      if (Array.from(table.all()).some(watched)) yield* active.open
      return
    }
    const key = jobs.map((job) => `${job.id}:${job.processRunning}`).join(" ")
    const seen = listeningFingerprint()
    if (seen === undefined && waiters === 0) return
    if (seen !== undefined && seen === fingerprint && key === jobsKey) {
      // Nothing listens or stops listening, and the same jobs run: the last scan still holds.
      if (scanned.size > 0) lastScanAt = yield* Clock.currentTimeMillis
      return
    }
    fingerprint = seen
    jobsKey = key
    yield* lock.withPermits(1)(scanAll)
  }).pipe(Effect.forever, Effect.forkScoped)

  const watching = <A, E, R>(effect: Effect.Effect<A, E, R>): Effect.Effect<A, E, R> =>
    Effect.acquireUseRelease(
      Effect.sync(() => {
        waiters++
      }),
      () => effect,
      () =>
        Effect.sync(() => {
          waiters--
        })
    )

  const jobStarted = (job: Job) =>
    Effect.suspend(() => {
      if (!observable(job)) return Effect.void
      job.setPorts(NO_PORTS)
      return active.open
    })

  const awaitFree = Effect.fnUntraced(function*(ports: JobPorts, bound: Duration.Duration) {
    const deadline = (yield* Clock.currentTimeMillis) + Duration.toMillis(bound)
    while (true) {
      const busy = yield* stillListening(ports)
      if (busy === undefined) return null
      if (busy.length === 0) return true
      if ((yield* Clock.currentTimeMillis) >= deadline) return false
      yield* Effect.sleep(FREE_POLL)
    }
  })

  return { refresh, watching, jobStarted, awaitFree } satisfies PortMonitor
})
