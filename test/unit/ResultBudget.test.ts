import { assert, describe, it } from "@effect/vitest"
import * as Either from "effect/Either"
import { compileLinePattern } from "../../src/internal/LinePattern.js"
import { OutputBuffer, type Position, type StreamName } from "../../src/OutputBuffer.js"
import { searchPage } from "../../src/internal/OutputSearch.js"
import { cutLine, newestLinesWithin, readPage, readSummary } from "../../src/internal/ResultBudget.js"
import { markControlRuns, resultCost } from "../../src/internal/TextView.js"

const START: Position = { stdout: 0, stderr: 0 }
const cursorAt = (at: Position) => `c:${at.stdout}:${at.stderr}`

const bufferOf = (writes: ReadonlyArray<readonly [StreamName, string | Uint8Array]>, capacity = 64 * 1024 * 1024) => {
  const buffer = new OutputBuffer(capacity)
  for (const [stream, data] of writes) buffer.append(stream, typeof data === "string" ? Buffer.from(data) : data)
  return buffer
}

/** Reads every page from `from` with `budget`; checks each page against the budget on the way. */
const allPages = (buffer: OutputBuffer, budget: number, options: { raw?: boolean; running?: boolean } = {}) => {
  let at = START
  let stdout = ""
  let stderr = ""
  const pages: Array<{ stdout: string; stderr: string }> = []
  for (let guard = 0; guard < 100_000; guard++) {
    const page = readPage(buffer, at, { budget, raw: options.raw, running: options.running ?? false })
    pages.push(page)
    assert.isAtMost(resultCost(page.stdout) + resultCost(page.stderr), Math.max(budget, 4), "a page fits its budget")
    stdout += page.stdout
    stderr += page.stderr
    const moved = page.next.stdout !== at.stdout || page.next.stderr !== at.stderr
    at = page.next
    if (page.remainingBytes === 0) return { stdout, stderr, pages }
    assert.isTrue(moved, "every page moves the cursor")
  }
  throw new Error("paging did not end")
}

const numbered = (from: number, to: number, prefix = "") => {
  let text = ""
  for (let n = from; n <= to; n++) text += `${prefix}${n}\n`
  return text
}

