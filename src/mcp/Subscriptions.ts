/**
 * The bookkeeping of resource subscriptions: which job resource URIs a client subscribed to, and the
 * output size it was last told about, so that it is told again only when the output grew and never about
 * a job that is gone.
 *
 * @since 0.1.0
 */
import type { JobResourceView } from "./jobResources.js"

/**
 * A subscribed job resource.
 *
 * @since 0.1.0
 * @category models
 */
export interface Subscription {
  readonly uri: string
  readonly jobId: string
  readonly view: JobResourceView
}

/**
 * What an observed size means for a subscription.
 *
 * - `changed`: the output size differs from the one last reported (now recorded): send an update.
 * - `unchanged`: nothing to send.
 * - `gone`: the job no longer exists; the subscription was dropped.
 * - `unsubscribed`: the URI has no subscription (it ended while the size was being looked up).
 *
 * @since 0.1.0
 * @category models
 */
export type Observation = "changed" | "unchanged" | "gone" | "unsubscribed"

/**
 * The byte counts of a job, as its status reports them.
 *
 * @since 0.1.0
 * @category models
 */
export interface JobByteCounts {
  readonly stdoutBytes: number
  readonly stderrBytes: number
}

/**
 * The size of one view of a job: what grows when the view has more to read.
 *
 * @since 0.1.0
 * @category sizes
 */
export const viewSize = (job: JobByteCounts, view: JobResourceView): number =>
  view === "stdout" ? job.stdoutBytes : view === "stderr" ? job.stderrBytes : job.stdoutBytes + job.stderrBytes

/**
 * One client's subscriptions.
 *
 * @since 0.1.0
 * @category models
 */
export class Subscriptions {
  private readonly entries = new Map<string, { readonly subscription: Subscription; notifiedSize: number }>()

  /** Subscribes (again) to `subscription.uri`; growth is reported from `size`, what the client could read now. */
  add(subscription: Subscription, size: number): void {
    this.entries.set(subscription.uri, { subscription, notifiedSize: size })
  }

  /** Ends the subscription to `uri`, if there is one. */
  remove(uri: string): void {
    this.entries.delete(uri)
  }

  /** Ends every subscription to a job's resources (the job was removed). */
  removeJob(jobId: string): void {
    for (const [uri, entry] of this.entries) {
      if (entry.subscription.jobId === jobId) this.entries.delete(uri)
    }
  }

  /** Whether `uri` is subscribed. */
  has(uri: string): boolean {
    return this.entries.has(uri)
  }

  /** How many URIs are subscribed. */
  get size(): number {
    return this.entries.size
  }

  /** The subscribed URIs of one job. */
  urisOf(jobId: string): ReadonlyArray<string> {
    const uris: Array<string> = []
    for (const entry of this.entries.values()) {
      if (entry.subscription.jobId === jobId) uris.push(entry.subscription.uri)
    }
    return uris
  }

  /** Every subscription, as of now (later changes do not affect the returned array). */
  all(): ReadonlyArray<Subscription> {
    return Array.from(this.entries.values(), (entry) => entry.subscription)
  }

  /**
   * Records the size of a subscribed view, `undefined` when its job no longer exists: a subscription to a
   * job that is gone is dropped, whenever the job went.
   */
  observe(uri: string, size: number | undefined): Observation {
    const entry = this.entries.get(uri)
    if (entry === undefined) return "unsubscribed"
    if (size === undefined) {
      this.entries.delete(uri)
      return "gone"
    }
    if (entry.notifiedSize === size) return "unchanged"
    entry.notifiedSize = size
    return "changed"
  }
}
