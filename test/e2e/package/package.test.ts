/**
 * Package hygiene, as a user installing it would meet it: what `npm pack` ships, the `exports` map with
 * types, imports without side effects (no environment read, no handle opened, nothing printed — which is
 * what `sideEffects` promises for every module it does not list), and a doc comment on every public export.
 */
import { execFile, execFileSync } from "node:child_process"
import * as fs from "node:fs"
import * as path from "node:path"
import { pathToFileURL } from "node:url"
import { promisify } from "node:util"
import { assert, describe, it } from "vitest"

const root = path.resolve(import.meta.dirname, "../../..")
const execFileAsync = promisify(execFile)
const packageJson = JSON.parse(fs.readFileSync(path.join(root, "package.json"), "utf8")) as {
  readonly exports: Record<string, string | Record<string, string>>
  readonly sideEffects: boolean | ReadonlyArray<string>
  readonly files: ReadonlyArray<string>
}

const distModules = (dir = path.join(root, "dist")): Array<string> =>
  fs.readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const full = path.join(dir, entry.name)
    if (entry.isDirectory()) return distModules(full)
    return entry.name.endsWith(".js") ? [`./${path.relative(root, full)}`] : []
  })

describe("package", () => {
  it("packs dist, README and LICENSE, and nothing from test/ or src/", () => {
    const output = execFileSync("npm", ["pack", "--dry-run", "--json", "--ignore-scripts"], { cwd: root, encoding: "utf8" })
    const files = (JSON.parse(output) as Array<{ files: Array<{ path: string }> }>)[0]!.files.map((file) => file.path)
    for (const required of ["README.md", "LICENSE", "package.json", "dist/index.js", "dist/index.d.ts", "dist/testing/index.js", "dist/testing/index.d.ts", "dist/bin.js"]) {
      assert.include(files, required)
    }
    const stray = files.filter((file) => !file.startsWith("dist/") && !["README.md", "LICENSE", "package.json"].includes(file))
    assert.deepStrictEqual(stray, [], "only dist, README, LICENSE and package.json are packed")
    assert.deepStrictEqual(files.filter((file) => /(^|\/)test\//.test(file) || file.includes(".test.")), [])
  })

  it("exports . and ./testing with their types, and both files exist", () => {
    for (const [entry, target] of [[".", "index"], ["./testing", "testing/index"]] as const) {
      assert.deepStrictEqual(packageJson.exports[entry], { types: `./dist/${target}.d.ts`, default: `./dist/${target}.js` })
      assert.isTrue(fs.existsSync(path.join(root, "dist", `${target}.js`)))
      assert.isTrue(fs.existsSync(path.join(root, "dist", `${target}.d.ts`)))
    }
  })

  it("has no import-time side effects outside the modules listed in sideEffects", () => {
    assert.isTrue(Array.isArray(packageJson.sideEffects), "sideEffects lists the modules that have them")
    const listed = new Set(packageJson.sideEffects as ReadonlyArray<string>)
    assert.isTrue(listed.has("./dist/bin.js"), "the command-line entry runs when imported")
    const pure = distModules().filter((module) => !listed.has(module))
    assert.includeMembers(pure, ["./dist/index.js", "./dist/testing/index.js"])

    const probeDir = path.join(root, ".vitest-tmp")
    fs.mkdirSync(probeDir, { recursive: true })
    const probe = path.join(probeDir, "import-probe.mjs")
    const report = path.join(probeDir, "import-probe.json")
    // Records every environment variable read and every handle opened while the modules are imported.
    fs.writeFileSync(
      probe,
      `import * as fs from "node:fs"
const reads = new Set()
const env = process.env
process.env = new Proxy(env, {
  get: (target, key) => { if (typeof key === "string") reads.add(key); return Reflect.get(target, key) },
  has: (target, key) => { if (typeof key === "string") reads.add(key); return Reflect.has(target, key) },
  ownKeys: (target) => { reads.add("(every variable)"); return Reflect.ownKeys(target) }
})
// What Node's module loader reads (NODE_V8_COVERAGE for a module with a source map, ...) is not ours.
await import("./import-probe-baseline.mjs")
const loaderReads = new Set(reads)
reads.clear()
const before = process.getActiveResourcesInfo()
for (const specifier of process.argv.slice(3)) await import(specifier)
await new Promise((resolve) => setImmediate(resolve))
const opened = process.getActiveResourcesInfo()
for (const resource of before) opened.splice(opened.indexOf(resource), 1)
process.env = env
fs.writeFileSync(process.argv[2], JSON.stringify({ reads: [...reads].filter((key) => !loaderReads.has(key)), opened }))
`
    )
    fs.writeFileSync(path.join(probeDir, "import-probe-baseline.mjs"), "export default 1\n//# sourceMappingURL=none.map\n")
    const specifiers = ["mcp-background-job", "mcp-background-job/testing", ...pure.map((module) => pathToFileURL(path.join(root, module)).href)]
    const printed = execFileSync(process.execPath, [probe, report, ...specifiers], {
      cwd: root,
      encoding: "utf8",
      stdio: ["pipe", "pipe", "pipe"],
      env: { ...process.env, MCP_BG_MAX_JOBS: "not a number" }
    })
    assert.strictEqual(printed, "", "importing prints nothing")
    const result = JSON.parse(fs.readFileSync(report, "utf8")) as { reads: Array<string>; opened: Array<string> }
    assert.deepStrictEqual(result.reads, [], "no environment variable is read at import time")
    assert.deepStrictEqual(result.opened, [], "no handle (server, timer, stdio stream) is opened at import time")
  }, 60_000)

  it("documents every public export with a doc comment", async () => {
    const { stdout } = await execFileAsync(
      process.execPath,
      [path.join(root, "test/support/undocumentedExports.mjs"), root, path.join(root, "src/index.ts"), path.join(root, "src/testing/index.ts")],
      { cwd: root, encoding: "utf8" }
    )
    const result = JSON.parse(stdout) as { checked: number; undocumented: Array<string> }
    assert.isAbove(result.checked, 50, "the namespaces' members are checked too")
    assert.deepStrictEqual(result.undocumented, [], "these public exports have no doc comment")
  }, 180_000)
})
