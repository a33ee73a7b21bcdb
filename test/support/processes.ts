/**
 * Test helpers for real processes: find them by a unique marker in their command line, and poll for a
 * condition with a deadline instead of sleeping a fixed time.
 */
import * as fs from "node:fs"
import { randomUUID } from "node:crypto"

/** A string unlikely to appear in any other process's command line. */
export const uniqueMarker = (label = "mbj"): string => `${label}-${randomUUID().slice(0, 12)}`

export interface LiveProcess {
  readonly pid: number
  readonly ppid: number
  readonly pgid: number
  readonly state: string
  readonly cmdline: string
}

/** Live (non-zombie) processes whose command line contains `marker`. */
export const processesWithMarker = (marker: string): Array<LiveProcess> => {
  const found: Array<LiveProcess> = []
  for (const name of fs.readdirSync("/proc")) {
    if (!/^\d+$/.test(name)) continue
    try {
      const cmdline = fs.readFileSync(`/proc/${name}/cmdline`, "latin1").replace(/\0/g, " ").trim()
      if (!cmdline.includes(marker)) continue
      const stat = fs.readFileSync(`/proc/${name}/stat`, "latin1")
      const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ")
      const state = fields[0]!
      if (state === "Z" || state === "X") continue
      found.push({ pid: Number(name), ppid: Number(fields[1]), pgid: Number(fields[2]), state, cmdline })
    } catch {
      // the process ended while we looked
    }
  }
  return found
}

/** Polls `check` until it returns true or the deadline passes; returns the last result. */
export const eventually = async (check: () => boolean | Promise<boolean>, timeoutMs = 10_000, intervalMs = 25): Promise<boolean> => {
  const deadline = Date.now() + timeoutMs
  while (true) {
    if (await check()) return true
    if (Date.now() >= deadline) return false
    await new Promise((resolve) => setTimeout(resolve, intervalMs))
  }
}

/** Kills every live process with `marker` (cleanup after a failed test). */
export const killMarked = (marker: string): void => {
  for (const p of processesWithMarker(marker)) {
    try {
      process.kill(p.pid, "SIGKILL")
    } catch {
      // already gone
    }
  }
}

/**
 * A directory whose path holds a fresh marker, with `sleep` linked into it: processes started as
 * `<dir>/sleep 300` carry the marker in their command line, so a test can count exactly its own.
 */
export const markedSleep = (): { readonly marker: string; readonly sleep: string; readonly dir: string } => {
  const marker = uniqueMarker("sleep")
  const dir = fs.mkdtempSync(`/tmp/${marker}-`)
  const sleepPath = ["/bin/sleep", "/usr/bin/sleep"].find((p) => fs.existsSync(p)) ?? "sleep"
  fs.symlinkSync(sleepPath, `${dir}/sleep`)
  return { marker, sleep: `${dir}/sleep`, dir }
}
