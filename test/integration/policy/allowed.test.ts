/**
 * What an allowlist must still let through, and how a pattern allows a wrapper, a construct or a redirect
 * explicitly (by spelling it).
 */
import * as Either from "effect/Either"
import * as fs from "node:fs"
import * as path from "node:path"
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest"
import { makeRuntime, makeSandbox, type Sandbox } from "../../support/sandbox.js"

describe("allowed commands under ^echo ,^ls,^grep ", () => {
  let sandbox: Sandbox
  let jobs: ReturnType<typeof makeRuntime>
  beforeAll(() => {
    sandbox = makeSandbox()
    jobs = makeRuntime({ workingDir: sandbox.dir, allowedCommands: ["^echo ", "^ls", "^grep "] })
  })
  afterAll(async () => {
    await jobs.dispose()
    sandbox.remove()
  })
  beforeEach(() => sandbox.reset())

  it("runs a list of allowed commands", async () => {
    const result = await jobs.run({ command: "echo a && ls" })
    expect(result.status).toBe("completed")
    expect(result.stdout).toContain("a\n")
    expect(result.stdout).toContain("victim")
  })

  it("runs a pipeline of allowed commands", async () => {
    const result = await jobs.run({ command: "ls | grep vic" })
    expect(result.status).toBe("completed")
    expect(result.stdout).toBe("victim\n")
  })

  it("keeps ; and $( inside quotes as text", async () => {
    const result = await jobs.run({ command: "echo 'a;b' '$(touch created)' \"c;d\" \"\\$(rm victim)\"" })
    expect(result.status).toBe("completed")
    expect(result.stdout).toBe("a;b $(touch created) c;d $(rm victim)\n")
    expect(sandbox.untouched()).toBe(true)
  })

  it("allows redirects to /dev/null and descriptor duplication, newlines and background jobs", async () => {
    const result = await jobs.run({ command: "ls /nonexistent 2>/dev/null\necho done 2>&1\necho background &" })
    expect(result.stdout).toContain("done")
  })

  it("runs parameter expansions of the environment", async () => {
    const result = await jobs.run({ command: "echo \"$GREETING\" ${GREETING:-none}", env: { GREETING: "hello" } })
    expect(result.stdout).toBe("hello hello\n")
  })
})

describe("explicit allowance: a pattern that spells the wrapper, construct or redirect", () => {
  let sandbox: Sandbox
  let jobs: ReturnType<typeof makeRuntime>
  beforeAll(() => {
    sandbox = makeSandbox()
    jobs = makeRuntime({
      workingDir: sandbox.dir,
      allowedCommands: [
        "^timeout \\d+ ls$",
        "^find \\. -name victim -exec ls \\{\\} \\\\;$",
        "^find ",
        "^echo \\$\\(date \\+%Y\\)$",
        "^date ",
        "^ls > listing\\.txt$",
        "^git "
      ]
    })
  })
  afterAll(async () => {
    await jobs.dispose()
    sandbox.remove()
  })
  beforeEach(() => sandbox.reset())

  const rule = async (command: string) => {
    const result = await jobs.execute({ command, stdin: "null" })
    return Either.isLeft(result) && result.left._tag === "CommandRejected" ? result.left.rule : "ran"
  }

  it("allows a wrapper use that the pattern spells, and no other", async () => {
    expect(await rule("timeout 5 ls")).toBe("ran")
    expect(await rule("timeout 5 touch created")).toBe("not-allowed")
    expect(await rule("find . -name victim -exec ls {} \\;")).toBe("ran")
    expect(await rule("find . -name victim -exec rm {} \\;")).toBe("wrapper")
    expect(await rule("find . -name victim -delete")).toBe("wrapper")
    expect(await rule("git -c alias.x='!touch created' x")).toBe("wrapper")
    expect(await rule("git config alias.x '!touch created'")).toBe("wrapper")
    expect(sandbox.untouched()).toBe(true)
  })

  it("allows a substitution that the pattern spells, with its inner command checked too", async () => {
    const result = await jobs.run({ command: "echo $(date +%Y)" })
    expect(result.stdout).toMatch(/^\d{4}\n$/)
    expect(await rule("echo $(date +%Y; touch created)")).toBe("not-allowed")
    expect(sandbox.untouched()).toBe(true)
  })

  it("allows a redirect that the pattern spells", async () => {
    expect(await rule("ls > listing.txt")).toBe("ran")
    expect(fs.existsSync(path.join(sandbox.dir, "listing.txt"))).toBe(true)
    expect(await rule("ls > created")).toBe("not-allowed")
  })
})
