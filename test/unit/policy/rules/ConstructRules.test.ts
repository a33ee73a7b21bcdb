/**
 * Constructs and redirections under an allowlist, on hand-written units: refused unless the allowing
 * pattern spells their marker.
 */
import { assert, describe, it } from "@effect/vitest"
import { Refusal } from "../../../../src/policy/Refusal.js"
import { redirectProblem, unspelledConstruct, unspelledRedirect } from "../../../../src/policy/rules/ConstructRules.js"
import { dynamic, redirect, simple, statement, substitution } from "../../../support/shellSyntax.js"

describe("redirectProblem", () => {
  it("finds writes to files, with > as the marker", () => {
    assert.deepStrictEqual(redirectProblem(redirect(">", "out.log")), { marker: ">", what: "writes to the file out.log (>out.log)" })
    for (const operator of [">>", ">|", "&>", "&>>", "<>"]) assert.strictEqual(redirectProblem(redirect(operator, "f"))?.marker, ">")
    assert.deepStrictEqual(redirectProblem(redirect(">&", "file")), { marker: ">", what: "writes to the file file (>&file)" })
  })

  it("finds a write to a file named only at run time", () => {
    assert.strictEqual(redirectProblem(redirect(">", dynamic("$OUT")))?.what, "writes to a file named only at run time (>$OUT)")
  })

  it("finds network connections, with the device as the marker", () => {
    assert.deepStrictEqual(redirectProblem(redirect("<", "/dev/tcp/127.0.0.1/80")), {
      marker: "/dev/tcp",
      what: "opens a network connection (</dev/tcp/127.0.0.1/80)"
    })
    assert.strictEqual(redirectProblem(redirect(">", "/dev/udp/h/53"))?.marker, "/dev/udp")
  })

  it("lets reads, descriptor duplication and closing, here-documents and harmless devices through", () => {
    for (
      const harmless of [
        redirect("<", "input"),
        redirect(">&", "1"),
        redirect(">&", "2-"),
        redirect(">&", "-"),
        redirect("<&", "0"),
        redirect("<<"),
        redirect("<<<", "word"),
        redirect(">", "/dev/null"),
        redirect(">", "/dev/stderr"),
        redirect(">>", "/dev/fd/3"),
        redirect("&>", "/dev/tty")
      ]
    ) assert.isUndefined(redirectProblem(harmless), harmless.text)
  })
})

describe("unspelledRedirect", () => {
  const unit = simple("ls > listing.txt", { redirects: [redirect(">", "/dev/null"), redirect(">", "listing.txt")] })

  it("refuses the first redirection with a problem, naming what it does", () => {
    const refusal = unspelledRedirect(unit, ["^ls"])
    assert.strictEqual(refusal?.rule, "redirect")
    assert.strictEqual(refusal?.refused, "ls > listing.txt")
    assert.strictEqual(
      refusal?.reason,
      "it writes to the file listing.txt (>listing.txt). Drop the redirection (the job's output is kept for you) or redirect to /dev/null."
    )
  })

  it("allows it when the pattern spells the marker", () => {
    assert.isUndefined(unspelledRedirect(unit, ["^ls > listing.txt$"]))
  })

  it("names a statement as a statement", () => {
    assert.strictEqual(unspelledRedirect(statement("{ ls; } > out", { redirects: [redirect(">", "out")] }), [])?.subject, "statement")
  })
})

describe("unspelledConstruct", () => {
  it("refuses a construct the pattern does not spell, quoting it and its marker, and allows one it spells", () => {
    const unit = simple("echo $(date +%Y)", { constructs: [substitution("$(date +%Y)")] })
    assert.isUndefined(unspelledConstruct(unit, ["^echo $(date +%Y)$"]))
    assert.deepStrictEqual(
      unspelledConstruct(unit, ["^echo "]),
      new Refusal(
        "command-substitution",
        "echo $(date +%Y)",
        "it contains command substitution $(date +%Y), which the policy cannot see through. Run the inner command on its own, or ask the operator for a pattern that spells \"$(\"."
      )
    )
  })

  it("quotes a long construct in part, on one line", () => {
    const long = `$(${"x".repeat(200)}\necho)`
    const refusal = unspelledConstruct(statement(`for f in ${long}; do :; done`, { constructs: [substitution(long)] }), [])
    assert.strictEqual(refusal?.subject, "statement")
    assert.include(refusal?.reason, `$(${"x".repeat(158)}…, which`)
  })
})
