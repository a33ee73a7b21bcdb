/**
 * The bypass corpus: each command would create `created` or remove `victim` if it ran. Under the allowlist
 * `^echo ,^ls` every one must be refused by the real JobManager (a slip would really run, on real processes)
 * and the sandbox must be untouched.
 */
import { assert, describe, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import { executeToEnd } from "../../support/runtime.js"
import { inSandbox } from "../../support/sandbox.js"

interface Attempt {
  readonly name: string
  readonly command: string
  readonly env?: Record<string, string>
  readonly shell?: "bash"
  /** The rule expected to refuse it. */
  readonly rule: string
}

const corpus: ReadonlyArray<Attempt> = [
  { name: "semicolon", command: "echo a; touch created", rule: "not-allowed" },
  { name: "semicolon without space", command: "ls;rm victim", rule: "not-allowed" },
  { name: "and-list", command: "echo a && rm victim", rule: "not-allowed" },
  { name: "or-list", command: "ls /nonexistent || touch created", rule: "not-allowed" },
  { name: "pipe", command: "echo a | touch created", rule: "not-allowed" },
  { name: "pipe into tee", command: "echo a | tee created", rule: "not-allowed" },
  { name: "pipe into a shell", command: "echo 'touch created' | sh", rule: "not-allowed" },
  { name: "newline", command: "echo a\ntouch created", rule: "not-allowed" },
  { name: "newline after a comment", command: "echo ok # fine\nrm victim", rule: "not-allowed" },
  { name: "background", command: "ls & touch created", rule: "not-allowed" },
  { name: "pipe with stderr", command: "echo a |& touch created", rule: "not-allowed" },
  { name: "negation", command: "! touch created", rule: "not-allowed" },
  { name: "command substitution", command: "echo $(touch created)", rule: "command-substitution" },
  { name: "command substitution of an allowed command", command: "echo $(ls)", rule: "command-substitution" },
  { name: "backquotes", command: "echo `touch created`", rule: "command-substitution" },
  { name: "nested backquotes", command: "echo `echo \\`touch created\\``", rule: "ambiguous-syntax" },
  { name: "substitution in double quotes", command: "echo \"$(rm victim)\"", rule: "command-substitution" },
  { name: "substitution in a parameter default", command: "echo ${x:-$(touch created)}", rule: "command-substitution" },
  { name: "substitution in arithmetic", command: "echo $((1 + $(touch created)))", rule: "arithmetic" },
  { name: "substitution in an argument of ls", command: "ls -la $(echo; touch created)", rule: "command-substitution" },
  { name: "process substitution", command: "ls <(touch created)", rule: "process-substitution" },
  { name: "output process substitution", command: "echo a > >(touch created)", rule: "process-substitution" },
  { name: "here-document with a substitution", command: "ls <<EOF\n$(touch created)\nEOF", rule: "command-substitution" },
  { name: "here-string with a substitution", command: "ls <<< $(touch created)", rule: "command-substitution" },
  { name: "redirect creates a file", command: "echo a > created", rule: "redirect" },
  { name: "append redirect", command: "ls >> created", rule: "redirect" },
  { name: "stderr redirect", command: "ls 2> created", rule: "redirect" },
  { name: "both-streams redirect", command: "ls &> created", rule: "redirect" },
  { name: ">& to a file", command: "ls >& created", rule: "redirect" },
  { name: "clobber redirect", command: "ls >| created", rule: "redirect" },
  // tree-sitter-bash does not parse `<>`: refused as a syntax error, which is safe.
  { name: "read-write redirect", command: "ls <> created", rule: "syntax" },
  { name: "redirect before the command", command: ">created ls", rule: "not-allowed" },
  { name: "bare redirect", command: "> created", rule: "not-allowed" },
  { name: "subshell", command: "(touch created)", rule: "not-allowed" },
  { name: "group", command: "{ touch created; }", rule: "not-allowed" },
  { name: "group with a redirect", command: "{ ls; } > created", rule: "redirect" },
  { name: "if body", command: "if true; then touch created; fi", rule: "not-allowed" },
  { name: "if condition", command: "if rm victim; then ls; fi", rule: "not-allowed" },
  { name: "while body", command: "while true; do rm victim; break; done", rule: "not-allowed" },
  { name: "for body", command: "for i in 1; do touch created; done", rule: "not-allowed" },
  { name: "for list substitution", command: "for i in $(touch created); do ls; done", rule: "command-substitution" },
  { name: "case body", command: "case x in x) touch created;; esac", rule: "not-allowed" },
  { name: "function definition", command: "f() { touch created; }; f", rule: "function-definition" },
  { name: "function shadowing an allowed name", command: "ls() { echo hi; }; ls", rule: "function-definition" },
  { name: "eval", command: "eval touch created", rule: "not-allowed" },
  { name: "eval after an allowed command", command: "echo x; eval 'rm victim'", rule: "not-allowed" },
  { name: "exec", command: "exec touch created", rule: "not-allowed" },
  { name: "dot", command: ". ./script.sh", rule: "not-allowed" },
  { name: "source", command: "source ./script.sh", rule: "not-allowed" },
  { name: "sh -c", command: "sh -c 'touch created'", rule: "not-allowed" },
  { name: "bash -c", command: "bash -c 'rm victim'", rule: "not-allowed" },
  { name: "running a script", command: "./script.sh", rule: "not-allowed" },
  { name: "env", command: "env touch created", rule: "not-allowed" },
  { name: "xargs", command: "echo victim | xargs rm", rule: "not-allowed" },
  { name: "nohup", command: "nohup touch created", rule: "not-allowed" },
  { name: "timeout", command: "timeout 5 touch created", rule: "not-allowed" },
  { name: "nice", command: "nice touch created", rule: "not-allowed" },
  { name: "time", command: "time touch created", rule: "not-allowed" },
  { name: "coproc", command: "coproc touch created", rule: "not-allowed" },
  { name: "find -exec", command: "find . -name victim -exec rm {} \\;", rule: "not-allowed" },
  { name: "git -c alias", command: "git -c alias.x='!touch created' x", rule: "not-allowed" },
  { name: "trap", command: "trap 'touch created' EXIT; ls", rule: "not-allowed" },
  { name: "alias", command: "alias ls='touch created'\nls", rule: "not-allowed" },
  { name: "quoted command name", command: "'touch' created", rule: "not-allowed" },
  { name: "backslash in the command name", command: "\\rm victim", rule: "not-allowed" },
  { name: "allowed prefix of a longer name", command: "lsattr && touch created", rule: "not-allowed" },
  { name: "allowed prefix with a path", command: "ls/../../usr/bin/touch created", rule: "not-allowed" },
  { name: "path to a look-alike", command: "./bin/ls", rule: "not-allowed" },
  { name: "PATH assignment", command: "PATH=./bin:$PATH ls", rule: "not-allowed" },
  { name: "standalone PATH assignment", command: "PATH=./bin; ls", rule: "not-allowed" },
  { name: "export PATH", command: "export PATH=./bin; ls", rule: "not-allowed" },
  { name: "for loop assigning PATH", command: "for PATH in ./bin; do ls; done", rule: "protected-variable" },
  { name: "variable as the command", command: "x=touch; $x created", rule: "not-allowed" },
  { name: "brace expansion as the command", command: "{touch,created}", rule: "syntax" },
  { name: "line continuation inside a word", command: "ls && tou\\\nch created", rule: "ambiguous-syntax" },
  { name: "carriage return", command: "ls\rtouch created", rule: "control-character" },
  { name: "ANSI-C quote read differently by sh", command: "echo $'a\\' ; touch created ; echo # '", rule: "ambiguous-syntax" },
  { name: "escaped tab before a comment sign", command: "echo a\\\t#; touch created", rule: "ambiguous-syntax" },
  { name: "backquotes in a here-document", command: "ls <<EOF\n`touch created`\nEOF", rule: "ambiguous-syntax" },
  { name: "substitution in a ${x#pattern}", command: "echo \"${x#$(touch created)}\"", rule: "ambiguous-syntax" },
  { name: "single quotes inside a double-quoted ${x:-…}", command: "echo \"${x:-'$(touch created)'}\"", rule: "ambiguous-syntax" },
  { name: "unterminated quote", command: "echo 'a; touch created", rule: "syntax" },
  { name: "dangling operator", command: "echo a && ", rule: "syntax" },
  { name: "test then remove", command: "[ -f victim ] && rm victim", rule: "not-allowed" },
  { name: "[[ ]] then remove", command: "[[ -f victim ]] && rm victim", rule: "test-expression" },
  { name: "arithmetic command", command: "((x=1)) && touch created", rule: "arithmetic" },
  { name: "prompt expansion", command: "echo ${x@P}", env: { x: "$(touch created)" }, shell: "bash", rule: "prompt-expansion" },
  { name: "arithmetic over an injected variable", command: "echo $((x))", env: { x: "a[$(touch created)]" }, shell: "bash", rule: "arithmetic" },
  { name: "BASH_ENV in env", command: "ls", env: { BASH_ENV: "./script.sh" }, shell: "bash", rule: "protected-variable" },
  { name: "exported function in env", command: "ls", env: { "BASH_FUNC_ls%%": "() { touch created; }" }, shell: "bash", rule: "protected-variable" },
  { name: "PATH in env", command: "ls", env: { PATH: "./bin" }, rule: "protected-variable" },
  { name: "LD_PRELOAD in env", command: "ls", env: { LD_PRELOAD: "./evil.so" }, rule: "protected-variable" },
  { name: "ENV in env", command: "ls", env: { ENV: "./script.sh" }, rule: "protected-variable" },
  { name: "LD_PRELOAD as a prefix", command: "LD_PRELOAD=./evil.so ls", rule: "not-allowed" },
  { name: "exec redirect", command: "echo a; exec 3>created", rule: "not-allowed" }
]

describe("bypass corpus under the allowlist ^echo ,^ls", () => {
  const allowlist = { allowedCommands: ["^echo ", "^ls"] }

  it("has at least 40 attempts", () => {
    assert.isAtLeast(corpus.length, 40)
  })

  it.scopedLive.each(corpus)("refuses: $name", (attempt) =>
    inSandbox(attempt.shell === "bash" ? { ...allowlist, shell: "/bin/bash" } : allowlist, (sandbox) =>
      Effect.gen(function*() {
        const result = yield* executeToEnd({ command: attempt.command, env: attempt.env, stdin: "null" })
        assert.isTrue(sandbox.untouched())
        assert.isTrue(Either.isLeft(result))
        if (Either.isLeft(result)) {
          assert.strictEqual(result.left._tag, "CommandRejected")
          assert.strictEqual(result.left._tag === "CommandRejected" ? result.left.rule : undefined, attempt.rule)
        }
      })
    ))
})

describe("the corpus would notice a slip", () => {
  it.scopedLive("the same commands do touch the sandbox when no policy is set", () =>
    inSandbox({}, (sandbox) =>
      Effect.gen(function*() {
        const samples = [
          "echo a; touch created",
          "echo $(rm victim)",
          "sh -c 'touch created'",
          "find . -name victim -exec rm {} \\;",
          // The parser-differential ones: sh really runs what the parser does not see.
          "echo a\\\t#; touch created",
          "echo \"${x:-'$(touch created)'}\"",
          "echo $'a\\' ; touch created ; echo # '"
        ]
        for (const command of samples) {
          sandbox.reset()
          const result = yield* executeToEnd({ command, stdin: "null" })
          assert.isTrue(Either.isRight(result))
          assert.isFalse(sandbox.untouched())
        }
      })
    ))
})
