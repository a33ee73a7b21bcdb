/**
 * The command policy as a service: parses a command with a real shell parser and decides, simple command by
 * simple command, whether it may run under `MCP_BG_ALLOWED_COMMANDS` and `MCP_BG_DENIED_COMMANDS`; checks a
 * job's own environment for loader and interpreter hooks. A guardrail for an agent, not a sandbox.
 *
 * The options are compiled once (`CompiledPolicy`); the rules are pure functions over the compiled policy
 * and the parsed command (`rules/`); this module wires them to the parser and reports refusals.
 *
 * @since 0.1.0
 */
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import type { CommandRejected } from "../domain/errors.js"
import { ShellParser, type ShellParserUnavailable } from "../shell/ShellParser.js"
import { type CommandPolicyOptions, compile, type CompiledPolicy } from "./CompiledPolicy.js"
import { commandRejected, excerpt, failLogged, type Refusal } from "./Refusal.js"
import { commandRefusal, emptyCommand, type ParseShell } from "./rules/ScriptRules.js"
import { protectedEnv } from "./rules/VariableRules.js"

export type {
  /**
   * What the policy is built from (the relevant part of `JobConfig`).
   *
   * @since 0.1.0
   * @category models
   */
  CommandPolicyOptions
} from "./CompiledPolicy.js"

export type {
  /**
   * The rules a command can be refused by; each refusal names one.
   *
   * @since 0.1.0
   * @category models
   */
  PolicyRule
} from "./Refusal.js"

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
   * Builds the policy on the process-wide shared shell parser, which is loaded only when a command list is
   * set (on first use, then kept).
   *
   * @since 0.1.0
   * @category constructors
   */
  static make(options: CommandPolicyOptions): Effect.Effect<CommandPolicyService, ShellParserUnavailable> {
    return make(options)
  }

  /**
   * Builds the policy on the `ShellParser` in the context (e.g. `ShellParser.layer`, freed with its scope).
   *
   * @since 0.1.0
   * @category constructors
   */
  static makeWithParser(options: CommandPolicyOptions): Effect.Effect<CommandPolicyService, never, ShellParser> {
    const policy = compile(options)
    return policy.active ? Effect.map(ShellParser, (parser) => activeService(policy, parser)) : Effect.as(ShellParser, inactiveService)
  }

  /**
   * The policy as a layer, on the shared parser; `JobManager.layerWithPolicy` runs jobs under it instead of
   * the policy its configuration describes.
   *
   * @since 0.1.0
   * @category layers
   */
  static layer(options: CommandPolicyOptions): Layer.Layer<CommandPolicy, ShellParserUnavailable> {
    return Layer.effect(CommandPolicy, make(options))
  }

  /**
   * The policy as a layer on the `ShellParser` it is given.
   *
   * @since 0.1.0
   * @category layers
   */
  static layerWithParser(options: CommandPolicyOptions): Layer.Layer<CommandPolicy, never, ShellParser> {
    return Layer.effect(CommandPolicy, CommandPolicy.makeWithParser(options))
  }
}

const make = Effect.fnUntraced(function*(options: CommandPolicyOptions) {
  const policy = compile(options)
  // A server without a command list never loads the parser.
  return policy.active ? activeService(policy, yield* ShellParser.shared) : inactiveService
})

/** Longest command quoted in a log line; the rest is cut (the agent's command can be 128 KiB). */
const LOGGED = 2000

/** Fails with the refusal, if any, and logs it for the operator at info level. */
const enforce = (command: string, refusal: Refusal | undefined): Effect.Effect<void, CommandRejected> =>
  refusal === undefined ? Effect.void : failLogged(commandRejected(command, refusal), {
    command: command.length > LOGGED ? `${command.slice(0, LOGGED)}… (${command.length} characters)` : command,
    rule: refusal.rule,
    refused: excerpt(refusal.refused),
    reason: refusal.reason
  })

/** Without a command list only an empty command is refused, and nothing is parsed. */
const inactiveService: CommandPolicyService = {
  active: false,
  check: Effect.fn("CommandPolicy.check")(function*(command: string) {
    yield* enforce(command, emptyCommand(command))
  }),
  checkEnv: () => Effect.void
}

/** With a command list: every rule, on the parsed command. */
const activeService = (policy: CompiledPolicy, parser: ShellParser["Type"]): CommandPolicyService => {
  const parse: ParseShell = (source) => parser.parse(source)
  return {
    active: true,
    // Generators, so that the rules run when the check runs, not when it is built.
    check: Effect.fn("CommandPolicy.check")(function*(command: string) {
      yield* enforce(command, commandRefusal(policy, parse, command))
    }),
    checkEnv: Effect.fn("CommandPolicy.checkEnv")(function*(command: string, env: Readonly<Record<string, string>>) {
      yield* enforce(command, protectedEnv(policy, env))
    })
  }
}

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
