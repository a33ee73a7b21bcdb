/**
 * The client commands' command lines: which commands there are, their options, and a small parser that
 * stops at the first operand of commands that take the rest of the line as text (`run`, `send`).
 *
 * @since 0.1.0
 */
import * as Either from "effect/Either"

/**
 * An option of a client command.
 *
 * @since 0.1.0
 * @category models
 */
export interface OptionSpec {
  /** Long name without dashes, e.g. `follow`. */
  readonly name: string
  readonly short?: string | undefined
  /** Placeholder of its value, or `undefined` for a switch. */
  readonly value?: string | undefined
  /** It may be given several times (values are collected). */
  readonly repeated?: boolean | undefined
  readonly help: string
}

/**
 * A client command: its operands, its options and its help.
 *
 * @since 0.1.0
 * @category models
 */
export interface CommandSpec {
  readonly name: string
  readonly summary: string
  /** Operand names, e.g. `["id"]`; a name ending in `…` takes the rest of the line. */
  readonly operands: ReadonlyArray<string>
  readonly options: ReadonlyArray<OptionSpec>
  readonly examples: ReadonlyArray<string>
}

const connectionOptions: ReadonlyArray<OptionSpec> = [
  { name: "url", value: "URL", help: "the server's MCP endpoint (env MCP_BG_URL; default http://127.0.0.1:7345/mcp)" },
  { name: "token", value: "TOKEN", help: "bearer token (env MCP_BG_TOKEN; default: the server's token file)" },
  { name: "token-file", value: "FILE", help: "file holding the token (env MCP_BG_HTTP_TOKEN_FILE)" },
  { name: "json", help: "print the server's answer as JSON, for scripts" },
  { name: "help", short: "h", help: "show this help" }
]

const streamOptions: ReadonlyArray<OptionSpec> = [
  { name: "stdout", help: "only the job's stdout" },
  { name: "stderr", help: "only the job's stderr (printed on stdout, to pipe it)" },
  { name: "raw", help: "keep ANSI escapes and carriage returns" }
]

/**
 * What `run --ready` waits for: `:3000` (a port), `:any` (any port), or a pattern for a line of output.
 *
 * @since 0.1.0
 * @category parsing
 */
export const readyArgument = (text: string): string | { readonly port: number | "any" } => {
  if (text === ":any") return { port: "any" }
  const port = /^:(\d+)$/.exec(text)
  return port === null ? text : { port: Number(port[1]) }
}

/**
 * Every client command, in help order.
 *
 * @since 0.1.0
 * @category commands
 */
