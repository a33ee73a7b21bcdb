/**
 * The command policy: parses a command with a real shell parser and decides, simple command by simple
 * command, whether it may run under `MCP_BG_ALLOWED_COMMANDS` and `MCP_BG_DENIED_COMMANDS`; checks a job's
 * own environment for loader and interpreter hooks. A guardrail for an agent, not a sandbox.
 *
 * @since 0.1.0
 */
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import { CommandRejected } from "../domain/errors.js"
import { HOOK_VARIABLES, namePatterns, type NamePatterns } from "./NamePattern.js"
import { ShellParser, type ShellParserUnavailable } from "../shell/ShellParser.js"
import type { ConstructKind, ShellRedirect, ShellScript, ShellUnit, ShellWord } from "../shell/ShellSyntax.js"
import { type WrappedCommand, wrapperUse } from "./Wrappers.js"

/**
 * The rules a command can be refused by; each refusal names one.
 *
 * @since 0.1.0
 * @category models
 */
export type PolicyRule =
  | "empty"
  | "control-character"
  | "syntax"
  | "ambiguous-syntax"
  | "not-allowed"
  | "denied"
  | ConstructKind
  | "redirect"
  | "protected-variable"
  | "wrapper"
  | "dynamic-command"
  | "working-directory"

/**
 * What the policy is built from (the relevant part of `JobConfig`).
 *
 * @since 0.1.0
 * @category models
 */
export interface CommandPolicyOptions {
  /** When non-empty, every simple command must match one (from its start). */
  readonly allowedCommands: ReadonlyArray<RegExp>
  /** A simple command matching one (from its start) is refused, with or without an allowlist. */
  readonly deniedCommands: ReadonlyArray<RegExp>
  /** Hook variables (see `HOOK_VARIABLES`) a job may set anyway: names or globs. */
  readonly allowedEnv: ReadonlyArray<string>
}

/**
 * The policy's operations.
 *
 * @since 0.1.0
 * @category models
 */
export interface CommandPolicyService {
  /** Whether any command list is set (otherwise only empty commands are refused, and nothing is parsed). */
  readonly active: boolean
  /** Refuses a command that breaks the policy; the refusal is logged at info level. */
  readonly check: (command: string) => Effect.Effect<void, CommandRejected>
  /** Refuses per-job variables that set loader or interpreter hooks (when a command list is set). */
  readonly checkEnv: (command: string, env: Readonly<Record<string, string>>) => Effect.Effect<void, CommandRejected>
}

/**
 * The command policy as a service.
 *
 * @since 0.1.0
 * @category services
 */
export class CommandPolicy extends Context.Tag("mcp-background-job/CommandPolicy")<CommandPolicy, CommandPolicyService>() {
  /**
   * Builds the policy. The shell parser is loaded only when a command list is set: the `ShellParser` in the
   * context if there is one, otherwise the process-wide shared parser.
   *
   * @since 0.1.0
   * @category constructors
   */
  static make(options: CommandPolicyOptions): Effect.Effect<CommandPolicyService, ShellParserUnavailable> {
    return make(options)
  }

  /**
   * The policy as a layer; a `JobManager` built where it is provided uses it instead of building its own.
   *
   * @since 0.1.0
   * @category layers
   */
  static layer(options: CommandPolicyOptions): Layer.Layer<CommandPolicy, ShellParserUnavailable> {
    return Layer.effect(CommandPolicy, make(options))
  }
}

/** How deep `sh -c '…'`, `eval '…'` and the like are followed before the policy gives up (and refuses). */
const MAX_CODE_DEPTH = 4
/** Longest excerpt of a command quoted in a refusal. */
const EXCERPT = 160

const excerpt = (text: string): string => {
  const oneLine = text.replace(/\s*\n\s*/g, " ⏎ ")
  return oneLine.length > EXCERPT ? `${oneLine.slice(0, EXCERPT)}…` : oneLine
}

class Refusal {
  constructor(
    readonly rule: PolicyRule,
    readonly refused: string,
    readonly reason: string,
    /** What `refused` is, in the message to the agent. */
    readonly subject: "simple command" | "statement" | "variable" = "simple command"
  ) {}
}

