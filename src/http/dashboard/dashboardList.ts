/**
 * `mcp-background-job dashboard`: the dashboards of this user on this machine, from the discovery files of
 * stdio servers started with `--dashboard` and the token files of HTTP servers, each checked to be alive.
 *
 * @since 0.1.0
 */
import * as fs from "node:fs/promises"
import * as path from "node:path"
import { dashboardFolder } from "./dashboardAddress.js"
import type { DashboardRecord } from "./DashboardServer.js"

/**
 * A dashboard found on this machine.
 *
 * @since 0.1.0
 * @category models
 */
export interface FoundDashboard {
  readonly url: string
  readonly tokenFile: string
  readonly description: string
}

const alive = (pid: number) => {
  try {
    process.kill(pid, 0)
    return true
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "EPERM"
  }
}

const answers = async (url: string) => {
  try {
    return (await fetch(new URL("/healthz", url), { signal: AbortSignal.timeout(1000) })).ok
  } catch {
    return false
  }
}

/**
 * The dashboards running for this user, stdio servers' first.
 *
 * @since 0.1.0
 * @category listing
 */
export const findDashboards = async (env: NodeJS.ProcessEnv = process.env): Promise<ReadonlyArray<FoundDashboard>> => {
  const folder = dashboardFolder(env)
  const names = await fs.readdir(folder).catch(() => [] as Array<string>)
  const found: Array<FoundDashboard> = []
  for (const name of names.filter((n) => /^dashboard-\d+\.json$/.test(n)).sort()) {
    const text = await fs.readFile(path.join(folder, name), "utf8").catch(() => "")
    let record: DashboardRecord | undefined
    try {
      record = JSON.parse(text) as DashboardRecord
    } catch {
      continue
    }
    if (typeof record.url !== "string" || !alive(record.pid)) continue
    found.push({ url: record.url, tokenFile: record.tokenFile, description: `stdio server, pid ${record.pid}, in ${record.cwd}, since ${record.startedAt}` })
  }
  for (const name of names.filter((n) => /^http-\d+\.token$/.test(n)).sort()) {
    const port = Number(/\d+/.exec(name)![0])
    const url = `http://127.0.0.1:${port}/`
    if (await answers(url)) found.push({ url, tokenFile: path.join(folder, name), description: `HTTP server on port ${port}` })
  }
  return found
}

/**
 * Prints the dashboards (or how to start one) and returns the exit code: 0 when at least one runs.
 *
 * @since 0.1.0
 * @category listing
 */
export const printDashboards = async (): Promise<number> => {
  const found = await findDashboards()
  if (found.length === 0) {
    process.stderr.write(
      "mcp-background-job: no dashboard is running for you here. Start the server with --dashboard (stdio) or --http.\n"
    )
    return 1
  }
  for (const dashboard of found) {
    process.stdout.write(`${dashboard.url}\n  ${dashboard.description}\n  token: ${dashboard.tokenFile}\n`)
  }
  return 0
}
