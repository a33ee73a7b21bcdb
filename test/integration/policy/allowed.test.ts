/**
 * What an allowlist must still let through, and how a pattern allows a wrapper, a construct or a redirect
 * explicitly (by spelling it).
 */
import { assert, describe, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as fs from "node:fs"
import * as path from "node:path"
import { runToEnd } from "../../support/runtime.js"
import { inSandbox, outcome } from "../../support/sandbox.js"

describe("allowed commands under ^echo ,^ls,^grep ", () => {
  const allowlist = { allowedCommands: ["^echo ", "^ls", "^grep "] }

  it.scopedLive("runs a list of allowed commands", () =>
    inSandbox(allowlist, () =>
      Effect.gen(function*() {
        const result = yield* runToEnd({ command: "echo a && ls" })
        assert.strictEqual(result.status, "completed")
        assert.include(result.stdout, "a\n")
        assert.include(result.stdout, "victim")
      })
    ))

  it.scopedLive("runs a pipeline of allowed commands", () =>
    inSandbox(allowlist, () =>
      Effect.gen(function*() {
        const result = yield* runToEnd({ command: "ls | grep vic" })
        assert.strictEqual(result.status, "completed")
        assert.strictEqual(result.stdout, "victim\n")
      })
    ))

  it.scopedLive("keeps ; and $( inside quotes as text", () =>
    inSandbox(allowlist, (sandbox) =>
      Effect.gen(function*() {
        const result = yield* runToEnd({ command: "echo 'a;b' '$(touch created)' \"c;d\" \"\\$(rm victim)\"" })
        assert.strictEqual(result.status, "completed")
        assert.strictEqual(result.stdout, "a;b $(touch created) c;d $(rm victim)\n")
        assert.isTrue(sandbox.untouched())
      })
    ))

  it.scopedLive("allows redirects to /dev/null and descriptor duplication, newlines and background jobs", () =>
    inSandbox(allowlist, () =>
      Effect.gen(function*() {
        const result = yield* runToEnd({ command: "ls /nonexistent 2>/dev/null\necho done 2>&1\necho background &" })
        assert.include(result.stdout, "done")
      })
    ))

  it.scopedLive("runs parameter expansions of the environment", () =>
    inSandbox(allowlist, () =>
      Effect.gen(function*() {
        const result = yield* runToEnd({ command: "echo \"$GREETING\" ${GREETING:-none}", env: { GREETING: "hello" } })
        assert.strictEqual(result.stdout, "hello hello\n")
      })
    ))
})

describe("explicit allowance: a pattern that spells the wrapper, construct or redirect", () => {
  const spelled = {
    allowedCommands: [
      "^timeout \\d+ ls$",
      "^find \\. -name victim -exec ls \\{\\} \\\\;$",
      "^find ",
      "^echo \\$\\(date \\+%Y\\)$",
      "^date ",
      "^ls > listing\\.txt$",
      "^git "
    ]
  }

  const rule = (command: string) => outcome({ command, stdin: "null" })

  it.scopedLive("allows a wrapper use that the pattern spells, and no other", () =>
    inSandbox(spelled, (sandbox) =>
      Effect.gen(function*() {
        assert.strictEqual(yield* rule("timeout 5 ls"), "ran")
        assert.strictEqual(yield* rule("timeout 5 touch created"), "not-allowed")
        assert.strictEqual(yield* rule("find . -name victim -exec ls {} \\;"), "ran")
        assert.strictEqual(yield* rule("find . -name victim -exec rm {} \\;"), "wrapper")
        assert.strictEqual(yield* rule("find . -name victim -delete"), "wrapper")
        assert.strictEqual(yield* rule("git -c alias.x='!touch created' x"), "wrapper")
        assert.strictEqual(yield* rule("git config alias.x '!touch created'"), "wrapper")
        assert.isTrue(sandbox.untouched())
      })
    ))

  it.scopedLive("allows a substitution that the pattern spells, with its inner command checked too", () =>
    inSandbox(spelled, (sandbox) =>
      Effect.gen(function*() {
        const result = yield* runToEnd({ command: "echo $(date +%Y)" })
        assert.match(result.stdout, /^\d{4}\n$/)
        assert.strictEqual(yield* rule("echo $(date +%Y; touch created)"), "not-allowed")
        assert.isTrue(sandbox.untouched())
      })
    ))

  it.scopedLive("allows a redirect that the pattern spells", () =>
    inSandbox(spelled, (sandbox) =>
      Effect.gen(function*() {
        assert.strictEqual(yield* rule("ls > listing.txt"), "ran")
        assert.isTrue(fs.existsSync(path.join(sandbox.dir, "listing.txt")))
        assert.strictEqual(yield* rule("ls > created"), "not-allowed")
      })
    ))
})
