/**
 * Following every process of the live spawner's jobs: each job's group, plus the processes that leave it
 * (`setsid`), recorded by parent links once a second while jobs run (one read of the process table serves
 * every job) and by the job's marker at decisive moments. A `ProcessGuard` is told about each group and each
 * escaped process, and released once a job has none left.
 *
 * @internal
 */
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import type { ProcessGuard } from "../../ProcessGuard.js"
import type { SignalName, SignalTarget } from "../../Spawner.js"
import { JOB_MARKER_VARIABLE, JobTree, MarkerCache, SHARED_READ_AGE_MS } from "../jobTree.js"
import { listProcesses, pidsSince, type ProcessEntry, procAvailable, recentProcesses } from "../processTable.js"

/**
 * While jobs run, the process table is read this often to record processes that leave a job's group before
 * their parent exits and the link to them is lost.
 */
const TRACK_INTERVAL = Duration.seconds(1)
/** Far fewer than `pid_max` pids are handed out in this time, so the pids since a shell's are its job's candidates. */
const RECENT_PIDS_WINDOW_MS = 5_000

/** The processes of one job. @internal */
export interface JobProcesses {
  /** Sends a signal to the group (or its programs) and to every process of the job that left it. */
  readonly signal: (name: SignalName, target?: SignalTarget) => Effect.Effect<void>
  /**
   * Whether any process of the job is alive. "None" is only ever concluded from a fresh look for processes
   * that left the group: one may leave (setsid) at any moment, mid-sweep included, and once its parent is
   * gone only its marker links it to the job. Once concluded, it stays so: no process is left to start one.
   */
  readonly alive: Effect.Effect<boolean>
  /** Stops following the job and tells the guard to forget it. */
  readonly release: Effect.Effect<void>
  /** The pids of the job's live processes (from a read of the process table shared by calls this recent). */
  readonly pids: Effect.Effect<ReadonlyArray<number>>
}

/** @internal */
export interface ProcessTracker {
  /**
   * Follows the job whose shell is `pgid`; every process it starts carries `token` in `JOB_MARKER_VARIABLE`.
   * `shellRunning` tells whether the shell still runs.
   */
  readonly follow: (job: {
    readonly pgid: number
    readonly token: string
    readonly startedAfter: number
    readonly shellRunning: Effect.Effect<boolean>
  }) => Effect.Effect<JobProcesses>
}

/** A tracker reporting to `guard`; its once-a-second read runs in the scope while any job is followed. @internal */
export const makeProcessTracker = Effect.fnUntraced(function*(guard: ProcessGuard["Type"]) {
  /** Jobs whose processes may still be alive. */
  const trees = new Set<JobTree>()
  const markers = new MarkerCache()
  const tracking = yield* Effect.makeLatch(false)

  const reportEscaped = (tree: JobTree, found: ReadonlyArray<ProcessEntry>) =>
    Effect.forEach(found, (entry) => guard.watchProcess(tree.pgid, entry), { discard: true })

  yield* Effect.gen(function*() {
    yield* tracking.await
    yield* Effect.sleep(TRACK_INTERVAL)
    if (trees.size === 0) {
      yield* tracking.close
      // A job may have started while the latch closed.
      if (trees.size > 0) yield* tracking.open
      return
    }
    const table = listProcesses()
    markers.prune(table)
    for (const tree of trees) yield* reportEscaped(tree, tree.track(table))
  }).pipe(Effect.forever, Effect.when(() => procAvailable), Effect.forkScoped)

  const follow: ProcessTracker["follow"] = ({ pgid, shellRunning, startedAfter, token }) =>
    Effect.gen(function*() {
      const tree = new JobTree(pgid, token, startedAfter)
      const followedAt = Date.now()
      let released = false
      const release = Effect.suspend(() => {
        if (released) return Effect.void
        released = true
        trees.delete(tree)
        return guard.release(pgid)
      })
      /**
       * A fresh read of the processes that may be the job's: while the job is young, only the pids handed out
       * since its shell's; later the whole table. Never a shared older read: a process that just left the
       * group still shows its old group there.
       */
      const freshTable = () => (Date.now() - followedAt < RECENT_PIDS_WINDOW_MS ? listProcesses(pidsSince(pgid)) : listProcesses())
      /** Records what left the group (by parent links and by marker) and tells the guard; `pending` as in `findMarked`. */
      const lookForEscaped = Effect.suspend(() => {
        if (!procAvailable) return Effect.succeed({ table: [] as ReadonlyArray<ProcessEntry>, pending: false })
        const table = freshTable()
        const marked = tree.findMarked(table, markers)
        const found = [...tree.track(table), ...marked.found]
        return reportEscaped(tree, found).pipe(Effect.as({ table, pending: marked.pending }))
      })
      trees.add(tree)
      yield* tracking.open
      yield* guard.watchGroup({ pgid, marker: `${JOB_MARKER_VARIABLE}=${token}`, startedAfter })

      const alive = Effect.gen(function*() {
        if (released) return false
        if (yield* shellRunning) return true
        if (tree.groupAlive() || tree.escapedAlive()) return true
        const { pending } = yield* lookForEscaped
        if (pending || tree.escapedAlive()) return true
        yield* release
        return false
      })

      return {
        signal: (name, target = "group") => Effect.flatMap(lookForEscaped, ({ table }) => Effect.sync(() => tree.signal(name, table, target))),
        alive,
        release,
        pids: Effect.sync(() => (released || !procAvailable ? [] : tree.members(recentProcesses(SHARED_READ_AGE_MS))))
      } satisfies JobProcesses
    })

  return { follow }
})
