/**
 * The parser adapter: every simple command, wherever the grammar puts it, and the syntax errors.
 */
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import { describe, expect, it } from "@effect/vitest"
import { ShellParser } from "../../../src/shell/ShellParser.js"

const unitsOf = (source: string) =>
  Effect.gen(function*() {
    const parser = yield* ShellParser
    const script = yield* parser.parse(source)
    return script.units.map((unit) => `${unit.kind}:${unit.text}`)
  }).pipe(Effect.provide(ShellParser.layer))

describe("ShellParser", () => {
  it.effect("finds the simple commands across every kind of separator and compound", () =>
    Effect.gen(function*() {
      const source = [
        "a1; a2 && a3 || a4 | a5 & a6",
        "(b1; b2) && { b3; }",
        "if c1; then c2; elif c3; then c4; else c5; fi",
        "while d1; do d2; done; until d3; do d4; done",
        "for x in 1 2; do e1; done; case $y in a) e2;; *) e3;; esac",
        "f() { g1; }; g2 $(g3 `g4`) <(g5)"
      ].join("\n")
      const commands = (yield* unitsOf(source)).filter((u) => u.startsWith("command:")).map((u) => u.slice(8))
      expect(commands).toEqual([
        "a1", "a2", "a3", "a4", "a5", "a6",
        "b1", "b2", "b3",
        "c1", "c2", "c3", "c4", "c5",
        "d1", "d2", "d3", "d4",
        "e1", "e2", "e3",
        "g1", "g2 $(g3 `g4`) <(g5)", "g3 `g4`", "g4", "g5"
      ])
    }))

  it.effect("keeps assignments and redirects with their command", () =>
    Effect.gen(function*() {
      expect(yield* unitsOf("A=1 B=2 cmd arg >out 2>&1 <in")).toEqual(["command:A=1 B=2 cmd arg >out 2>&1 <in"])
      expect(yield* unitsOf("X=1")).toEqual(["command:X=1"])
    }))

  it.effect("reports where a command does not parse", () =>
    Effect.gen(function*() {
      const parser = yield* ShellParser
      for (const [source, message] of [
        ["echo 'open", /syntax error at line 1, column 5 near " 'open"/],
        ["echo a &&", /syntax error at line 1, column 10: missing/],
        ["if true; then\necho", /syntax error/],
        ["echo )", /syntax error at line 1, column 6/]
      ] as const) {
        const result = parser.parse(source)
        expect(Either.isLeft(result)).toBe(true)
        if (Either.isLeft(result)) expect(result.left.message).toMatch(message)
      }
    }).pipe(Effect.provide(ShellParser.layer)))
})
