/**
 * The subscription bookkeeping alone: which URIs are subscribed, when growth is worth an update, and that a
 * subscription to a job that is gone is dropped.
 */
import { assert, describe, it } from "@effect/vitest"
import { jobResourceUris } from "../../../src/mcp/jobResources.js"
import { type Subscription, Subscriptions, viewSize } from "../../../src/mcp/Subscriptions.js"

const JOB = "0f0e0d0c-0000-4000-8000-000000000001"
const OTHER = "0f0e0d0c-0000-4000-8000-000000000002"

const of = (jobId: string, view: "output" | "stdout" | "stderr"): Subscription => ({ uri: jobResourceUris(jobId)[view], jobId, view })

describe("viewSize", () => {
  it("measures stdout, stderr, or both for output", () => {
    const job = { stdoutBytes: 10, stderrBytes: 3 }
    assert.strictEqual(viewSize(job, "stdout"), 10)
    assert.strictEqual(viewSize(job, "stderr"), 3)
    assert.strictEqual(viewSize(job, "output"), 13)
  })
})

describe("Subscriptions", () => {
  it("reports growth from the size at subscription, once per change", () => {
    const subscriptions = new Subscriptions()
    const stdout = of(JOB, "stdout")
    subscriptions.add(stdout, 5)
    assert.isTrue(subscriptions.has(stdout.uri))
    assert.strictEqual(subscriptions.observe(stdout.uri, 5), "unchanged")
    assert.strictEqual(subscriptions.observe(stdout.uri, 8), "changed")
    assert.strictEqual(subscriptions.observe(stdout.uri, 8), "unchanged")
  })

  it("subscribing again starts over from the new size", () => {
    const subscriptions = new Subscriptions()
    const output = of(JOB, "output")
    subscriptions.add(output, 5)
    subscriptions.add(output, 9)
    assert.strictEqual(subscriptions.size, 1)
    assert.strictEqual(subscriptions.observe(output.uri, 9), "unchanged")
  })

  it("drops a subscription whose job is gone", () => {
    const subscriptions = new Subscriptions()
    const stderr = of(JOB, "stderr")
    subscriptions.add(stderr, 0)
    assert.strictEqual(subscriptions.observe(stderr.uri, undefined), "gone")
    assert.isFalse(subscriptions.has(stderr.uri))
    assert.deepStrictEqual(subscriptions.all(), [])
  })

  it("says so when a size arrives for a URI no longer subscribed", () => {
    const subscriptions = new Subscriptions()
    const stdout = of(JOB, "stdout")
    subscriptions.add(stdout, 0)
    subscriptions.remove(stdout.uri)
    assert.strictEqual(subscriptions.observe(stdout.uri, 4), "unsubscribed")
    assert.isFalse(subscriptions.has(stdout.uri))
  })

  it("lists and removes a job's subscriptions without touching another job's", () => {
    const subscriptions = new Subscriptions()
    subscriptions.add(of(JOB, "stdout"), 0)
    subscriptions.add(of(JOB, "output"), 0)
    subscriptions.add(of(OTHER, "stdout"), 0)
    assert.deepStrictEqual([...subscriptions.urisOf(JOB)].sort(), [jobResourceUris(JOB).output, jobResourceUris(JOB).stdout])
    subscriptions.removeJob(JOB)
    assert.deepStrictEqual(subscriptions.urisOf(JOB), [])
    assert.deepStrictEqual(subscriptions.all(), [of(OTHER, "stdout")])
  })

  it("gives a snapshot that later changes do not alter", () => {
    const subscriptions = new Subscriptions()
    subscriptions.add(of(JOB, "stdout"), 0)
    const snapshot = subscriptions.all()
    subscriptions.removeJob(JOB)
    assert.strictEqual(snapshot.length, 1)
  })
})
