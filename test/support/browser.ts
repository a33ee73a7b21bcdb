/**
 * Debian's Chromium driven by playwright-core (no browser download of the library's own). Without
 * /usr/bin/chromium the browser tests skip, with a message, except under CI=true, where they fail.
 */
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { type BrowserContext, chromium } from "playwright-core"

export const CHROMIUM = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium"
export const chromiumPresent = fs.existsSync(CHROMIUM)
export const mustRunBrowserTests = process.env.CI === "true"
export const skipBrowserTests = !chromiumPresent && !mustRunBrowserTests
if (skipBrowserTests) {
  process.stderr.write(`browser tests skipped: ${CHROMIUM} is missing (apt-get install -y chromium; CI=true makes this a failure)\n`)
}

/** Where screenshots go (git-ignored). */
export const artifactsDir = path.join(path.dirname(new URL(import.meta.url).pathname), "..", "..", ".artifacts", "dashboard")

export interface LaunchedBrowser {
  readonly context: BrowserContext
  readonly close: () => Promise<void>
}

export const launchChromium = async (): Promise<LaunchedBrowser> => {
  const profile = fs.mkdtempSync(path.join(os.tmpdir(), "mbj-chromium-"))
  // A fresh profile per launch (Playwright passes it as --user-data-dir).
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    viewport: { width: 1100, height: 800 },
    args: [
      "--no-sandbox",
      "--disable-gpu",
      "--disable-quic",
      "--no-first-run",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync"
    ]
  })
  return {
    context,
    close: async () => {
      await context.close()
      fs.rmSync(profile, { recursive: true, force: true })
    }
  }
}
