/**
 * The result budget over stdio against the built server, with the SDK's own client (which drops any message
 * over 10 MiB and with it the connection): output that once made one result of many megabytes — 1.2 million
 * lines, a 10 MB line, megabytes of NUL bytes — read through every tool and resource that carries output,
 * stays within the budget, gives the head and the tail around a marker, pages back exactly, and leaves the
 * connection and an unrelated job alive.
 */
import type { Client } from "@modelcontextprotocol/sdk/client/index.js"
import type { ReadResourceResult } from "@modelcontextprotocol/sdk/types.js"
import { describe, expect, it, onTestFinished } from "vitest"
import { startCursor } from "../../../src/mcp/wire.js"
import { nodeScript } from "../../support/agentHarness.js"
import { runBin } from "../../support/bin.js"
import { markedSleep } from "../../support/markedSleep.js"
import { connectStdioForTest, type StdioConnection } from "../../support/mcpClient.js"
import { eventually } from "../../support/polling.js"
import { killMarked, processesWithMarker, uniqueMarker } from "../../support/processes.js"
import { assertHeadAndTail, seqText, textCost } from "../../support/resultBudget.js"
import { type Listed, type Structured, structuredOf, textOf } from "../../support/toolResults.js"

const KiB = 1024
/** The default result budget. */
const BUDGET = 32 * KiB
/** Far above two copies of a full budget (the text content and structuredContent) and far below 10 MiB. */
const MESSAGE_BOUND = 100_000

/** Output text of a result: stdout and stderr together. */
const outputCost = (result: Structured): number => textCost(result.stdout as string) + textCost(result.stderr as string)

/** The size of a whole result as JSON: what the JSON-RPC message carries. */
const messageSize = (result: unknown): number => Buffer.byteLength(JSON.stringify(result))

/** A result of a tool or resource, for the figures printed at the end. */
interface Measured {
  readonly read: string
  /** The JSON-RPC result: the text content and structuredContent. */
  readonly message: number
  /** The text content alone: what Claude Code compares with the tool's maxResultSizeChars. */
  readonly text: number
  /** Output text: stdout and stderr. */
  readonly output: number
}

/** What each tool declares in `_meta["anthropic/maxResultSizeChars"]`, per client. */
const declaredSizes = new WeakMap<Client, Promise<ReadonlyMap<string, unknown>>>()

const declaredResultSize = async (server: StdioConnection, tool: string): Promise<unknown> => {
  let declared = declaredSizes.get(server.client)
  if (declared === undefined) {
    declared = server.client.listTools().then(({ tools }) => new Map(tools.map((t) => [t.name, t._meta?.["anthropic/maxResultSizeChars"]])))
    declaredSizes.set(server.client, declared)
  }
  return (await declared).get(tool)
}

/**
 * Calls a tool that must succeed; checks its output text against the budget, its text content against the size
 * the tool declares, and the whole message against the bound.
 */
const callWithin = async (server: StdioConnection, name: string, args: Record<string, unknown>, budget = BUDGET) => {
  const raw = await server.result(name, args)
  const result = structuredOf(name, raw)
  const size = { message: messageSize(raw), text: textOf(raw).length, output: outputCost(result) }
  const what = `${name} ${JSON.stringify(args)}`
  expect(size.output, `${what}: output text within the budget`).toBeLessThanOrEqual(budget)
  expect(size.text, `${what}: text content within the declared maxResultSizeChars`).toBeLessThanOrEqual(
    await declaredResultSize(server, name) as number
  )
  expect(size.message, `${what}: message within the bound`).toBeLessThanOrEqual(MESSAGE_BOUND)
  return { result, size }
}

/** Every tool declares `_meta["anthropic/maxResultSizeChars"]` between the two bounds. */
const expectDeclaredSizes = async (server: StdioConnection, above: number, below: number) => {
  const { tools } = await server.client.listTools()
  expect(tools.length).toBeGreaterThan(0)
  for (const tool of tools) {
    const declared = tool._meta?.["anthropic/maxResultSizeChars"]
    expect(typeof declared, `${tool.name} declares its result size`).toBe("number")
    expect(declared as number).toBeGreaterThan(above)
    expect(declared as number).toBeLessThan(below)
  }
}

const resourceText = (result: ReadResourceResult): string => (result.contents[0] as { text: string }).text