/** Longest command quoted in a log line; the rest is cut (the agent's command can be 128 KiB). */
const LOGGED = 2000

/** A pattern's source with regex escapes of punctuation removed: what it spells literally. */
const spelled = (pattern: RegExp): string => pattern.source.replace(/\\([^A-Za-z0-9])/g, "$1")

const anchored = (pattern: RegExp): RegExp => new RegExp(`^(?:${pattern.source})`, pattern.flags.replace(/[gy]/g, ""))

/** Control characters other than tab and newline: a carriage return, escape or NUL hides text in logs and parsers. */
const CONTROL = /[\u0000-\u0008\u000b-\u001f\u007f]/

const WRITE_OPERATORS = new Set([">", ">>", ">|", "&>", "&>>", "<>"])
const HARMLESS_TARGETS = /^\/dev\/(null|stdout|stderr|tty|fd\/\d+)$/

/** Builtins that assign to the variables named in their arguments. */
const ASSIGNING_BUILTINS: Readonly<Record<string, ReadonlyArray<string>>> = {
  read: ["-d", "-i", "-n", "-N", "-p", "-t", "-u"],
  getopts: [],
  mapfile: ["-d", "-n", "-O", "-s", "-u", "-C", "-c"],
  readarray: ["-d", "-n", "-O", "-s", "-u", "-C", "-c"]
}
const DECLARING_BUILTINS = new Set(["declare", "typeset", "local", "export", "readonly"])

const redirectProblem = (redirect: ShellRedirect): { marker: string; what: string } | undefined => {
  const target = redirect.target?.literal
  if (target !== undefined && /^\/dev\/(tcp|udp)\//.test(target)) {
    return { marker: target.slice(0, 8), what: `opens a network connection (${redirect.text})` }
  }
  const operator = redirect.operator
  if (WRITE_OPERATORS.has(operator)) {
    if (target === undefined) return { marker: ">", what: `writes to a file named only at run time (${redirect.text})` }
    return HARMLESS_TARGETS.test(target) ? undefined : { marker: ">", what: `writes to the file ${target} (${redirect.text})` }
  }
  if (operator.startsWith(">&") || operator.startsWith("<&")) {
    if (operator.length > 2 || target === undefined) return undefined
    // `>&file` (bash) writes to a file; `>&2`, `>&-` only duplicate or close descriptors.
    if (/^\d+-?$|^-$/.test(target)) return undefined
    return { marker: ">", what: `writes to the file ${target} (${redirect.text})` }
  }
  return undefined
}

