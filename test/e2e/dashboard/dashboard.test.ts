/**
 * The dashboard in a real Chromium against the built bin in HTTP mode: sign-in, live table and output, the
 * actions, search, text-only output, and the refusals (no token, wrong token, another origin).
 */
import * as fs from "node:fs"
import * as path from "node:path"
import type { Page } from "playwright-core"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { type HttpBin, startHttpBin } from "../../support/bin.js"
import { artifactsDir, launchChromium, type LaunchedBrowser, skipBrowserTests } from "../../support/browser.js"
import { connectHttpClient, type HttpClient } from "../../support/httpServer.js"
import { pidAlive, uniqueMarker } from "../../support/processes.js"
import { expectEventually } from "../../support/polling.js"

const TOKEN = "dashboard-test-token-0123456789"

describe.skipIf(skipBrowserTests)("dashboard in Chromium", () => {
  let server: HttpBin
  let browser: LaunchedBrowser
  let mcp: HttpClient
  let base: string

  const call = async (name: string, args: Record<string, unknown>) => {
    const result = await mcp.client.callTool({ name, arguments: args })
    return result.structuredContent as Record<string, unknown>
  }

  const signedIn = async (): Promise<Page> => {
    const page = await browser.context.newPage()
    await page.goto(base)
    // The context keeps the session cookie of an earlier sign-in: then the page opens signed in.
    await page.locator("#app:visible, #sign-in:visible").first().waitFor()
    if (await page.locator("#sign-in").isVisible()) {
      await page.getByLabel("Access token").fill(TOKEN)
      await page.getByRole("button", { name: "Sign in" }).click()
    }
    await page.locator("#app").waitFor({ state: "visible" })
    return page
  }

  const openJob = async (page: Page, command: string) => {
    await page.locator("td.command button", { hasText: command }).first().click()
    await page.locator("#job").waitFor({ state: "visible" })
  }

  beforeAll(async () => {
    fs.mkdirSync(artifactsDir, { recursive: true })
    server = await startHttpBin(["--http", "--port", "0"], { MCP_BG_HTTP_TOKEN: TOKEN, MCP_BG_KILL_GRACE: "1" })
    base = `http://127.0.0.1:${server.port}/`
    mcp = await connectHttpClient(server.url, TOKEN)
    browser = await launchChromium()
  })

  afterAll(async () => {
    await browser?.close()
    await mcp?.close()
    await server?.stop()
  })

  it("shows no job data without the token or with a wrong one", async () => {
    await browser.context.clearCookies()
    const secret = uniqueMarker("secret")
    await call("execute", { command: `echo ${secret}; sleep 30` })
    const page = await browser.context.newPage()
    await page.goto(base)
    await page.locator("#sign-in").waitFor({ state: "visible" })
    expect(await page.locator("#app").isHidden()).toBe(true)
    await page.getByLabel("Access token").fill("not-the-token")
    await page.getByRole("button", { name: "Sign in" }).click()
    await page.locator("#sign-in-error", { hasText: "not valid" }).waitFor()
    expect(await page.content()).not.toContain(secret)
    // The API itself answers 401 to a browser without the session, whatever the page does.
    const status = await page.evaluate(async () => (await fetch("/api/jobs")).status)
    expect(status).toBe(401)
    await page.screenshot({ path: path.join(artifactsDir, "sign-in.png") })
    await page.close()
  })

  it("signs in with a cookie only (HttpOnly, SameSite=Strict), never the token in a URL", async () => {
    const page = await signedIn()
    const cookies = await browser.context.cookies(base)
    const session = cookies.find((cookie) => cookie.name === "mcp_bg_dashboard")
    expect(session?.httpOnly).toBe(true)
    expect(session?.sameSite).toBe("Strict")
    expect(session?.value).not.toContain(TOKEN)
    expect(page.url()).not.toContain(TOKEN)
    expect(await page.evaluate("document.cookie")).toBe("")
    await page.close()
  })

  it("lists a job started through MCP within a second and follows its output live, as text", async () => {
    const page = await signedIn()
    const marker = uniqueMarker("live")
    const script = `echo '<script>window.pwned=1</script><b>${marker}</b>'; printf '\\033[31mred-${marker}\\033[0m\\n'; ` +
      `echo err-${marker} >&2; for i in 1 2 3 4 5 6; do echo tick-$i; sleep 0.3; done; echo error: broken-${marker}; sleep 30`
    const started = Date.now()
    await call("execute", { command: script })
    await page.locator("td.command button", { hasText: marker }).waitFor({ timeout: 1000 })
    expect(Date.now() - started).toBeLessThan(1000)
    await openJob(page, marker)
    await page.locator("#output", { hasText: "tick-6" }).waitFor({ timeout: 10_000 })
    await page.locator("#output", { hasText: `broken-${marker}` }).waitFor()
    // HTML printed by the job is shown as text, not run or parsed.
    expect(await page.locator("#output").textContent()).toContain(`<script>window.pwned=1</script><b>${marker}</b>`)
    expect(await page.evaluate("typeof window.pwned")).toBe("undefined")
    expect(await page.locator("#output b").count()).toBe(0)
    // The SGR colour became a class; stderr is marked.
    expect(await page.locator("#output span.fg-1", { hasText: `red-${marker}` }).count()).toBe(1)
    expect(await page.locator("#output span.stderr", { hasText: `err-${marker}` }).count()).toBe(1)
    // Each byte once: every tick line appears exactly once.
    const text = (await page.locator("#output").textContent()) ?? ""
    for (let i = 1; i <= 6; i++) expect(text.split(`tick-${i}\n`).length - 1).toBe(1)
    // Search (filter with context) and the first error-looking line.
    await page.getByLabel("Search").fill("tick-3")
    await page.getByLabel("Context").fill("1")
    await page.getByRole("button", { name: "Find" }).click()
    await page.locator("#matches", { hasText: "tick-4" }).waitFor()
    expect(await page.locator("#matches").textContent()).toContain("tick-2")
    await page.getByRole("button", { name: "First error" }).click()
    await expect(page.locator("#output .hit").textContent()).resolves.toContain(`broken-${marker}`)
    await page.screenshot({ path: path.join(artifactsDir, "job-view.png"), fullPage: true })
    await page.getByRole("button", { name: "Kill", exact: true }).click()
    await page.locator("td.status", { hasText: "killed" }).first().waitFor()
    await page.close()
  })

  it("kills a job with no process left", async () => {
    const page = await signedIn()
    const marker = uniqueMarker("kill")
    const killed = await call("execute", { command: `sleep 300; echo ${marker}` })
    const killedPid = Number((await call("status", { job_id: killed["job_id"] }))["pid"])
    await page.locator("td.command button", { hasText: marker }).waitFor()
    await openJob(page, marker)
    await page.getByRole("button", { name: "Kill", exact: true }).click()
    await page.locator("#job-meta", { hasText: "killed" }).waitFor()
    await expectEventually("the killed job's shell is gone", () => !pidAlive(killedPid))
    await page.close()
  })

  it("interrupts a job with Ctrl-C", async () => {
    const page = await signedIn()
    const trap = uniqueMarker("int")
    await call("execute", { command: `trap 'echo got-int-${trap}; exit 3' INT; echo ready; while :; do sleep 0.1; done` })
    await page.locator("td.command button", { hasText: trap }).waitFor()
    await openJob(page, trap)
    await page.locator("#output", { hasText: "ready" }).waitFor()
    await page.getByRole("button", { name: "Ctrl-C", exact: true }).click()
    await page.locator("#output", { hasText: `got-int-${trap}` }).waitFor()
    await page.locator("#job-meta", { hasText: "exit 3" }).waitFor()
    await page.close()
  })

  it("restarts a job, then kills the new run", async () => {
    const page = await signedIn()
    const again = uniqueMarker("restart")
    await call("execute", { command: `echo run-${again}; sleep 300` })
    await page.locator("td.command button", { hasText: again }).waitFor()
    await openJob(page, again)
    await page.locator("#output", { hasText: `run-${again}` }).waitFor()
    const before = await page.locator("#job-meta").textContent()
    await page.getByRole("button", { name: "Restart", exact: true }).click()
    await expectEventually("the job runs under a new pid", async () => {
      const now = await page.locator("#job-meta").textContent()
      return now !== before && (now ?? "").includes("running")
    }).catch(async (error: unknown) => {
      throw new Error(`${String(error)}; before ${before}; now ${await page.locator("#job-meta").textContent()}; error ${await page.locator("#job-error").textContent()}`)
    })
    await page.getByRole("button", { name: "Kill", exact: true }).click()
    await page.locator("#job-meta", { hasText: "killed" }).waitFor()
    await page.close()
  })

  it("sends input lines and EOF to cat", async () => {
    const page = await signedIn()
    const marker = uniqueMarker("cat")
    await call("execute", { command: `echo ${marker}; cat` })
    await page.locator("td.command button", { hasText: marker }).waitFor()
    await openJob(page, marker)
    await page.getByLabel("Input").fill("hello from the page")
    await page.getByRole("button", { name: "Send", exact: true }).click()
    await page.locator("#output", { hasText: "hello from the page" }).waitFor()
    await page.getByRole("button", { name: "Send EOF" }).click()
    await page.locator("#job-meta", { hasText: "completed" }).waitFor()
    await page.locator("td.status", { hasText: "completed" }).first().waitFor()
    await page.screenshot({ path: path.join(artifactsDir, "table.png") })
    await page.close()
  })

  it("starts a job from the page", async () => {
    const page = await signedIn()
    const marker = uniqueMarker("page")
    await page.getByLabel("Command").fill(`echo started-${marker}`)
    await page.getByRole("button", { name: "Start", exact: true }).click()
    await page.locator("#output", { hasText: `started-${marker}` }).waitFor()
    await page.close()
  })

  it("refuses state-changing requests from another origin, even signed in", async () => {
    const page = await signedIn()
    const cookie = (await browser.context.cookies(base)).find((c) => c.name === "mcp_bg_dashboard")!
    const response = await fetch(new URL("/api/jobs", base), {
      method: "POST",
      headers: { "content-type": "application/json", origin: "http://evil.example", cookie: `mcp_bg_dashboard=${cookie.value}` },
      body: JSON.stringify({ command: "echo should-not-run" })
    })
    expect(response.status).toBe(403)
    // A cookie without an Origin (not the page's own fetch) cannot change state either.
    const noOrigin = await fetch(new URL("/api/jobs", base), {
      method: "POST",
      headers: { "content-type": "application/json", cookie: `mcp_bg_dashboard=${cookie.value}` },
      body: JSON.stringify({ command: "echo should-not-run" })
    })
    expect(noOrigin.status).toBe(403)
    const listed = await call("list", {})
    expect(JSON.stringify(listed)).not.toContain("should-not-run")
    // The page itself sends a CSP without inline script.
    const csp = (await fetch(base)).headers.get("content-security-policy") ?? ""
    expect(csp).toContain("script-src 'self'")
    expect(csp).not.toContain("unsafe-inline")
    await page.close()
  })
})
