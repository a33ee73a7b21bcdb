/**
 * A dashboard page simulated in Node: what the page's script does while it shows a job. It follows the SSE
 * feed (`/api/events?job=…`), reads the job's output on from its cursor on each `output` notification (up to
 * 8 pages, skipping ahead when far behind, as the page does) and reloads the list on each `jobs` notification.
 */
import * as fs from "node:fs"

export interface SimulatedPage {
  /** Stops the page; returns how much it fetched. */
  readonly stop: () => { readonly pages: number; readonly lists: number }
}

const SKIP_AHEAD_BYTES = 512 * 1024

export const openSimulatedPage = async (discoveryFile: string, jobId: string): Promise<SimulatedPage> => {
  for (let i = 0; i < 100 && !fs.existsSync(discoveryFile); i++) await new Promise((resolve) => setTimeout(resolve, 50))
  const record = JSON.parse(fs.readFileSync(discoveryFile, "utf8")) as { url: string; tokenFile: string }
  const token = fs.readFileSync(record.tokenFile, "utf8").trim()
  const headers = { authorization: `Bearer ${token}` }
  const get = async (path: string) => (await fetch(new URL(path, record.url), { headers })).json() as Promise<Record<string, unknown>>
  const abort = new AbortController()
  let pages = 0
  let lists = 0
  let cursor = String((await get(`/api/jobs/${jobId}/output`))["cursor"])
  let reading = false
  const readOn = async () => {
    if (reading) return
    reading = true
    try {
      for (let i = 0; i < 8; i++) {
        const page = await get(`/api/jobs/${jobId}/output?cursor=${encodeURIComponent(cursor)}`)
        pages++
        cursor = String(page["cursor"])
        const remaining = Number(page["remainingBytes"])
        if (remaining > SKIP_AHEAD_BYTES) {
          cursor = String((await get(`/api/jobs/${jobId}/output`))["cursor"])
          pages++
          break
        }
        if (remaining === 0) break
      }
    } finally {
      reading = false
    }
  }
  const follow = async () => {
    const response = await fetch(new URL(`/api/events?job=${jobId}`, record.url), { headers, signal: abort.signal })
    const decoder = new TextDecoder()
    let buffered = ""
    for await (const chunk of response.body!) {
      buffered += decoder.decode(chunk as Uint8Array, { stream: true })
      let end: number
      while ((end = buffered.indexOf("\n\n")) >= 0) {
        const event = /^event: (\w+)/m.exec(buffered.slice(0, end))?.[1]
        buffered = buffered.slice(end + 2)
        if (event === "output") void readOn()
        if (event === "jobs") void get("/api/jobs").then(() => lists++)
      }
    }
  }
  follow().catch(() => {})
  return {
    stop: () => {
      abort.abort()
      return { pages, lists }
    }
  }
}
