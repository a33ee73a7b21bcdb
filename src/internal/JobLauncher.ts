/**
 * Starting jobs: a slot reserved, the process spawned in a scope of its own, the job registered and
 * supervised as a fiber of the manager, and removed (its scope closed) once its cleanup interval has passed.
 * On shutdown every job is told first (waiters return, running jobs read killed), then all job scopes close
 * at once, each stopping its group.
 *
 * @internal
 */
import * as Clock from "effect/Clock"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as ExecutionStrategy from "effect/ExecutionStrategy"
import * as Exit from "effect/Exit"
import * as FiberMap from "effect/FiberMap"
import * as Scope from "effect/Scope"
import { randomUUID } from "node:crypto"
import { JobLimitReached, type SpawnFailed } from "../domain/errors.js"
import { JobEvent } from "../domain/JobEvent.js"
import type { JobDetails } from "../domain/JobViews.js"
import type { JobConfig } from "../JobConfig.js"
import { jobEnvironment } from "../policy/JobEnvironment.js"
import type { Spawner } from "../Spawner.js"
import type { EventHub } from "./EventHub.js"
import { Job, type JobSpec } from "./Job.js"
import type { JobTable, Reservation } from "./JobTable.js"
import type { PortMonitor } from "./PortMonitor.js"
import { backoffDelay, restartLine, type RestartPolicy, restartsAfter, STABLE_RUN } from "./RestartPolicy.js"
import { stopGroup, supervise, type SupervisorHooks } from "./Supervisor.js"

/** Succeeds (with true) once the runtime decided to stop the job: kill, timeout or shutdown. */
const untilStopping = (job: Job): Effect.Effect<boolean> =>
  Effect.async<boolean>((resume) => {
    if (job.stopping) return resume(Effect.succeed(true))
    const unlisten = job.stateChanged.listen(() => {
      if (!job.stopping) return
      unlisten()
      resume(Effect.succeed(true))
    })
    return Effect.sync(unlisten)
  })

/** @internal */
export interface JobLauncher {
  /** Starts a job from its spec, within the job limit. */
  readonly start: (spec: JobSpec) => Effect.Effect<JobDetails, JobLimitReached | SpawnFailed>
  /** The job's details as of now. */
  readonly details: (job: Job) => Effect.Effect<JobDetails>
}