export const commandSpecs: ReadonlyArray<CommandSpec> = [
  {
    name: "run",
    summary: "start a job and print its id",
    operands: ["command…"],
    options: [
      { name: "cwd", value: "DIR", help: "working directory (relative to the server's)" },
      { name: "env", value: "NAME=VALUE", repeated: true, help: "add an environment variable (repeatable)" },
      { name: "timeout", value: "SECONDS", help: "time limit; the job ends as timed_out" },
      { name: "no-stdin", help: "give the job end-of-file on stdin" },
      { name: "ready", value: "PATTERN|:PORT", help: "wait (up to 60 s) until a line matches PATTERN, or the job listens on PORT (:any for any)" },
      { name: "restart", value: "MODE", help: "on-failure or always: run the command again when it exits (back-off 1 s to 60 s)" },
      { name: "max-restarts", value: "N", help: "consecutive restarts before the job ends (default 5)" },
      { name: "follow", short: "f", help: "then print its output live and exit with its exit code" }
    ],
    examples: [
      "mcp-background-job run npm run dev",
      "mcp-background-job run --ready :any --restart on-failure -- npm run dev",
      "mcp-background-job run -f --cwd app -- make test",
      "id=$(mcp-background-job run 'sleep 30; echo done')"
    ]
  },
  {
    name: "ls",
    summary: "list jobs, newest first",
    operands: [],
    options: [],
    examples: ["mcp-background-job ls", "mcp-background-job ls --json | jq -r '.jobs[].job_id'"]
  },
  {
    name: "status",
    summary: "show one job's status",
    operands: ["id"],
    options: [],
    examples: ["mcp-background-job status 3f2c1e0a"]
  },
  {
    name: "logs",
    summary: "print a job's output (job stdout on stdout, job stderr on stderr)",
    operands: ["id"],
    options: [{ name: "follow", short: "f", help: "keep printing new output until the job ends (Ctrl-C stops following)" }, ...streamOptions],
    examples: ["mcp-background-job logs 3f2c1e0a", "mcp-background-job logs -f 3f2c1e0a", "mcp-background-job logs --stderr 3f2c1e0a | grep -i error"]
  },
  {
    name: "tail",
    summary: "print the last lines of a job's output",
    operands: ["id"],
    options: [{ name: "lines", short: "n", value: "N", help: "lines of each stream, 1 to 1000 (default 10)" }, ...streamOptions],
    examples: ["mcp-background-job tail -n 20 3f2c1e0a"]
  },
  {
    name: "send",
    summary: "write a line to a job's stdin and print the reply",
    operands: ["id", "text…"],
    options: [
      { name: "eof", help: "close the job's stdin after writing" },
      { name: "until", value: "PATTERN", help: "return as soon as the reply matches" },
      { name: "timeout", value: "SECONDS", help: "longest wait for the reply (default 5)" }
    ],
    examples: ["mcp-background-job send 3f2c1e0a 'print(1+1)'", "printf 'b\\na\\n' | mcp-background-job send --eof 3f2c1e0a -"]
  },
  {
    name: "wait",
    summary: "wait for a job to end (exit code: the job's) or to print a line",
    operands: ["id"],
    options: [
      { name: "until", value: "PATTERN", help: "return (exit 0) once a line of output matches, including output already printed" },
      { name: "timeout", value: "SECONDS", help: "give up after this long (exit 124); default: no limit" }
    ],
    examples: ["mcp-background-job wait 3f2c1e0a && echo passed", "mcp-background-job wait --until 'listening on' --timeout 60 3f2c1e0a"]
  },
  {
    name: "kill",
    summary: "stop a job and everything it started, or send it one signal",
    operands: ["id"],
    options: [{ name: "signal", short: "s", value: "SIG", help: "send only this signal, e.g. SIGINT (default: SIGTERM, then SIGKILL)" }],
    examples: ["mcp-background-job kill 3f2c1e0a", "mcp-background-job kill --signal SIGINT 3f2c1e0a"]
  }
]

/**
 * Whether the first argument names a client command (server flags all start with `-`).
 *
 * @since 0.1.0
 * @category commands
 */
export const isClientCommand = (arg: string | undefined): boolean =>
  arg !== undefined && (arg === "help" || commandSpecs.some((spec) => spec.name === arg))

/**
 * A parsed client command line.
 *
 * @since 0.1.0
 * @category models
 */
export interface ParsedCommand {
  readonly spec: CommandSpec
  /** Operands by name; a rest operand holds the rest of the line joined with spaces. */
  readonly operands: ReadonlyMap<string, string>
  /** Switches map to `"true"`; repeated options hold every value. */
  readonly options: ReadonlyMap<string, ReadonlyArray<string>>
}

/**
 * The options a command accepts (its own and the connection options).
 *
 * @since 0.1.0
 * @category commands
 */
export const optionsOf = (spec: CommandSpec): ReadonlyArray<OptionSpec> => [...spec.options, ...connectionOptions]

/**
 * Parses `<command> [options] <operands>`; a `Left` is the usage error to print.
 *
 * @since 0.1.0
 * @category parsing
 */