describe("result budget", () => {
  it("pages reassemble interleaved stdout and stderr exactly, each page ending at a line break", () => {
    const writes: Array<[StreamName, string]> = []
    let out = ""
    let err = ""
    for (let i = 0; i < 2000; i++) {
      const line = `line ${i} ${"x".repeat(i % 97)}\n`
      const stream: StreamName = i % 7 === 0 ? "stderr" : "stdout"
      writes.push([stream, line])
      if (stream === "stdout") out += line
      else err += line
    }
    const { pages, stderr, stdout } = allPages(bufferOf(writes), 4096)
    assert.strictEqual(stdout, out)
    assert.strictEqual(stderr, err)
    assert.isAbove(pages.length, 20)
    for (const page of pages.slice(0, -1)) {
      const text = page.stdout + page.stderr
      assert.isTrue(page.stdout.endsWith("\n") || page.stderr.endsWith("\n"), `a page ends after a line: ${JSON.stringify(text.slice(-20))}`)
    }
  })

  it("never cuts inside a UTF-8 character, whatever the budget", () => {
    const text = "é€😀a".repeat(150)
    for (const budget of [1, 2, 3, 5, 7, 100]) {
      const { pages, stdout } = allPages(bufferOf([["stdout", text]]), budget)
      assert.strictEqual(stdout, text)
      for (const page of pages) assert.notInclude(page.stdout, "\uFFFD")
    }
  })

  it("holds back an unfinished character while the job runs", () => {
    const euro = Buffer.from("€")
    const buffer = bufferOf([["stdout", Buffer.concat([Buffer.from("ab"), euro.subarray(0, 2)])]])
    const page = readPage(buffer, START, { budget: 100, running: true })
    assert.strictEqual(page.stdout, "ab")
    assert.deepStrictEqual(page.next, { stdout: 2, stderr: 0 })
    buffer.append("stdout", euro.subarray(2))
    assert.strictEqual(readPage(buffer, page.next, { budget: 100, running: true }).stdout, "€")
  })

  it("pages a 1 MB line without a newline in budget-sized pieces", () => {
    const line = "abcdefghij".repeat(100_000)
    const { pages, stdout } = allPages(bufferOf([["stdout", line]]), 32 * 1024)
    assert.strictEqual(stdout, line)
    assert.strictEqual(pages.length, Math.ceil(line.length / (32 * 1024)))
  })

  it("keeps invalid UTF-8 within the budget although each bad byte becomes three", () => {
    const bytes = new Uint8Array(10_000).fill(0xff)
    const { pages } = allPages(bufferOf([["stdout", bytes]]), 1000)
    const characters = pages.reduce((sum, page) => sum + page.stdout.length, 0)
    assert.strictEqual(characters, 10_000, "every byte is shown once, as a replacement character")
  })

  it("summarises long output as its head and tail with a marker that says what was left out", () => {
    const out = numbered(1, 100_000)
    const buffer = bufferOf([["stdout", out], ["stderr", "done\n"]])
    const budget = 32 * 1024
    const summary = readSummary(buffer, START, { budget, running: false, cursorAt })
    assert.isAtMost(resultCost(summary.stdout) + resultCost(summary.stderr), budget)
    assert.isTrue(summary.stdout.startsWith("1\n2\n3\n"))
    assert.isTrue(summary.stdout.endsWith("99999\n100000\n"))
    assert.strictEqual(summary.stderr, "done\n")
    assert.isDefined(summary.omitted)
    const omitted = summary.omitted!
    const marker = summary.stdout.split("\n").find((line) => line.startsWith("⟨…"))!
    assert.include(marker, `${omitted.bytes.toLocaleString("en-US")} bytes`)
    assert.include(marker, `${omitted.lines.toLocaleString("en-US")} lines left out`)
    assert.include(marker, cursorAt(omitted.from))
    // Head, left-out part and tail are the whole output: the marker's cursor pages through the middle.
    const [head, tail] = summary.stdout.split(`${marker}\n`)
    let middle = ""
    let at = omitted.from
    while (middle.length < omitted.bytes) {
      const page = readPage(buffer, at, { budget, running: false })
      middle += page.stdout
      at = page.next
    }
    assert.strictEqual(head! + middle.slice(0, omitted.bytes) + tail, out)
    assert.strictEqual(omitted.lines, middle.slice(0, omitted.bytes).split("\n").length - 1)
    assert.deepStrictEqual(summary.next, buffer.position)
  })

  it("gives everything when it fits, with no marker", () => {
    const buffer = bufferOf([["stdout", "a\nb\n"], ["stderr", "c\n"]])
    const summary = readSummary(buffer, START, { budget: 1024, running: false, cursorAt })
    assert.deepStrictEqual([summary.stdout, summary.stderr, summary.omitted], ["a\nb\n", "c\n", undefined])
  })

  it("shows a run of binary bytes as one short marker", () => {
    const zeros = new Uint8Array(1_000_000)
    const buffer = bufferOf([["stdout", zeros], ["stdout", "END\n"]])
    const summary = readSummary(buffer, START, { budget: 32 * 1024, running: false, cursorAt })
    assert.isAtMost(resultCost(summary.stdout), 32 * 1024)
    assert.match(summary.stdout, /⟨\d+ × NUL⟩/)
    assert.isTrue(summary.stdout.endsWith("END\n"))
    assert.isBelow(summary.stdout.length, 1000)
  })

  it("counts raw control characters at their JSON size, so raw binary cannot outgrow the budget", () => {
    const buffer = bufferOf([["stdout", new Uint8Array(1_000_000)]])
    const budget = 64 * 1024
    const summary = readSummary(buffer, START, { budget, raw: true, running: false, cursorAt })
    assert.isAtMost(JSON.stringify(summary.stdout).length, budget + 2)
  })

  it("reads one stream alone from the other's end", () => {
    const buffer = bufferOf([["stdout", "out\n"], ["stderr", "err\n"], ["stdout", "more\n"]])
    const summary = readSummary(buffer, { stdout: buffer.bytesSeen("stdout"), stderr: 0 }, { budget: 1024, running: false, cursorAt })
    assert.deepStrictEqual([summary.stdout, summary.stderr], ["", "err\n"])
  })

  it("interleaves both streams in the order written for a transcript", () => {
    const buffer = bufferOf([["stdout", "1\n"], ["stderr", "2\n"], ["stdout", "3\n"]])
    const summary = readSummary(buffer, START, { budget: 1024, running: false, interleave: true, cursorAt })
    assert.deepStrictEqual([summary.stdout, summary.stderr], ["1\n2\n3\n", ""])
  })
})

describe("tail within the budget", () => {
  it("keeps the newest lines that fit", () => {
    const result = newestLinesWithin(numbered(1, 1000), 100)
    assert.isTrue(result.cut)
    assert.isTrue(result.text.endsWith("999\n1000\n"))
    assert.isAtMost(resultCost(result.text), 100)
    assert.isTrue(numbered(1, 1000).endsWith(result.text))
  })

  it("cuts a line too long for the budget in its middle, with a marker", () => {
    const line = "S" + "x".repeat(10_000_000) + "END"
    const cut = cutLine(line, 1000)
    assert.isAtMost(resultCost(cut), 1000)
    assert.isTrue(cut.startsWith("Sxx"))
    assert.isTrue(cut.endsWith("xxEND"))
    assert.match(cut, /⟨… [\d,]+ bytes cut …⟩/)
  })
})

