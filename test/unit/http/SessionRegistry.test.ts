/**
 * The session registry's rules alone: which sessions are idle, and how often to look.
 */
import { assert, describe, it } from "@effect/vitest"
import * as Duration from "effect/Duration"
import { idleSessions, sweepInterval } from "../../../src/http/SessionRegistry.js"

describe("idleSessions", () => {
  it("are the sessions with nothing in progress and no activity for the idle limit", () => {
    const now = 10_000
    const quietLongEnough = { name: "quiet", active: 0, lastActivity: now - 300 }
    const quietNotLongEnough = { name: "recent", active: 0, lastActivity: now - 299 }
    const streaming = { name: "streaming", active: 1, lastActivity: now - 60_000 }
    assert.deepStrictEqual(idleSessions([quietLongEnough, quietNotLongEnough, streaming], now, 300), [quietLongEnough])
  })
})

describe("sweepInterval", () => {
  it("is a quarter of the idle limit, between 100 ms and 30 s", () => {
    assert.strictEqual(Duration.toMillis(sweepInterval(Duration.minutes(1))), 15_000)
    assert.strictEqual(Duration.toMillis(sweepInterval(Duration.millis(300))), 100)
    assert.strictEqual(Duration.toMillis(sweepInterval(Duration.hours(1))), 30_000)
  })
})