export const parseCommand = (argv: ReadonlyArray<string>): Either.Either<ParsedCommand, string> => {
  const spec = commandSpecs.find((s) => s.name === argv[0])
  if (spec === undefined) return Either.left(`unknown command ${JSON.stringify(argv[0])}: run mcp-background-job --help`)
  const known = optionsOf(spec)
  const options = new Map<string, Array<string>>()
  const values: Array<string> = []
  const rest = spec.operands.at(-1)?.endsWith("…") === true
  let i = 1
  for (; i < argv.length; i++) {
    const arg = argv[i]!
    if (arg === "--") {
      i++
      break
    }
    if (!arg.startsWith("-") || arg === "-") {
      values.push(arg)
      // The rest operand starts here: what follows belongs to it, dashes included.
      if (rest && values.length === spec.operands.length) {
        i++
        break
      }
      continue
    }
    const [flag, inline] = arg.startsWith("--") && arg.includes("=") ?
      [arg.slice(0, arg.indexOf("=")), arg.slice(arg.indexOf("=") + 1)] :
      [arg, undefined]
    const option = known.find((o) => (flag.startsWith("--") ? `--${o.name}` === flag : o.short !== undefined && `-${o.short}` === flag))
    if (option === undefined) return Either.left(`${spec.name}: unknown option ${flag}: run mcp-background-job ${spec.name} --help`)
    let value = "true"
    if (option.value !== undefined) {
      const given = inline ?? argv[++i]
      if (given === undefined) return Either.left(`${spec.name}: ${flag} needs a value (${option.value})`)
      value = given
    } else if (inline !== undefined) {
      return Either.left(`${spec.name}: ${flag} takes no value`)
    }
    const previous = options.get(option.name)
    if (previous !== undefined && option.repeated !== true) return Either.left(`${spec.name}: ${flag} is given twice`)
    options.set(option.name, [...(previous ?? []), value])
  }
  values.push(...argv.slice(i))
  if (options.has("help")) return Either.right({ spec, operands: new Map(), options })
  const operands = new Map<string, string>()
  spec.operands.forEach((name, index) => {
    const value = name.endsWith("…") ? values.slice(index).join(" ") : values[index]
    if (value !== undefined && value !== "") operands.set(name.replace("…", ""), value)
  })
  const missing = spec.operands.find((name) => !operands.has(name.replace("…", "")))
  if (missing !== undefined) {
    return Either.left(`${spec.name}: missing <${missing}>: usage: ${usageLine(spec)}`)
  }
  if (!rest && values.length > spec.operands.length) {
    return Either.left(`${spec.name}: unexpected argument ${JSON.stringify(values[spec.operands.length])}: usage: ${usageLine(spec)}`)
  }
  return Either.right({ spec, operands, options })
}

const usageLine = (spec: CommandSpec) =>
  `mcp-background-job ${spec.name} [options]${spec.operands.map((name) => ` <${name}>`).join("")}`

/**
 * The help of one command.
 *
 * @since 0.1.0
 * @category help
 */
export const commandHelp = (spec: CommandSpec): string => {
  const option = (o: OptionSpec) => {
    const names = `${o.short === undefined ? "    " : `-${o.short}, `}--${o.name}${o.value === undefined ? "" : ` ${o.value}`}`
    return `  ${names.padEnd(28)} ${o.help}`
  }
  return [
    `${usageLine(spec)}`,
    `  ${spec.summary}`,
    "",
    "Options:",
    ...spec.options.map(option),
    ...connectionOptions.map(option),
    "",
    "Examples:",
    ...spec.examples.map((example) => `  ${example}`)
  ].join("\n")
}

/**
 * The overview of every client command.
 *
 * @since 0.1.0
 * @category help
 */
export const clientHelp = (): string =>
  [
    "Usage: mcp-background-job <command> [options] [operands]   (talks to a server started with --http)",
    "",
    "Commands:",
    ...commandSpecs.map((spec) => `  ${spec.name.padEnd(8)} ${spec.summary}`),
    "",
    "A job id may be shortened to any unique prefix (as ls shows it).",
    "Run mcp-background-job <command> --help for its options.",
    "",
    "Exit codes: 0 ok; 1 the server refused (unknown job, refused command, ...); 2 usage error;",
    "3 the server cannot be reached; 4 authentication failed; 124 wait timed out; 130 interrupted;",
    "wait (and run -f) exit with the job's exit code, or 128 + the signal number that ended it."
  ].join("\n")
