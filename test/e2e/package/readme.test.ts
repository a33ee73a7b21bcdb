/**
 * The README's examples cannot rot: every ```ts block under "Use it as a library" and "Test with a virtual
 * clock" is written to a file, type-checked (by tsc, in its own process) as a user's file would be (imports resolved through the
 * package's `exports`), and run. Library examples run as programs and must print what their
 * `// prints: ...` comments say; virtual-clock examples are test files whose tests join this one.
 */
import { execFile } from "node:child_process"
import * as fs from "node:fs"
import * as path from "node:path"
import { promisify } from "node:util"
import { assert, describe, it, vi } from "vitest"

const root = path.resolve(import.meta.dirname, "../../..")
const execFileAsync = promisify(execFile)
const readme = fs.readFileSync(path.join(root, "README.md"), "utf8")

/** The ```ts blocks between `## heading` and the next second-level heading. */
const examplesUnder = (heading: string): Array<string> => {
  const start = readme.indexOf(`\n## ${heading}\n`)
  assert.isAtLeast(start, 0, `README has a "## ${heading}" section`)
  const end = readme.indexOf("\n## ", start + 1)
  const section = readme.slice(start, end < 0 ? undefined : end)
  return Array.from(section.matchAll(/```ts\n([\s\S]*?)```/g), (match) => match[1]!)
}

const directory = path.join(root, ".vitest-tmp", "readme")
fs.rmSync(directory, { recursive: true, force: true })
fs.mkdirSync(directory, { recursive: true })

const write = (name: string, code: string): string => {
  const file = path.join(directory, name)
  fs.writeFileSync(file, code)
  return file
}

const library = examplesUnder("Use it as a library").map((code, index) => ({
  code,
  file: write(`library-${index + 1}.ts`, code)
}))
const virtualClock = examplesUnder("Test with a virtual clock").map((code, index) => ({
  code,
  file: write(`virtual-clock-${index + 1}.test.ts`, code)
}))

describe("README examples", () => {
  it("has examples in both sections", () => {
    assert.isAtLeast(library.length, 3)
    assert.isAtLeast(virtualClock.length, 2)
  })

  it("type-check as a user's code", async () => {
    // The compiler runs in its own process: a program with Effect's types takes seconds of CPU.
    const project = path.join(directory, "tsconfig.json")
    fs.writeFileSync(
      project,
      JSON.stringify({ extends: "../../tsconfig.json", compilerOptions: { noEmit: true, rootDir: "../.." }, include: ["*.ts"] })
    )
    const tsc = path.join(root, "node_modules/typescript/bin/tsc")
    const result = await execFileAsync(process.execPath, [tsc, "-p", project, "--pretty", "false"], { cwd: root }).then(
      () => "",
      (error: { stdout?: string; message: string }) => error.stdout || error.message
    )
    assert.strictEqual(result, "", "the README examples have type errors")
  }, 180_000)

  for (const [index, example] of library.entries()) {
    it(`library example ${index + 1} runs and prints what it says`, async () => {
      const expected = Array.from(example.code.matchAll(/\/\/ prints: (.*)$/gm), (match) => match[1]!.trim())
      assert.isAtLeast(expected.length, 1, "each library example says what it prints")
      const printed: Array<string> = []
      const spy = vi.spyOn(console, "log").mockImplementation((...args: Array<unknown>) => {
        printed.push(args.map(String).join(" "))
      })
      try {
        await import(example.file)
      } finally {
        spy.mockRestore()
      }
      for (const text of expected) {
        assert.isTrue(printed.some((line) => line.includes(text)), `printed ${JSON.stringify(text)}; got ${JSON.stringify(printed)}`)
      }
    }, 30_000)
  }
})

// The virtual-clock examples are test files: importing them here registers their tests in this file.
describe("README virtual-clock examples", async () => {
  for (const example of virtualClock) await import(example.file)
})