const make = (options: CommandPolicyOptions) =>
  Effect.gen(function*() {
    const allow = options.allowedCommands.map((pattern) => ({ pattern, anchored: anchored(pattern), spelled: spelled(pattern) }))
    const deny = options.deniedCommands.map(anchored)
    const allowedEnv = namePatterns(options.allowedEnv)
    const hooks: NamePatterns = namePatterns(HOOK_VARIABLES)
    const active = allow.length > 0 || deny.length > 0
    const parser = active ?
      yield* Effect.serviceOption(ShellParser).pipe(
        Effect.flatMap(Option.match({ onNone: () => ShellParser.shared, onSome: Effect.succeed }))
      ) :
      undefined

    const allowList = allow.map((a) => a.pattern.source).join(", ")
    const coveringCache = new Map<string, RegExp>()
    /** The pattern, forced to match at least the first `length` characters (so the whole command name). */
    const covering = (pattern: RegExp, length: number): RegExp => {
      const key = `${length}\u0000${pattern.flags}\u0000${pattern.source}`
      let compiled = coveringCache.get(key)
      if (compiled === undefined) {
        compiled = new RegExp(`^(?:${pattern.source})(?<=^[\\s\\S]{${length},})`, pattern.flags.replace(/[gy]/g, ""))
        coveringCache.set(key, compiled)
      }
      return compiled
    }

    const protectedName = (name: string) => hooks.matches(name) && !allowedEnv.matches(name)

    /** Names a unit assigns: prefix and standalone assignments, `env NAME=…`, `read NAME`, `printf -v NAME`, …. */
    const assignedNames = (unit: ShellUnit): Array<string> => {
      const names = unit.assignments.map((a) => a.name)
      const words = unit.words.map((w) => w.literal)
      const name = words[0]
      if (name === undefined) return names
      const valueOptions = ASSIGNING_BUILTINS[name]
      if (valueOptions !== undefined) {
        for (let i = 1; i < words.length; i++) {
          const arg = words[i]
          if (arg === undefined) continue
          if (arg === "-a" && name === "read") {
            const target = words[i + 1]
            if (target !== undefined) names.push(target)
            i++
          } else if (valueOptions.includes(arg)) i++
          else if (!arg.startsWith("-")) names.push(arg)
        }
      }
      if (name === "printf") {
        const index = words.indexOf("-v")
        const target = index > 0 ? words[index + 1] : undefined
        if (target !== undefined) names.push(target.replace(/\[.*$/, ""))
      }
      if (DECLARING_BUILTINS.has(name)) {
        for (const arg of words.slice(1)) if (arg !== undefined && !arg.startsWith("-") && !arg.startsWith("+")) names.push(arg.replace(/=.*$/s, ""))
      }
      return names
    }

    /** Whether the unit declares a nameref (`declare -n r=PATH` makes `r=…` assign PATH). */
    const declaresNameref = (unit: ShellUnit): boolean => {
      const name = unit.words[0]?.literal
      return name !== undefined && DECLARING_BUILTINS.has(name) &&
        unit.words.slice(1).some((w) => /^-[a-zA-Z]*n/.test(w.literal ?? ""))
    }

    /** Rules that hold whether or not there is an allowlist: hook variables and the deny list. */
    const checkCommon = (unit: ShellUnit, allowedBy: ReadonlyArray<string>, depth: number): Refusal | undefined => {
      const spells = (marker: string) => allowedBy.some((source) => source.includes(marker))
      const names = assignedNames(unit)
      const wrapper = unit.kind === "command" ? wrapperUse(unit.words) : undefined
      for (const assignment of wrapper?.assignments ?? []) names.push(assignment.slice(0, assignment.indexOf("=")))
      for (const name of names) {
        if (protectedName(name) && !spells(name)) {
          return new Refusal(
            "protected-variable",
            unit.text,
            `it sets ${name}, a variable that makes programs load or run other code. Leave it unset, or ask the operator to list it in MCP_BG_ALLOWED_ENV.`,
            unit.kind === "command" ? "simple command" : "statement"
          )
        }
      }
      if (declaresNameref(unit) && !spells("-n")) {
        return new Refusal("protected-variable", unit.text, "it declares a name reference (-n), through which any variable can be set.")
      }
      if (deny.length > 0 && unit.kind === "command") return checkDenied(unit.words, unit.text, depth)
      return undefined
    }

    const deniedText = (texts: ReadonlyArray<string>): boolean => texts.some((text) => deny.some((pattern) => pattern.test(text)))

    /** The deny list, applied to a command and to every command it runs that the words show. */
    const checkDenied = (words: ReadonlyArray<ShellWord>, text: string, depth: number): Refusal | undefined => {
      if (words.length === 0) return deniedText([text]) ? new Refusal("denied", text, "it matches MCP_BG_DENIED_COMMANDS.") : undefined
      const name = words[0]!
      if (name.literal === undefined) {
        return new Refusal(
          "dynamic-command",
          text,
          `its command name ${name.text} is only known at run time, so the deny list cannot be checked. Write the command name literally.`
        )
      }
      const plain = words.map((w) => w.literal ?? w.text)
      const base = name.literal.slice(name.literal.lastIndexOf("/") + 1)
      // With a trailing space too: xargs, find -exec and the like append arguments at run time.
      const normal = plain.join(" ")
      const based = [base, ...plain.slice(1)].join(" ")
      if (deniedText([text, normal, based, `${normal} `, `${based} `])) {
        return new Refusal("denied", text, "it matches a denied pattern (MCP_BG_DENIED_COMMANDS). Do not run it.")
      }
      const wrapper = wrapperUse(words)
      for (const inner of wrapper?.runs ?? []) {
        const refusal = checkWrapped(inner, wrapper!.name, text, depth)
        if (refusal !== undefined) return refusal
      }
      return undefined
    }

    const checkWrapped = (inner: WrappedCommand, wrapper: string, text: string, depth: number): Refusal | undefined => {
      switch (inner._tag) {
        case "Argv":
          return inner.words.length === 0 ? undefined : checkDenied(inner.words, text, depth)
        case "Unseen":
          return undefined
        case "Code": {
          if (inner.source === undefined) {
            return new Refusal(
              "dynamic-command",
              text,
              `${wrapper} runs shell code that is only known at run time, so the deny list cannot be checked. Pass the code literally.`
            )
          }
          if (depth >= MAX_CODE_DEPTH) {
            return new Refusal("dynamic-command", text, `it nests shell code (${wrapper}) more than ${MAX_CODE_DEPTH} levels deep.`)
          }
          return Either.match(parser!.parse(inner.source), {
            onLeft: (error) => new Refusal("syntax", text, `the code given to ${wrapper} does not parse: ${error.message}.`),
            onRight: (script) => checkScript(script, depth + 1, false)
          })
        }
      }
    }

    /** The allowlist rules for one unit; `undefined` when it may run. */
    const checkAllowed = (unit: ShellUnit): { refusal?: Refusal; allowedBy: ReadonlyArray<string> } => {
      const allowedBy = allow.filter((a) =>
        unit.kind === "command" ? covering(a.pattern, unit.nameEnd).test(unit.text) : a.anchored.test(unit.text)
      ).map((a) => a.spelled)
      if (unit.kind === "command" && allowedBy.length === 0) {
        return {
          allowedBy,
          refusal: new Refusal(
            "not-allowed",
            unit.text,
            `it matches none of the allowed patterns (MCP_BG_ALLOWED_COMMANDS: ${allowList}); each simple command must match one from its start. Run only allowed commands.`
          )
        }
      }
      const spells = (marker: string) => allowedBy.some((source) => source.includes(marker))
      for (const construct of unit.constructs) {
        if (!spells(construct.marker)) {
          return {
            allowedBy,
            refusal: new Refusal(
              construct.kind,
              unit.text,
              `it contains ${construct.kind.replaceAll("-", " ")} ${excerpt(construct.text)}, which the policy cannot see through. Run the inner command on its own, or ask the operator for a pattern that spells ${
                JSON.stringify(construct.marker)
              }.`,
              unit.kind === "command" ? "simple command" : "statement"
            )
          }
        }
      }
      for (const redirect of unit.redirects) {
        const problem = redirectProblem(redirect)
        if (problem !== undefined && !spells(problem.marker)) {
          return {
            allowedBy,
            refusal: new Refusal(
              "redirect",
              unit.text,
              `it ${problem.what}. Drop the redirection (the job's output is kept for you) or redirect to /dev/null.`,
              unit.kind === "command" ? "simple command" : "statement"
            )
          }
        }
      }
      if (unit.kind === "command" && unit.words.length > 0) {
        const name = unit.words[0]!
        if (name.literal === undefined && !spells(name.text)) {
          return {
            allowedBy,
            refusal: new Refusal("dynamic-command", unit.text, `its command name ${name.text} is only known at run time. Write the command name literally.`)
          }
        }
        const wrapper = wrapperUse(unit.words)
        if (wrapper !== undefined && !spells(wrapper.marker)) {
          return {
            allowedBy,
            refusal: new Refusal(
              "wrapper",
              unit.text,
              `${wrapper.name} runs another command (or code) that the allowlist does not see, and no allowed pattern spells ${
                JSON.stringify(wrapper.marker)
              }. Run the inner command directly.`
            )
          }
        }
      }
      return { allowedBy }
    }

    const checkScript = (script: ShellScript, depth: number, withAllowlist: boolean): Refusal | undefined => {
      const problem = script.problems[0]
      if (problem !== undefined) return new Refusal("ambiguous-syntax", "", `${problem}.`)
      for (const unit of script.units) {
        let allowedBy: ReadonlyArray<string> = []
        if (withAllowlist) {
          const result = checkAllowed(unit)
          if (result.refusal !== undefined) return result.refusal
          allowedBy = result.allowedBy
        }
        const refusal = checkCommon(unit, allowedBy, depth)
        if (refusal !== undefined) return refusal
      }
      return undefined
    }

    const decide = (command: string): Refusal | undefined => {
      if (command.trim() === "") return new Refusal("empty", "", "the command is empty. Pass a shell command such as `npm test`.")
      if (parser === undefined) return undefined
      const control = CONTROL.exec(command)
      if (control !== null) {
        const code = control[0].charCodeAt(0).toString(16).padStart(2, "0")
        return new Refusal("control-character", "", `it contains the control character U+00${code.toUpperCase()}. Remove it (use plain newlines between commands).`)
      }
      return Either.match(parser.parse(command), {
        onLeft: (error) => new Refusal("syntax", "", `the shell parser could not parse it: ${error.message}. Fix the syntax.`),
        onRight: (script) => checkScript(script, 0, allow.length > 0)
      })
    }

    const reject = (command: string, refusal: Refusal): Effect.Effect<never, CommandRejected> => {
      const subject = refusal.refused === "" ? "" : ` the ${refusal.subject} \`${excerpt(refusal.refused)}\``
      const reason = refusal.rule === "empty" ? refusal.reason : `refused by rule ${refusal.rule}:${subject}${subject === "" ? " " : ": "}${refusal.reason}`
      const error = new CommandRejected({
        command,
        reason,
        rule: refusal.rule,
        ...(refusal.refused === "" ? {} : { refused: refusal.refused })
      })
      return Effect.logInfo("command refused").pipe(
        Effect.annotateLogs({
          command: command.length > LOGGED ? `${command.slice(0, LOGGED)}… (${command.length} characters)` : command,
          rule: refusal.rule,
          refused: excerpt(refusal.refused),
          reason: refusal.reason
        }),
        Effect.zipRight(Effect.fail(error))
      )
    }

    const check = (command: string): Effect.Effect<void, CommandRejected> =>
      Effect.suspend(() => {
        const refusal = decide(command)
        return refusal === undefined ? Effect.void : reject(command, refusal)
      })

    const checkEnv = (command: string, env: Readonly<Record<string, string>>): Effect.Effect<void, CommandRejected> =>
      Effect.suspend(() => {
        if (!active) return Effect.void
        for (const name of Object.keys(env)) {
          if (protectedName(name)) {
            return reject(
              command,
              new Refusal(
                "protected-variable",
                name,
                `the job's env sets ${name}, a variable that makes programs load or run other code. Leave it out, or ask the operator to list it in MCP_BG_ALLOWED_ENV.`,
                "variable"
              )
            )
          }
        }
        return Effect.void
      })

    return { active, check, checkEnv } satisfies CommandPolicyService
  })

/** Shells whose syntax the policy's parser (bash's grammar) covers. */
const POLICY_SHELLS = new Set(["sh", "bash", "dash", "ash", "ksh", "mksh", "posh", "yash", "busybox"])

/**
 * Why a job shell cannot be used with a command list (its syntax is not sh or bash, so commands could hide
 * from the parser), or `undefined` when it can.
 *
 * @since 0.1.0
 * @category predicates
 */
export const unsupportedPolicyShell = (shell: string): string | undefined => {
  const name = shell.slice(shell.lastIndexOf("/") + 1)
  return POLICY_SHELLS.has(name) ?
    undefined :
    `the command policy reads POSIX sh and bash syntax, and ${name} has syntax of its own; with MCP_BG_ALLOWED_COMMANDS or MCP_BG_DENIED_COMMANDS set, use a shell such as /bin/sh or /bin/bash`
}

/**
 * Refuses with the working-directory rule (used by the job runtime's cwd check), logged like every refusal.
 *
 * @since 0.1.0
 * @category constructors
 */
export const rejectWorkingDirectory = (command: string, cwd: string, reason: string): Effect.Effect<never, CommandRejected> =>
  Effect.logInfo("command refused").pipe(
    Effect.annotateLogs({ command, rule: "working-directory", refused: cwd, reason }),
    Effect.zipRight(
      Effect.fail(
        new CommandRejected({ command, reason: `refused by rule working-directory: ${reason}`, rule: "working-directory", refused: cwd })
      )
    )
  )