describe("search", () => {
  const lines = Array.from({ length: 5000 }, (_, i) => (i % 100 === 50 ? `ERROR ${i}` : `ok ${i}`))
  const text = lines.join("\n") + "\n"
  const pattern = Either.getOrThrow(compileLinePattern("filter", "^ERROR"))

  it("counts every match and shows context lines as grep -C does", () => {
    const page = searchPage(bufferOf([["stdout", text]]), START, { pattern, context: 1, budget: 1 << 20, running: false })
    assert.strictEqual(page.matches, 50)
    const shown = page.stdout.split("\n")
    assert.deepStrictEqual(shown.slice(0, 7), ["ok 49", "ERROR 50", "ok 51", "--", "ok 149", "ERROR 150", "ok 151"])
    assert.strictEqual(page.remainingBytes, 0)
  })

  it("pages through the matches within the budget, each match once", () => {
    const buffer = bufferOf([["stdout", text], ["stderr", "ERROR on stderr\n"]])
    let at = START
    const found: Array<string> = []
    for (let guard = 0; guard < 1000; guard++) {
      const page = searchPage(buffer, at, { pattern, context: 0, budget: 64, running: false })
      assert.isAtMost(resultCost(page.stdout) + resultCost(page.stderr), 64)
      found.push(...(page.stdout + page.stderr).split("\n").filter((line) => line !== ""))
      at = page.next
      if (page.remainingBytes === 0) break
    }
    assert.strictEqual(found.length, 51)
    assert.strictEqual(new Set(found).size, 51)
    assert.include(found, "ERROR on stderr")
  })

  it("leaves a running job's unfinished line for a later read", () => {
    const buffer = bufferOf([["stdout", "ERROR 1\nERROR 2 still"]])
    const page = searchPage(buffer, START, { pattern, context: 0, budget: 1024, running: true })
    assert.strictEqual(page.stdout, "ERROR 1\n")
    assert.deepStrictEqual(page.next, { stdout: 8, stderr: 0 })
  })
})

describe("a budget of a few bytes", () => {
  const long = numbered(1, 200) + "x".repeat(5000) + "\n"
  const pattern = Either.getOrThrow(compileLinePattern("filter", "0$|x"))

  it("holds for pages, summaries, tails and search; pages still move on one character at a time", () => {
    const buffer = bufferOf([["stdout", long], ["stderr", "warning: " + "y".repeat(3000) + "\n"]])
    for (const budget of [1, 2, 3, 5, 8, 13, 30]) {
      const within = (what: string, texts: ReadonlyArray<string>) =>
        assert.isAtMost(texts.reduce((sum, text) => sum + resultCost(text), 0), budget, `${what} with a budget of ${budget}`)
      const page = readPage(buffer, START, { budget, running: false })
      within("page", [page.stdout, page.stderr])
      assert.isAbove(page.next.stdout + page.next.stderr, 0, "a page moves on")
      const summary = readSummary(buffer, START, { budget, running: false, cursorAt })
      within("summary", [summary.stdout, summary.stderr])
      within("tail", [newestLinesWithin(long, budget).text])
      within("a cut line", [cutLine("x".repeat(5000), budget)])
      const found = searchPage(buffer, START, { pattern, context: 1, budget, running: false })
      within("search", [found.stdout, found.stderr])
      assert.isAbove(found.next.stdout + found.next.stderr, 0, "a search page moves on")
    }
  })

  it("gives a page one whole character when not even that fits", () => {
    const page = readPage(bufferOf([["stdout", "€€"]]), START, { budget: 1, running: false })
    assert.strictEqual(page.stdout, "€")
    assert.deepStrictEqual(page.next, { stdout: 3, stderr: 0 })
  })
})

describe("binary markers", () => {
  it("name a run of one control byte, count a mixed run, and leave tabs and newlines", () => {
    assert.strictEqual(markControlRuns("a\0\0\0b"), "a⟨3 × NUL⟩b")
    assert.strictEqual(markControlRuns("a\x07b"), "a⟨BEL⟩b")
    assert.strictEqual(markControlRuns("\x01\x02\x7f"), "⟨3 control bytes⟩")
    assert.strictEqual(markControlRuns("a\tb\nc"), "a\tb\nc")
  })
})