/** Reads a resource; checks its text against the budget and the whole message against the bound. */
const readWithin = async (server: StdioConnection, uri: string, budget = BUDGET) => {
  const result = await server.client.readResource({ uri })
  const text = resourceText(result)
  const size = { message: messageSize(result), text: text.length, output: textCost(text) }
  expect(size.output, `${uri}: text within the budget`).toBeLessThanOrEqual(budget)
  expect(size.message, `${uri}: message within the bound`).toBeLessThanOrEqual(MESSAGE_BOUND)
  return { text, size }
}

/** Every process of `marker` gone once the server has closed (killing any left, then failing). */
const expectNoneLeft = async (server: StdioConnection, marker: string) => {
  await server.close()
  const gone = await eventually(() => processesWithMarker(marker).length === 0, 15_000)
  killMarked(marker)
  expect(gone, `no process of ${marker} is left`).toBe(true)
}

describe("result budget over stdio", () => {
  it("a 1.2M-line job read through every tool and resource: each result within budget, connection and an unrelated job alive", { timeout: 120_000 }, async () => {
    const marker = uniqueMarker("budget")
    const sleep = markedSleep()
    onTestFinished(sleep.dispose)
    const server = await connectStdioForTest()
    const measured: Array<Measured> = []
    const call = async (read: string, name: string, args: Record<string, unknown>) => {
      const { result, size } = await callWithin(server, name, args)
      measured.push({ read, ...size })
      return result
    }

    const unrelated = (await server.call("execute", { command: `${sleep.sleep} 300` })).job_id as string
    expect(await eventually(() => sleep.sleepers() === 1)).toBe(true)

    const expected = seqText(1, 1_200_000)
    const executed = await call("execute (wait_ms)", "execute", { command: "seq 1 1200000", wait_ms: 20_000 })
    const id = executed.job_id as string
    expect(executed).toMatchObject({ status: "completed", exit_code: 0, truncated: true })
    const fromExecute = assertHeadAndTail("execute", executed.stdout as string, expected)
    expect(fromExecute.head.startsWith("1\n2\n")).toBe(true)
    expect(fromExecute.tail.endsWith("1199999\n1200000\n")).toBe(true)
    expect(executed.omitted_bytes).toBe(fromExecute.bytes)
    expect(executed.omitted_cursor).toBe(fromExecute.cursor)

    const waited = await call("wait (cursor at start)", "wait", { job_id: id, cursor: startCursor(id), timeout_s: 10 })
    expect(waited).toMatchObject({ status: "completed", reason: "exited", truncated: true, stderr: "" })
    const fromWait = assertHeadAndTail("wait", waited.stdout as string, expected)
    expect(waited).toMatchObject({ omitted_bytes: fromWait.bytes, omitted_lines: fromWait.lines, omitted_cursor: fromWait.cursor })

    const summary = await call("output (no cursor)", "output", { job_id: id })
    const fromOutput = assertHeadAndTail("output", summary.stdout as string, expected)
    expect(summary).toMatchObject({ truncated: true, remaining_bytes: 0, omitted_lines: fromOutput.lines, matches: null })
    expect(fromOutput.head.startsWith("1\n2\n")).toBe(true)
    expect(fromOutput.tail.endsWith("\n1200000\n")).toBe(true)
    // The cursor is the end: reading on gives nothing new.
    expect(await server.call("output", { job_id: id, cursor: summary.cursor })).toMatchObject({ stdout: "", remaining_bytes: 0 })

    const page = await call("output (cursor, first page)", "output", { job_id: id, cursor: startCursor(id) })
    const first = page.stdout as string
    expect(first.startsWith("1\n2\n3\n")).toBe(true)
    expect(first.endsWith("\n")).toBe(true)
    expect(expected.startsWith(first)).toBe(true)
    expect(page).toMatchObject({ truncated: true, remaining_bytes: expected.length - first.length, omitted_bytes: 0 })
    // The marker's cursor reads on right after the head.
    const omittedPage = await server.call("output", { job_id: id, cursor: fromOutput.cursor })
    expect(expected.slice(fromOutput.head.length).startsWith(omittedPage.stdout as string)).toBe(true)
    expect((omittedPage.stdout as string).length).toBeGreaterThan(BUDGET / 2)

    const filtered = await call("output (filter 7$)", "output", { job_id: id, filter: "7$" })
    const found = (filtered.stdout as string).split("\n").slice(0, -1)
    expect(filtered.matches).toBe(120_000)
    expect(found.slice(0, 3)).toEqual(["7", "17", "27"])
    expect(found).toEqual(Array.from({ length: found.length }, (_, i) => String(10 * i + 7)))
    expect(filtered).toMatchObject({ truncated: true })
    expect(filtered.remaining_bytes as number).toBeGreaterThan(0)

    const tailed = await call("tail (lines 1000)", "tail", { job_id: id, lines: 1000 })
    expect(tailed).toMatchObject({ stdout: seqText(1_199_001, 1_200_000), stderr: "", truncated: false })

    // stderr holds the same flood in a job of its own, for job://…/stderr.
    const toStderr = await call("execute (wait_ms), stderr", "execute", { command: "seq 1 1200000 >&2", wait_ms: 20_000 })
    expect(toStderr).toMatchObject({ status: "completed", stdout: "", truncated: true })
    assertHeadAndTail("execute, stderr", toStderr.stderr as string, expected)

    for (const [view, job] of [["output", id], ["stdout", id], ["stderr", toStderr.job_id as string]] as const) {
      const uri = `job://${job}/${view}`
      const read = await readWithin(server, uri)
      measured.push({ read: `resources/read job://<id>/${view}`, ...read.size })
      const parts = assertHeadAndTail(uri, read.text, expected)
      expect(parts.head.startsWith("1\n2\n")).toBe(true)
      expect(parts.tail.endsWith("\n1200000\n")).toBe(true)
    }

    // interact on a job that answers a line of input with 1.2 million lines.
    const echo = (await server.call("execute", {
      command: nodeScript(
        "process.stdin.once('data', () => { const lines = []; for (let n = 1; n <= 1200000; n++) lines.push(n + '\\n'); process.stdout.write(lines.join('')) }); " +
          "setInterval(() => {}, 1000)",
        marker
      )
    })).job_id as string
    const replied = await call("interact (1.2M-line reply)", "interact", { job_id: echo, input: "go", until: "^1200000$", timeout_ms: 60_000 })
    expect(replied).toMatchObject({ status: "running", reason: "matched", matched_line: "1200000", truncated: true })
    const fromInteract = assertHeadAndTail("interact", replied.stdout as string, expected)
    expect(fromInteract.head.startsWith("1\n2\n")).toBe(true)
    expect(fromInteract.tail.endsWith("\n1200000\n")).toBe(true)

    // The connection and the unrelated job survived all of it.
    const listed = await server.call<Listed>("list")
    expect(listed.jobs.find((job) => job.job_id === unrelated)?.status).toBe("running")
    expect(sleep.sleepers()).toBe(1)
    expect(server.clientErrors).toEqual([])

    console.log(
      "Result sizes on `seq 1 1200000`, in bytes (message: the JSON-RPC result; text: its text content, " +
        "what maxResultSizeChars bounds; output: stdout + stderr):\n" +
        measured.map((m) =>
          `  ${m.read.padEnd(36)} message ${String(m.message).padStart(6)}  text ${String(m.text).padStart(6)}  output ${String(m.output).padStart(6)}`
        ).join("\n")
    )

    await server.call("kill", { job_id: echo, signal: "SIGKILL" })
    await server.call("kill", { job_id: unrelated })
    await expectNoneLeft(server, marker)
    expect(await eventually(() => sleep.live() === 0, 15_000)).toBe(true)
  })

  it("paging with a cursor reassembles 300,000 lines exactly, each page within the budget", { timeout: 60_000 }, async () => {
    const server = await connectStdioForTest()
    const expected = seqText(1, 300_000)
    const started = await callWithin(server, "execute", { command: "seq 1 300000", wait_ms: 20_000 })
    const id = started.result.job_id as string
    expect(started.result.status).toBe("completed")
    let cursor = startCursor(id)
    let text = ""
    let pages = 0
    while (true) {
      const { result } = await callWithin(server, "output", { job_id: id, cursor })
      pages++
      const page = result.stdout as string
      expect(result.stderr).toBe("")
      expect(page.length, `page ${pages} moves on`).toBeGreaterThan(0)
      text += page
      expect(result.remaining_bytes, `page ${pages}: what remains`).toBe(expected.length - text.length)
      expect(result.truncated).toBe(result.remaining_bytes !== 0)
      cursor = result.cursor as string
      if (result.remaining_bytes === 0) break
      // A page that does not reach the end stops after a whole line, and is not much smaller than the budget.
      expect(page.endsWith("\n"), `page ${pages} ends after a line`).toBe(true)
      expect(Buffer.byteLength(page)).toBeGreaterThan(BUDGET - 16)
      expect(pages).toBeLessThan(1000)
    }
    expect(text === expected, "the pages reassemble the output exactly").toBe(true)
    expect(pages).toBe(Math.ceil(expected.length / BUDGET))
    console.log(`seq 1 300000 (${expected.length} bytes) read in ${pages} pages of output with a cursor`)
    expect(await server.call("output", { job_id: id, cursor })).toMatchObject({ stdout: "", remaining_bytes: 0, truncated: false })
    expect(server.clientErrors).toEqual([])
  })

  it("a 10 MB line: tail cuts it in its middle, output gives its head and tail, all within the budget", { timeout: 60_000 }, async () => {
    const server = await connectStdioForTest()
    const expected = "a".repeat(10_000_000) + "END\n"
    const started = await callWithin(server, "execute", { command: "head -c 10000000 /dev/zero | tr '\\0' a; echo END", wait_ms: 20_000 })
    const id = started.result.job_id as string
    expect(started.result).toMatchObject({ status: "completed", truncated: true })
    assertHeadAndTail("execute", started.result.stdout as string, expected)

    const tailed = await callWithin(server, "tail", { job_id: id, lines: 1 })
    const cut = /^(a+) ⟨… ([\d,]+) bytes cut …⟩ (a*END)\n$/.exec(tailed.result.stdout as string)
    expect(cut, "tail: the line cut in its middle with a marker").not.toBeNull()
    expect(cut![1]!.length + Number(cut![2]!.replace(/,/g, "")) + cut![3]!.length).toBe(10_000_003)
    expect(tailed.result.truncated).toBe(true)
    expect(tailed.size.output).toBeGreaterThan(BUDGET / 2)

    const summary = await callWithin(server, "output", { job_id: id })
    const parts = assertHeadAndTail("output", summary.result.stdout as string, expected)
    expect(parts.tail.endsWith("aEND\n")).toBe(true)
    expect(parts.lines).toBe(0)
    const waited = await callWithin(server, "wait", { job_id: id, cursor: startCursor(id), timeout_s: 5 })
    assertHeadAndTail("wait", waited.result.stdout as string, expected)
    const resource = await readWithin(server, `job://${id}/output`)
    assertHeadAndTail("job://…/output", resource.text, expected)
    expect(server.clientErrors).toEqual([])
  })

  it("NUL bytes: a 10 MB run and 1 MB of them become markers within the budget; raw stays within the bound", { timeout: 60_000 }, async () => {
    const server = await connectStdioForTest()
    const line = (await callWithin(server, "execute", { command: "head -c 10000000 /dev/zero; echo END", wait_ms: 20_000 })).result
    expect(line).toMatchObject({ status: "completed" })
    expect(line.stdout).toMatch(/^⟨\d+ × NUL⟩/)
    expect(line.stdout).toMatch(/⟨\d+ × NUL⟩END\n$/)
    const id = line.job_id as string
    expect((await callWithin(server, "tail", { job_id: id, lines: 1 })).result).toMatchObject({ stdout: "⟨10000000 × NUL⟩END\n", truncated: false })
    const summary = (await callWithin(server, "output", { job_id: id })).result
    expect(summary.stdout).toMatch(/^⟨\d+ × NUL⟩[^]*⟨\d+ × NUL⟩END\n$/)

    // Raw, each NUL costs the six bytes of its JSON escape: fewer of them fit, and the message stays bounded.
    const rawTail = await callWithin(server, "tail", { job_id: id, lines: 1, raw: true })
    expect(rawTail.result.stdout).toMatch(/^\0+ ⟨… [\d,]+ bytes cut …⟩ \0+END\n$/)
    expect(rawTail.size.output).toBeGreaterThan(BUDGET / 2)
    const rawSummary = await callWithin(server, "output", { job_id: id, raw: true })
    expect(rawSummary.result.stdout).toMatch(/^\0+\n⟨… [\d,]+ bytes, 0 lines left out: [^]*…⟩\n\0+END\n$/)
    await callWithin(server, "wait", { job_id: id, cursor: startCursor(id), raw: true, timeout_s: 5 })

    const block = (await callWithin(server, "execute", { command: "head -c 1000000 /dev/zero", wait_ms: 20_000 })).result
    expect(block).toMatchObject({ status: "completed", stdout: "⟨1000000 × NUL⟩", truncated: false })
    const blockId = block.job_id as string
    expect((await callWithin(server, "output", { job_id: blockId })).result).toMatchObject({ stdout: "⟨1000000 × NUL⟩", truncated: false })
    expect((await readWithin(server, `job://${blockId}/stdout`)).text).toBe("⟨1000000 × NUL⟩")
    const rawPage = (await callWithin(server, "output", { job_id: blockId, cursor: startCursor(blockId), raw: true })).result
    const nuls = (rawPage.stdout as string).length
    expect(rawPage.stdout).toBe("\0".repeat(nuls))
    expect(nuls).toBeGreaterThan((0.9 * BUDGET) / 6)
    expect(rawPage.remaining_bytes).toBe(1_000_000 - nuls)
    const rawBlock = await callWithin(server, "output", { job_id: blockId, raw: true })
    expect(rawBlock.result.stdout).toMatch(/^\0+\n⟨… [\d,]+ bytes, 0 lines left out: [^]*…⟩\n\0+$/)
    expect(server.clientErrors).toEqual([])
  })

  it("filter with context gives grep -C groups and the number of matches; small pages reassemble every match once", async () => {
    const marker = uniqueMarker("budget-context")
    const server = await connectStdioForTest()
    const errors = [10, 13, 14, 40, 100]
    const lineOf = (n: number) => (errors.includes(n) ? `ERROR ${n}` : `line ${n}`)
    const started = await server.call("execute", {
      command: nodeScript(`const errors = ${JSON.stringify(errors)}; for (let n = 1; n <= 100; n++) console.log(errors.includes(n) ? 'ERROR ' + n : 'line ' + n)`, marker),
      wait_ms: 20_000
    })
    expect(started.status).toBe("completed")
    const id = started.job_id as string
    const range = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => lineOf(from + i))

    const grouped = await server.call("output", { job_id: id, filter: "ERROR", context: 2 })
    // As grep -C 2: overlapping or adjacent groups merge, others are separated by "--"; the last match has no lines after it.
    const expected = [...range(8, 16), "--", ...range(38, 42), "--", ...range(98, 100)].join("\n") + "\n"
    expect(grouped).toMatchObject({ stdout: expected, stderr: "", matches: errors.length, remaining_bytes: 0, truncated: false })
    expect(await server.call("output", { job_id: id, filter: "ERROR" })).toMatchObject({
      stdout: errors.map((n) => `ERROR ${n}\n`).join(""),
      matches: errors.length
    })

    // Pages of a few matches each: every match once, in order, and nothing else.
    for (const context of [0, 2]) {
      let cursor = startCursor(id)
      const seen: Array<string> = []
      let pages = 0
      while (true) {
        const page = await server.call("output", { job_id: id, cursor, filter: "ERROR", context, max_bytes: 24 })
        pages++
        expect(Buffer.byteLength(page.stdout as string)).toBeLessThanOrEqual(24)
        seen.push(...(page.stdout as string).split("\n").slice(0, -1))
        cursor = page.cursor as string
        if (page.remaining_bytes === 0) break
        expect(pages).toBeLessThan(100)
      }
      const matched = seen.filter((text) => text.startsWith("ERROR"))
      expect(matched, `context ${context}: every match once`).toEqual(errors.map((n) => `ERROR ${n}`))
      if (context === 0) expect(seen).toEqual(matched)
      const shown = seen.filter((text) => text !== "--")
      expect(new Set(shown).size, `context ${context}: no line twice`).toBe(shown.length)
      expect(pages).toBeGreaterThan(2)
    }
    await expectNoneLeft(server, marker)
  })

  it("a search through 8 MB of output pauses for other calls: list answers before the search does", { timeout: 60_000 }, async () => {
    const server = await connectStdioForTest()
    onTestFinished(() => server.close())
    const started = await server.call("execute", { command: "seq 1 1200000", wait_ms: 30_000 })
    expect(started.status).toBe("completed")
    const order: Array<string> = []
    // A pattern that matches almost nothing: every one of the 1.2M lines is tested.
    const searching = server.call("output", { job_id: started.job_id, filter: "^1234567[0-9]$" }).then((result) => {
      order.push("output")
      return result
    })
    // Sent right after the search on the same pipe; answered while the search still runs.
    const listing = server.call("list").then(() => order.push("list"))
    const [found] = await Promise.all([searching, listing])
    expect(found.matches).toBe(0)
    expect(order).toEqual(["list", "output"])
  })

  it("a wait that scans 8 MB already printed lets other calls through, and a matched line is cut to fit", { timeout: 60_000 }, async () => {
    const server = await connectStdioForTest()
    onTestFinished(() => server.close())
    const started = await server.call("execute", { command: "seq 1 1200000", wait_ms: 30_000 })
    expect(started.status).toBe("completed")
    const order: Array<string> = []
    const waiting = server.call("wait", { job_id: started.job_id, cursor: startCursor(started.job_id as string), until: "^1234567[0-9]$" })
      .then((result) => {
        order.push("wait")
        return result
      })
    const listing = server.call("list").then(() => order.push("list"))
    const [waited] = await Promise.all([waiting, listing])
    expect(waited.reason).toBe("exited")
    expect(order).toEqual(["list", "wait"])

    const long = await server.call("execute", { command: `printf 'MATCH%0100000d\n' 0`, wait_ms: 30_000 })
    const matched = await server.call("wait", { job_id: long.job_id, cursor: startCursor(long.job_id as string), until: "^MATCH" })
    expect(matched.reason).toBe("matched")
    expect(Buffer.byteLength(matched.matched_line as string)).toBeLessThanOrEqual(1024)
    expect(matched.matched_line).toMatch(/^MATCH0+ ⟨… [\d,]+ bytes cut …⟩ 0+$/)
  })

  it("max_bytes takes 1 B to 1 MiB and is named when out of range", async () => {
    const server = await connectStdioForTest()
    const id = (await server.call("execute", { command: "seq 1 1000", wait_ms: 10_000 })).job_id as string
    for (const [tool, args] of [["output", {}], ["tail", {}], ["wait", { timeout_s: 1 }]] as const) {
      for (const maxBytes of [0, 1_048_577, 1.5]) {
        expect(await server.callError(tool, { job_id: id, ...args, max_bytes: maxBytes }), `${tool} max_bytes ${maxBytes}`).toMatch(/max_bytes/)
      }
    }
    const widest = await callWithin(server, "output", { job_id: id, max_bytes: 1_048_576 })
    expect(widest.result).toMatchObject({ stdout: seqText(1, 1000), truncated: false })
  })

  it("a tiny max_bytes holds for every tool, long lines and both streams included", async () => {
    const marker = uniqueMarker("budget-tiny")
    const server = await connectStdioForTest()
    // 200 short lines, a 5,000-byte line, and a 3,000-byte warning on stderr.
    const printer = "seq 1 200; head -c 5000 /dev/zero | tr '\\0' x; echo; { printf 'warning: '; head -c 3000 /dev/zero | tr '\\0' y; echo; } >&2"
    const echo = (await server.call("execute", {
      command: nodeScript("process.stdin.on('data', (d) => { process.stdout.write(d); process.stderr.write(d) })", marker)
    })).job_id as string
    for (const maxBytes of [1, 2, 3, 5, 8, 13, 30, 100]) {
      const within = async (name: string, args: Record<string, unknown>) => {
        const { result, size } = await callWithin(server, name, { ...args, max_bytes: maxBytes }, maxBytes)
        expect(result.truncated, `${name} ${JSON.stringify(args)} max_bytes ${maxBytes}: truncated`).toBe(true)
        return size
      }
      const started = await server.call("execute", { command: printer, wait_ms: 20_000, max_bytes: maxBytes })
      expect(outputCost(started), `execute max_bytes ${maxBytes}`).toBeLessThanOrEqual(maxBytes)
      const id = started.job_id as string
      await within("output", { job_id: id })
      await within("output", { job_id: id, cursor: startCursor(id) })
      await within("output", { job_id: id, filter: "0$|x|warning", context: 1 })
      await within("output", { job_id: id, cursor: startCursor(id), filter: "x" })
      await within("tail", { job_id: id, lines: 3 })
      await within("tail", { job_id: id, lines: 1 })
      await within("wait", { job_id: id, cursor: startCursor(id), timeout_s: 5 })
      await within("interact", { job_id: echo, input: `a reply ${"z".repeat(100)} longer than the budget`, until: "budget" })
    }
    await expectNoneLeft(server, marker)
  })

  it("MCP_BG_MAX_RESULT_SIZE=4KB keeps every result within 4 KiB", { timeout: 60_000 }, async () => {
    const budget = 4 * KiB
    const server = await connectStdioForTest({ MCP_BG_MAX_RESULT_SIZE: "4KB" })
    const expected = seqText(1, 100_000)
    const started = await callWithin(server, "execute", { command: "seq 1 100000", wait_ms: 20_000 }, budget)
    const id = started.result.job_id as string
    assertHeadAndTail("execute", started.result.stdout as string, expected)
    assertHeadAndTail("output", (await callWithin(server, "output", { job_id: id }, budget)).result.stdout as string, expected)
    assertHeadAndTail("wait", (await callWithin(server, "wait", { job_id: id, cursor: startCursor(id), timeout_s: 5 }, budget)).result.stdout as string, expected)
    const page = (await callWithin(server, "output", { job_id: id, cursor: startCursor(id) }, budget)).result
    expect(Buffer.byteLength(page.stdout as string)).toBeGreaterThan(budget - 16)
    expect((await callWithin(server, "output", { job_id: id, filter: "7$" }, budget)).result.matches).toBe(10_000)
    const tailed = (await callWithin(server, "tail", { job_id: id, lines: 1000 }, budget)).result
    expect(expected.endsWith(tailed.stdout as string)).toBe(true)
    expect(tailed.truncated).toBe(true)
    for (const view of ["output", "stdout"]) assertHeadAndTail(view, (await readWithin(server, `job://${id}/${view}`, budget)).text, expected)
    // Both streams, one after the other: the head is stdout's start, the tail stderr's end, and each stream
    // marks what it lost between them.
    const both = (await callWithin(server, "execute", { command: "seq 1 100000; seq 1 100000 >&2", wait_ms: 20_000 }, budget)).result
    const bothSummary = (await callWithin(server, "output", { job_id: both.job_id }, budget)).result
    const fromStdout = assertHeadAndTail("stdout", bothSummary.stdout as string, expected)
    const fromStderr = assertHeadAndTail("stderr", bothSummary.stderr as string, expected)
    expect(fromStdout.head.startsWith("1\n2\n")).toBe(true)
    expect(fromStderr.tail.endsWith("\n99999\n100000\n")).toBe(true)
    expect(fromStdout.cursor).toBe(fromStderr.cursor)
    expect(bothSummary).toMatchObject({ omitted_bytes: fromStdout.bytes + fromStderr.bytes, omitted_lines: fromStdout.lines + fromStderr.lines })
    // A call may still ask for more than the server's budget.
    expect(Buffer.byteLength((await server.call("output", { job_id: id, max_bytes: 8 * KiB })).stdout as string)).toBeGreaterThan(budget)

    await expectDeclaredSizes(server, budget, BUDGET)
  })

  it("tools declare anthropic/maxResultSizeChars above the budget", async () => {
    const server = await connectStdioForTest()
    await expectDeclaredSizes(server, BUDGET, MESSAGE_BOUND)
  })

  it("an invalid MCP_BG_MAX_RESULT_SIZE or --max-result-size stops the server at start, naming it", async () => {
    const cases: Array<[Array<string>, Record<string, string>, RegExp]> = [
      [[], { MCP_BG_MAX_RESULT_SIZE: "100" }, /^mcp-background-job: MCP_BG_MAX_RESULT_SIZE: invalid value "100": expected a size in bytes from 1KB to 1MB/],
      [[], { MCP_BG_MAX_RESULT_SIZE: "2MB" }, /^mcp-background-job: MCP_BG_MAX_RESULT_SIZE: invalid value "2MB"/],
      [["--max-result-size", "lots"], {}, /^mcp-background-job: --max-result-size: invalid value "lots"/]
    ]
    for (const [args, env, message] of cases) {
      const result = await runBin(args, env)
      expect(result.code, `${JSON.stringify([args, env])}: ${result.stderr}`).toBe(2)
      expect(result.stderr.trim().split("\n")).toHaveLength(1)
      expect(result.stderr).toMatch(message)
      expect(result.stdout).toBe("")
    }
  })
})
