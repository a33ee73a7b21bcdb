/**
 * The registry of jobs and the concurrency slots they hold. A slot is reserved before the spawn and filled by
 * the job's registration in one step, so that the count of running jobs plus reservations never undercounts,
 * whatever runs between two steps of a fiber.
 *
 * @internal
 */
import * as Effect from "effect/Effect"
import { JobNotFound } from "../domain/errors.js"
import type { Job } from "./Job.js"

/**
 * A slot taken for a job that is starting: filled when the job is registered, given back otherwise.
 *
 * @internal
 */
export interface Reservation {
  /** Registers the job in the slot. */
  readonly fill: (job: Job) => void
  /** Gives the slot back unless it was filled; safe to call more than once. */
  readonly cancel: () => void
}

/** @internal */
export class JobTable {
  private readonly jobs = new Map<string, Job>()
  /** Slots taken by starts between their reservation and their registration. */
  private reserved = 0

  get(id: string): Job | undefined {
    return this.jobs.get(id)
  }

  /** The job, or `JobNotFound`. */
  lookup(id: string): Effect.Effect<Job, JobNotFound> {
    return Effect.suspend(() => {
      const job = this.jobs.get(id)
      return job === undefined ? Effect.fail(new JobNotFound({ jobId: id })) : Effect.succeed(job)
    })
  }

  /** Every job, oldest first. */
  all(): IterableIterator<Job> {
    return this.jobs.values()
  }

  /** Takes a slot if fewer than `limit` jobs run or are starting; undefined when none is free. */
  reserve(limit: number): Reservation | undefined {
    if (this.runningCount() + this.reserved >= limit) return undefined
    this.reserved++
    let open = true
    return {
      fill: (job) => {
        if (!open) return
        open = false
        this.jobs.set(job.id, job)
        this.reserved--
      },
      cancel: () => {
        if (!open) return
        open = false
        this.reserved--
      }
    }
  }

  remove(id: string): void {
    this.jobs.delete(id)
  }

  private runningCount(): number {
    let count = 0
    for (const job of this.jobs.values()) if (job.processRunning) count++
    return count
  }
}
