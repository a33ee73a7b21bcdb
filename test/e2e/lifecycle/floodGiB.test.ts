/**
 * 1 GiB floods through the built server with the default 10 MiB cap (`npm run test:stress`: 4 GiB). Prints the
 * figures (server RSS, `list` and `status` response times while the flood runs) and checks the bounds.
 */
import { describe, expect, it } from "vitest"
import { textCost } from "../../support/resultBudget.js"
import { connectStdioForTest } from "../../support/mcpClient.js"
import { residentBytes } from "../../support/processes.js"

const MiB = 1024 * 1024
/** `npm run test:stress` multiplies the sizes. */
const SCALE = Number(process.env["MBJ_STRESS_SCALE"] ?? "1")
const GiB = 1024 * MiB
const SIZE = SCALE * GiB
const CAP = 10 * MiB

interface Status {
  readonly status: string
  readonly stdout_bytes: number
  readonly dropped_stdout_bytes: number
  readonly retained_bytes: number
}

const timed = async <A>(f: () => Promise<A>): Promise<[A, number]> => {
  const start = performance.now()
  const result = await f()
  return [result, performance.now() - start]
}

describe(`${SCALE} GiB floods`, () => {
  for (const [name, command, tail] of [
    [`head -c ${SCALE}G /dev/zero`, `head -c ${SIZE} /dev/zero; printf THE-END`, "\0".repeat(57) + "THE-END"],
    [`yes | head -c ${SCALE}G`, `yes | head -c ${SIZE}; printf THE-END`, "\n" + "y\n".repeat(28) + "THE-END"]
  ] as const) {
    it(`${name}: memory bounded, server answering, tail exact`, { timeout: 120_000 * SCALE }, async () => {
      const running = await connectStdioForTest()
      await running.call("list")
      const baseline = residentBytes(running.pid)
      const startedAt = Date.now()
      const { job_id } = await running.call<{ job_id: string }>("execute", { command })
      let peak = baseline
      const listTimes: Array<number> = []
      const statusTimes: Array<number> = []
      let status: Status
      do {
        const [, listMs] = await timed(() => running.call("list"))
        const [current, statusMs] = await timed(() => running.call<Status>("status", { job_id }))
        status = current
        if (status.status === "running") {
          listTimes.push(listMs)
          statusTimes.push(statusMs)
        }
        peak = Math.max(peak, residentBytes(running.pid))
        await new Promise((resolve) => setTimeout(resolve, 50))
      } while (status.status === "running")
      const seconds = (Date.now() - startedAt) / 1000
      const sorted = (values: Array<number>) => [...values].sort((a, b) => a - b)
      const p = (values: Array<number>, q: number) => sorted(values)[Math.min(values.length - 1, Math.floor(q * values.length))] ?? 0
      console.log(
        `[flood] ${name}: ${seconds.toFixed(1)} s; RSS baseline ${(baseline / MiB).toFixed(0)} MiB, peak ${(peak / MiB).toFixed(0)} MiB ` +
          `(+${((peak - baseline) / MiB).toFixed(0)} MiB, cap ${CAP / MiB} MiB); ` +
          `list while running: ${listTimes.length} calls, median ${p(listTimes, 0.5).toFixed(0)} ms, p95 ${p(listTimes, 0.95).toFixed(0)} ms, max ${Math.max(...listTimes).toFixed(0)} ms; ` +
          `status: median ${p(statusTimes, 0.5).toFixed(0)} ms, max ${Math.max(...statusTimes).toFixed(0)} ms`
      )
      expect(status.status).toBe("completed")
      expect(status.stdout_bytes).toBe(SIZE + 7)
      expect(status.retained_bytes).toBe(CAP)
      expect(status.dropped_stdout_bytes).toBe(SIZE + 7 - CAP)
      expect(listTimes.length).toBeGreaterThanOrEqual(3)
      expect(peak - baseline).toBeLessThan(4 * CAP + 128 * MiB)
      // A budget of exactly what the last 64 bytes cost (a raw NUL counts as the six bytes JSON needs for it).
      const end = await running.call<{ stdout: string }>("output", { job_id, max_bytes: textCost(tail), raw: true })
      expect(end.stdout).toBe(tail)
    })
  }
})
