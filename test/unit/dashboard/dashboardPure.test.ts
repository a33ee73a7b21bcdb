import * as Either from "effect/Either"
import { execFileSync } from "node:child_process"
import { gunzipSync } from "node:zlib"
import { describe, expect, it } from "vitest"
import { assets } from "../../../src/http/dashboard/assets.js"
import { parseDashboardAddress } from "../../../src/http/dashboard/dashboardAddress.js"
import { isDashboardPath, sameOrigin } from "../../../src/http/dashboard/DashboardApi.js"
import { flushText } from "../../../src/http/dashboard/DashboardFeed.js"
import { makeSessions, readCookie, sessionCookie } from "../../../src/http/dashboard/DashboardSessions.js"

describe("dashboard pieces", () => {
  it("embeds the current asset files, small and without inline script", () => {
    // Fails when src/http/dashboard/assets/ changed without regenerating assets.ts.
    execFileSync(process.execPath, ["src/http/dashboard/embedAssets.mjs", "--check"])
    const gzipped = Array.from(assets.values()).reduce((sum, asset) => sum + asset.gzipped.length, 0)
    expect(gzipped).toBeLessThan(300 * 1024)
    const html = gunzipSync(assets.get("/index.html")!.gzipped).toString("utf8")
    expect(html).not.toMatch(/<script(?![^>]*\bsrc=)/)
    expect(html).not.toMatch(/\son[a-z]+=/)
  })

  it("issues HttpOnly, SameSite=Strict cookies that expire, Secure behind TLS", () => {
    expect(sessionCookie("abc", false)).toBe("mcp_bg_dashboard=abc; Path=/; HttpOnly; SameSite=Strict; Max-Age=43200")
    expect(sessionCookie("abc", true)).toContain("; Secure")
    expect(sessionCookie(undefined, false)).toContain("Max-Age=0")
    expect(readCookie("a=1; mcp_bg_dashboard=xyz; b=2", "mcp_bg_dashboard")).toBe("xyz")
    const sessions = makeSessions(1000)
    const id = sessions.open("alice", 0)
    expect(sessions.owner(id, 999)).toBe("alice")
    expect(sessions.owner(id, 1000)).toBeUndefined()
    expect(sessions.owner("forged", 0)).toBeUndefined()
  })

  it("accepts its own origin only", () => {
    expect(sameOrigin({ host: "127.0.0.1:7345", origin: "http://127.0.0.1:7345" }, false, new Set())).toBe(true)
    expect(sameOrigin({ host: "127.0.0.1:7345", origin: "http://evil.example" }, false, new Set())).toBe(false)
    expect(sameOrigin({ host: "127.0.0.1:7345", origin: "https://127.0.0.1:7345" }, false, new Set())).toBe(false)
    expect(isDashboardPath("/")).toBe(true)
    expect(isDashboardPath("/mcp")).toBe(false)
  })

  it("says what changed, and output only when the watched job's byte count moved", () => {
    expect(flushText({ changed: new Set(), listStale: false }, { id: "j", bytes: 5, announced: 5 })).toBe("")
    expect(flushText({ changed: new Set(["j"]), listStale: true }, { id: "j", bytes: 9, announced: 5 })).toBe(
      "event: jobs\ndata: {\"changed\":[\"j\"]}\n\nevent: output\ndata: {\"job\":\"j\",\"bytes\":9}\n\n"
    )
  })

  it("parses dashboard addresses, loopback only", () => {
    expect(Either.getOrThrow(parseDashboardAddress("1"))).toEqual({ host: "127.0.0.1", port: 0 })
    expect(parseDashboardAddress("7346")._tag).toBe("Right")
    expect(parseDashboardAddress("localhost:7346")._tag).toBe("Right")
    expect(parseDashboardAddress("0.0.0.0:7346")._tag).toBe("Left")
    expect(parseDashboardAddress("nonsense")._tag).toBe("Left")
  })
})