/** @internal */
export const makeJobLauncher = Effect.fnUntraced(function*(options: {
  readonly config: JobConfig
  readonly table: JobTable
  readonly hub: EventHub
  readonly spawner: Spawner["Type"]
  readonly ports: PortMonitor
}) {
  const { config, hub, ports, spawner, table } = options
  const fibers = yield* FiberMap.make<string>()
  // Job scopes are children of the manager's, closed in parallel: on shutdown all jobs stop at once, not one grace period after another.
  const jobScopes = yield* Scope.fork(yield* Effect.scope, ExecutionStrategy.parallel)
  // Runs before the job scopes close on shutdown: a job stopped by the shutdown reads killed, whatever its
  // process does while dying, and whoever waits on a job is told at once.
  yield* Effect.addFinalizer(() =>
    Effect.sync(() => {
      for (const job of table.all()) job.markShuttingDown()
    })
  )
  const hooks: SupervisorHooks = {
    onOutput: hub.publishOutput,
    onExit: (job) =>
      Effect.flatMap(Clock.currentTimeMillis, (now) =>
        hub.publish(JobEvent.Exited({
          jobId: job.id,
          command: job.spec.command,
          status: job.status,
          exitCode: job.exit?.code ?? null,
          signal: job.exit?.signal ?? null,
          endedAt: job.endedAt ?? new Date(now)
        })))
  }
  const settings = { killGrace: config.killGrace, cleanupInterval: config.cleanupInterval }

  const details = Effect.fnUntraced(function*(job: Job) {
    const now = yield* Clock.currentTimeMillis
    const stdinOpen = job.processRunning ? yield* job.process.stdinOpen : false
    return job.details(now, stdinOpen)
  })

  /** Takes the job out of the table and closes its scope (which stops whatever is left of its group). */
  const remove = (job: Job) =>
    Effect.suspend(() => {
      table.remove(job.id)
      job.markRemoved()
      return Scope.close(job.scope, Exit.void).pipe(Effect.zipRight(hub.publish(JobEvent.Removed({ jobId: job.id }))))
    })

  /** Spawns a run of the job's command in `scope`, which stops its group when it closes. */
  const spawnRun = Effect.fnUntraced(function*(spec: JobSpec, scope: Scope.CloseableScope) {
    const process = yield* spawner.spawn({
      shell: config.shell,
      command: spec.command,
      limits: config.limits,
      cwd: spec.cwd,
      env: jobEnvironment({ inherited: globalThis.process.env, scrub: config.scrubEnv, extra: spec.env }),
      stdin: spec.stdin
    }).pipe(
      Scope.extend(scope),
      // A failed or broken spawn leaves nothing behind: what it acquired is released now, not at shutdown.
      Effect.onError(() => Scope.close(scope, Exit.void))
    )
    // Added last, so it runs first when the scope closes: the graceful stop before the hard one.
    yield* Scope.addFinalizer(scope, stopGroup(process, config.killGrace))
    return process
  })

  /**
   * A job's restart policy as its supervisor runs it: each later run is spawned, after its back-off on the
   * clock, in a scope of its own inside the job's (closed once the run after it starts, or with the job), so
   * that the group stop, the sweep, the guard and shutdown hold for every run. A kill, timeout or shutdown
   * during the back-off ends the job instead.
   */
  const restartPolicy = (policy: RestartPolicy): NonNullable<SupervisorHooks["restart"]> => {
    let runScope: Scope.CloseableScope | undefined
    let exitedAt = 0
    return {
      wanted: (job, exit) =>
        Effect.map(Clock.currentTimeMillis, (now) => {
          exitedAt = now
          if (now - job.currentRunStartedAt.getTime() >= Duration.toMillis(STABLE_RUN)) job.consecutiveRestarts = 0
          return !job.stopping && restartsAfter(policy, job.outcomeOf(exit), job.consecutiveRestarts)
        }),
      start: (job, exit) =>
        Effect.gen(function*() {
          const attempt = job.consecutiveRestarts + 1
          if (yield* Effect.raceFirst(Effect.as(Effect.sleep(backoffDelay(attempt)), false), untilStopping(job))) return false
          if (runScope !== undefined) yield* Scope.close(runScope, Exit.void)
          const scope = yield* Scope.fork(job.scope, ExecutionStrategy.sequential)
          runScope = scope
          const spawned = yield* Effect.either(spawnRun(job.spec, scope))
          if (Either.isLeft(spawned)) {
            yield* note(job, `[mcp-background-job] could not restart: ${spawned.left.message}\n`) ?? Effect.void
            return false
          }
          // Stopped while the new run was starting: it goes at once, and the job ends with the earlier exit.
          if (job.stopping) {
            yield* Scope.close(scope, Exit.void)
            return false
          }
          const process = spawned.right
          job.startNextRun(exit, new Date(exitedAt), process, new Date(yield* Clock.currentTimeMillis))
          yield* note(job, restartLine(exit, attempt, policy.maxRestarts)) ?? Effect.void
          yield* hub.publish(JobEvent.Restarted({
            jobId: job.id,
            pid: process.pid,
            restarts: job.restarts,
            attempt,
            maxRestarts: policy.maxRestarts,
            exitCode: exit.code,
            signal: exit.signal,
            endedAt: new Date(exitedAt)
          }))
          yield* Effect.logInfo("job restarted").pipe(Effect.annotateLogs({ job: job.id, pid: process.pid, attempt }))
          return true
        })
    }
  }

  /** Adds a line of the runtime's own to the job's stderr, as output. */
  const note = (job: Job, line: string) => {
    const bytes = new TextEncoder().encode(line)
    job.append("stderr", bytes)
    return hooks.onOutput(job, "stderr", bytes)
  }

  /** Spawns the job's process in a scope of its own and registers the job in the reserved slot. */
  const launch = Effect.fnUntraced(function*(spec: JobSpec, slot: Reservation) {
    const id = randomUUID()
    const startedAt = new Date(yield* Clock.currentTimeMillis)
    const scope = yield* Scope.fork(jobScopes, ExecutionStrategy.sequential)
    const process = yield* spawnRun(spec, scope)
    const job = new Job(id, spec, startedAt, config.maxOutputSize, process, scope)
    slot.fill(job)
    yield* ports.jobStarted(job)
    const policy = spec.restart === undefined || spec.restart.mode === "no" ? undefined : restartPolicy(spec.restart)
    yield* FiberMap.run(fibers, id, supervise(job, settings, { ...hooks, restart: policy }).pipe(Effect.ensuring(remove(job))))
    yield* hub.publish(JobEvent.Started({ jobId: id, command: spec.command, pid: process.pid }))
    yield* Effect.logInfo("job started").pipe(Effect.annotateLogs({ job: id, pid: process.pid, command: spec.command }))
    return yield* details(job)
  })

  const start = (spec: JobSpec) =>
    Effect.uninterruptible(Effect.suspend((): Effect.Effect<JobDetails, JobLimitReached | SpawnFailed> => {
      const slot = table.reserve(config.maxJobs)
      if (slot === undefined) return Effect.fail(new JobLimitReached({ limit: config.maxJobs }))
      return launch(spec, slot).pipe(Effect.ensuring(Effect.sync(slot.cancel)))
    }))

  return { details, start } satisfies JobLauncher
})
