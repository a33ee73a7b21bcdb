/**
 * Commands that run other commands: shells with `-c`, `env`, `xargs`, `nohup`, `timeout`, `sudo`, `eval`,
 * `find -exec`, `git -c`, …. For each use this module says what an allow pattern must spell to allow it
 * (the marker) and, as far as the words tell, which commands it runs (for the deny list).
 *
 * The table is a list, not a proof: general-purpose interpreters (python, node, perl, awk, make, npm run, …)
 * run whatever their program says and are not in it; allowing one of them allows what it can run.
 *
 * @since 0.1.0
 */
import type { ShellWord } from "../shell/ShellSyntax.js"

/**
 * What a wrapper runs, as far as its words tell: a command (its words), shell code (a literal string, or
 * `undefined` when it is only known at run time), or a file / configuration the policy cannot read.
 *
 * @since 0.1.0
 * @category models
 */
export type WrappedCommand =
  | { readonly _tag: "Argv"; readonly words: ReadonlyArray<ShellWord> }
  | { readonly _tag: "Code"; readonly source: string | undefined }
  | { readonly _tag: "Unseen"; readonly what: string }

/**
 * One use of a wrapper.
 *
 * @since 0.1.0
 * @category models
 */
export interface WrapperUse {
  /** The wrapper as named, e.g. `sh`, `find -exec`, `git -c`. */
  readonly name: string
  /** What an allow pattern must contain (regex escapes aside) to allow this use. */
  readonly marker: string
  readonly runs: ReadonlyArray<WrappedCommand>
  /** `NAME=value` arguments the wrapper puts into the command's environment (`env`). */
  readonly assignments: ReadonlyArray<string>
}

const SHELLS = new Set(["sh", "bash", "dash", "zsh", "ksh", "ksh93", "mksh", "pdksh", "ash", "rbash", "yash", "posh", "fish", "csh", "tcsh"])

/** Wrappers whose leading options take a separate value, and how many operands come before the command. */
interface ArgvSpec {
  readonly valueOptions?: ReadonlyArray<string>
  readonly operands?: number
  /** With one of these options the wrapper runs no command (`command -v`, `ionice -p`). */
  readonly noCommandWith?: ReadonlyArray<string>
}

const ARGV_WRAPPERS: Readonly<Record<string, ArgvSpec>> = {
  nohup: {},
  setsid: {},
  stdbuf: { valueOptions: ["-i", "-o", "-e"] },
  nice: { valueOptions: ["-n"] },
  ionice: { valueOptions: ["-c", "-n"], noCommandWith: ["-p", "-P", "-u"] },
  chrt: { operands: 1, noCommandWith: ["-p", "--pid"] },
  taskset: { valueOptions: ["-c"], operands: 1, noCommandWith: ["-p", "--pid"] },
  timeout: { valueOptions: ["-s", "-k", "--signal", "--kill-after"], operands: 1 },
  env: { valueOptions: ["-u", "--unset", "-C", "--chdir"] },
  sudo: { valueOptions: ["-u", "-g", "-h", "-p", "-C", "-D", "-r", "-t", "-T", "-U", "--user", "--group", "--host", "--prompt", "--chdir"] },
  doas: { valueOptions: ["-u", "-C"] },
  runuser: { valueOptions: ["-u", "-g", "-G", "--user", "--group"] },
  pkexec: { valueOptions: ["--user"] },
  chroot: { valueOptions: ["--userspec", "--groups"], operands: 1 },
  unshare: {},
  nsenter: { valueOptions: ["-t", "--target", "-S", "-G", "--setuid", "--setgid", "-r", "-w"] },
  strace: { valueOptions: ["-o", "-e", "-p", "-s", "-u", "-a", "-b", "-E", "-I", "-O", "-P", "-S", "-X"] },
  ltrace: { valueOptions: ["-o", "-e", "-p", "-s", "-u", "-a", "-n", "-A", "-D", "-F", "-l", "-x"] },
  time: { valueOptions: ["-f", "-o", "--format", "--output"] },
  command: { noCommandWith: ["-v", "-V"] },
  builtin: {},
  exec: { valueOptions: ["-a"] },
  coproc: {},
  xargs: { valueOptions: ["-a", "-d", "-E", "-I", "-L", "-n", "-P", "-s", "--arg-file", "--delimiter", "--max-args", "--max-procs", "--max-chars", "--max-lines", "--replace", "--process-slot-var"] },
  parallel: {},
  flock: { valueOptions: ["-w", "-E", "--timeout", "--conflict-exit-code"], operands: 1 },
  busybox: {},
  toybox: {},
  unbuffer: {},
  faketime: { operands: 1 },
  fakeroot: { valueOptions: ["-l", "-s", "-i", "--lib", "--faked"] },
  proot: { valueOptions: ["-r", "-b", "-w", "-q"] },
  firejail: {},
  bwrap: {},
  capsh: {},
  chpst: { valueOptions: ["-u", "-U", "-e", "-n", "-l", "-L", "-m", "-d", "-o", "-p", "-f", "-c"] },
  daemonize: { valueOptions: ["-a", "-c", "-e", "-E", "-o", "-p", "-l", "-u"] },
  "start-stop-daemon": {},
  valgrind: {},
  gdb: { valueOptions: ["-ex", "-x", "-p"] },
  perf: {},
  prlimit: { valueOptions: ["-p", "--pid"] },
  setarch: { operands: 1 },
  linux32: {},
  linux64: {},
  cgexec: { valueOptions: ["-g"] },
  numactl: {},
  catchsegv: {},
  "dbus-run-session": {},
  "dbus-launch": {},
  "ssh-agent": {},
  "xvfb-run": { valueOptions: ["-n", "-s", "-f", "-e", "-p", "--server-args", "--auth-file", "--error-file"] },
  npx: { valueOptions: ["-p", "--package"] },
  bunx: {},
  "run-parts": {},
  watch: { valueOptions: ["-n", "--interval", "-q", "--equexit"] }
}

/** Wrappers that run code or files the words do not show at all. */
const UNSEEN: Readonly<Record<string, string>> = {
  source: "the file it reads",
  ".": "the file it reads",
  alias: "the alias it defines",
  hash: "the command path it records",
  enable: "the builtin it loads",
  fc: "the history it replays",
  at: "the commands it schedules",
  batch: "the commands it schedules",
  crontab: "the commands it schedules",
  "systemd-run": "the command it starts as a service",
  script: "the session it records",
  expect: "the script it runs",
  tmux: "the commands it starts in a session",
  screen: "the commands it starts in a session"
}

/** Options of other programs that make them run a command (or write a file) named in an argument. */
const OPTION_TRIGGERS: Readonly<Record<string, ReadonlyArray<string>>> = {
  tar: ["--to-command", "--checkpoint-action", "--use-compress-program", "-I", "--rsh-command", "--info-script", "--new-volume-script", "-F", "--rmt-command"],
  rsync: ["-e", "--rsh", "--rsync-path"],
  ssh: ["-o", "-F"],
  scp: ["-o", "-F", "-S"],
  sftp: ["-o", "-F", "-S"],
  sort: ["--compress-program"],
  split: ["--filter"],
  zip: ["-TT", "--unzip-command"],
  man: ["-P", "--pager", "-H", "--html"],
  vim: ["-c", "--cmd", "-S"],
  vi: ["-c", "--cmd", "-S"],
  nvim: ["-c", "--cmd", "-S"],
  ex: ["-c", "--cmd", "-S"],
  view: ["-c", "--cmd", "-S"]
}

const FIND_EXEC = new Set(["-exec", "-execdir", "-ok", "-okdir"])
const FIND_WRITES = new Set(["-delete", "-fprint", "-fprint0", "-fprintf", "-fls"])

const basename = (name: string): string => name.slice(name.lastIndexOf("/") + 1)

const literalOf = (word: ShellWord | undefined): string | undefined => word?.literal

const optionName = (arg: string): string => (arg.startsWith("--") && arg.includes("=") ? arg.slice(0, arg.indexOf("=")) : arg)

/** Whether an argument is, or starts with, one of the trigger options (`-oProxyCommand=…`, `--rsh=…`). */
const triggerIn = (arg: string, triggers: ReadonlyArray<string>): string | undefined =>
  triggers.find((t) => arg === t || (t.startsWith("--") ? arg.startsWith(`${t}=`) : arg.startsWith(t) && t.length === 2 && !arg.startsWith("--")))

/**
 * The command after a wrapper's options and operands. Unknown options are taken to have no value, so as a
 * safety net every later literal word that could start a command is offered too (for the deny list).
 */
const argvAfter = (words: ReadonlyArray<ShellWord>, spec: ArgvSpec, env: boolean): ReadonlyArray<WrappedCommand> => {
  const args = words.slice(1)
  const assignments: Array<string> = []
  let i = 0
  for (; i < args.length; i++) {
    const arg = literalOf(args[i])
    if (arg === undefined) break
    if (arg === "--") {
      i++
      break
    }
    if (spec.noCommandWith?.includes(optionName(arg))) return []
    if (env && /^[^=-][^=]*=/.test(arg)) {
      assignments.push(arg)
      continue
    }
    if (!arg.startsWith("-") || arg === "-") break
    if (spec.valueOptions?.includes(arg)) i++
  }
  i += spec.operands ?? 0
  const runs: Array<WrappedCommand> = []
  if (i < args.length) runs.push({ _tag: "Argv", words: args.slice(i) })
  for (let j = i + 1; j < args.length; j++) {
    const arg = literalOf(args[j])
    if (arg !== undefined && !arg.startsWith("-") && !/^[^=]+=/.test(arg)) runs.push({ _tag: "Argv", words: args.slice(j) })
  }
  return runs
}

const envAssignments = (words: ReadonlyArray<ShellWord>): ReadonlyArray<string> => {
  const found: Array<string> = []
  for (const word of words.slice(1)) {
    const arg = word.literal
    if (arg === undefined) continue
    if (/^[^=-][^=]*=/.test(arg)) found.push(arg)
    else if (!arg.startsWith("-")) break
  }
  return found
}

/** `sh -c CODE`, `sh FILE`, or `sh` reading commands from stdin. */
const shellUse = (name: string, words: ReadonlyArray<ShellWord>): WrapperUse => {
  const args = words.slice(1)
  let code = false
  for (let i = 0; i < args.length; i++) {
    const arg = literalOf(args[i])
    if (arg === undefined) return { name, marker: name, runs: [{ _tag: "Code", source: undefined }], assignments: [] }
    if (arg === "--") {
      const operand = args[i + 1]
      return operandUse(name, code, operand)
    }
    if (/^[-+][A-Za-z]+$/.test(arg)) {
      if (arg.startsWith("-") && arg.includes("c")) code = true
      if (/[oO]$/.test(arg)) i++
      continue
    }
    if (arg === "--rcfile" || arg === "--init-file") {
      i++
      continue
    }
    if (arg.startsWith("--")) continue
    return operandUse(name, code, args[i])
  }
  // No operand: the shell reads its commands from stdin, which the policy never sees.
  return { name, marker: name, runs: [{ _tag: "Code", source: undefined }], assignments: [] }
}

const operandUse = (name: string, code: boolean, operand: ShellWord | undefined): WrapperUse => {
  if (code) return { name: `${name} -c`, marker: name, runs: [{ _tag: "Code", source: operand?.literal }], assignments: [] }
  if (operand === undefined) return { name, marker: name, runs: [{ _tag: "Code", source: undefined }], assignments: [] }
  return { name, marker: name, runs: [{ _tag: "Unseen", what: `the script ${operand.text}` }], assignments: [] }
}

const gitUse = (words: ReadonlyArray<ShellWord>): WrapperUse | undefined => {
  const args = words.slice(1).map((w) => w.literal)
  const unseen = (marker: string, what: string): WrapperUse => ({
    name: `git ${marker}`,
    marker,
    runs: [{ _tag: "Unseen", what }],
    assignments: []
  })
  let i = 0
  for (; i < args.length; i++) {
    const arg = args[i]
    if (arg === undefined) return unseen("git", "a git option known only at run time")
    if (arg === "-c" || arg.startsWith("-c")) return unseen("-c", "the configuration it sets (aliases, pagers and hooks run commands)")
    if (arg === "--config-env" || arg.startsWith("--config-env=")) return unseen("--config-env", "the configuration it sets")
    if (arg === "--exec-path" || arg.startsWith("--exec-path=")) return arg.includes("=") ? unseen("--exec-path", "the programs it runs") : undefined
    if (arg === "-C" || arg === "--git-dir" || arg === "--work-tree" || arg === "--namespace") {
      i++
      continue
    }
    if (!arg.startsWith("-")) break
  }
  const sub = args[i]
  const rest = args.slice(i + 1)
  const restWords = words.slice(i + 2)
  const hasOption = (...options: ReadonlyArray<string>) =>
    rest.find((a) => a !== undefined && options.some((o) => a === o || a.startsWith(`${o}=`) || (o.length === 2 && a.startsWith(o))))
  switch (sub) {
    case "config":
      return unseen("config", "the configuration it writes (aliases, pagers and hooks run commands)")
    case "submodule":
      return rest.includes("foreach") ?
        { name: "git submodule foreach", marker: "foreach", runs: [{ _tag: "Code", source: joinLiteral(restWords.slice(rest.indexOf("foreach") + 1)) }], assignments: [] } :
        undefined
    case "bisect":
      return rest[0] === "run" ? { name: "git bisect run", marker: "bisect run", runs: [{ _tag: "Argv", words: restWords.slice(1) }], assignments: [] } : undefined
    case "rebase": {
      const option = hasOption("--exec", "-x")
      return option === undefined ? undefined : unseen(optionName(option).slice(0, option.startsWith("--") ? undefined : 2), "the command it runs after each commit")
    }
    case "filter-branch":
      return unseen("filter-branch", "the filters it runs")
    case "difftool":
    case "mergetool": {
      const option = hasOption("--extcmd", "-x", "--tool", "-t")
      return option === undefined ? undefined : unseen(optionName(option).slice(0, option.startsWith("--") ? undefined : 2), "the tool command it runs")
    }
    case "clone":
    case "fetch":
    case "pull":
    case "push":
    case "ls-remote":
    case "archive": {
      const option = hasOption("--upload-pack", "--receive-pack", "--exec", ...(sub === "clone" || sub === "ls-remote" ? ["-u"] : []))
      return option === undefined ? undefined : unseen(optionName(option).slice(0, option.startsWith("--") ? undefined : 2), "the remote program it runs")
    }
    case "grep": {
      const option = hasOption("--open-files-in-pager", "-O")
      return option === undefined ? undefined : unseen(optionName(option).slice(0, option.startsWith("--") ? undefined : 2), "the pager it runs")
    }
    default:
      return undefined
  }
}

const packageRunnerUse = (name: string, words: ReadonlyArray<ShellWord>): WrapperUse | undefined => {
  const sub = words[1]?.literal
  const runners: Record<string, ReadonlyArray<string>> = { npm: ["exec", "x"], pnpm: ["exec", "dlx"], yarn: ["exec", "dlx"], bun: ["x"] }
  if (sub === undefined || !(runners[name] ?? []).includes(sub)) return undefined
  return { name: `${name} ${sub}`, marker: `${name} ${sub}`, runs: argvAfter(words.slice(1), {}, false), assignments: [] }
}

const joinLiteral = (words: ReadonlyArray<ShellWord>): string | undefined =>
  words.every((w) => w.literal !== undefined) ? words.map((w) => w.literal).join(" ") : undefined

/**
 * The wrapper use of a simple command (its words, name first), or `undefined` when it runs no other command.
 *
 * @since 0.1.0
 * @category classification
 */
export const wrapperUse = (words: ReadonlyArray<ShellWord>): WrapperUse | undefined => {
  const first = words[0]?.literal
  if (first === undefined) return undefined
  const name = basename(first)
  if (SHELLS.has(name)) return shellUse(name, words)
  switch (name) {
    case "eval":
      return { name, marker: name, runs: [{ _tag: "Code", source: joinLiteral(words.slice(1)) }], assignments: [] }
    case "trap": {
      const action = words[1]
      const literal = action?.literal
      if (action === undefined || literal === "-p" || literal === "-l" || literal === "-" || words.length < 3) return undefined
      return { name, marker: name, runs: [{ _tag: "Code", source: literal === "--" ? words[2]?.literal : literal }], assignments: [] }
    }
    case "su":
    case "runuser": {
      const index = words.findIndex((w) => w.literal === "-c" || w.literal === "--command" || w.literal?.startsWith("--command=") === true)
      if (index > 0) {
        const option = words[index]!.literal!
        const source = option.includes("=") ? option.slice(option.indexOf("=") + 1) : words[index + 1]?.literal
        return { name, marker: name, runs: [{ _tag: "Code", source }], assignments: [] }
      }
      break
    }
    case "find": {
      const index = words.findIndex((w) => w.literal !== undefined && (FIND_EXEC.has(w.literal) || FIND_WRITES.has(w.literal)))
      if (index < 0) return undefined
      const option = words[index]!.literal!
      if (FIND_WRITES.has(option)) return { name: `find ${option}`, marker: option, runs: [], assignments: [] }
      const end = words.findIndex((w, j) => j > index && (w.literal === ";" || w.literal === "+"))
      const inner = words.slice(index + 1, end < 0 ? undefined : end)
      return { name: `find ${option}`, marker: option, runs: [{ _tag: "Argv", words: inner }], assignments: [] }
    }
    case "git":
      return gitUse(words)
    case "npm":
    case "pnpm":
    case "yarn":
    case "bun":
      return packageRunnerUse(name, words)
    case "flock": {
      const index = words.findIndex((w) => w.literal === "-c" || w.literal === "--command")
      if (index > 0) return { name, marker: name, runs: [{ _tag: "Code", source: words[index + 1]?.literal }], assignments: [] }
      break
    }
    case "watch": {
      if (words.some((w) => w.literal === "-x" || w.literal === "--exec")) break
      const runs = argvAfter(words, ARGV_WRAPPERS.watch!, false)
      const first = runs[0]
      const source = first?._tag === "Argv" ? joinLiteral(first.words) : undefined
      return { name, marker: name, runs: [{ _tag: "Code", source }], assignments: [] }
    }
    case "exec":
      if (words.length === 1) return undefined
      break
    case "mapfile":
    case "readarray": {
      // -C names a callback that the shell evaluates as code every few lines.
      const index = words.findIndex((w) => w.literal === "-C")
      if (index > 0) return { name: `${name} -C`, marker: "-C", runs: [{ _tag: "Code", source: words[index + 1]?.literal }], assignments: [] }
      return undefined
    }
    case "npx": {
      const index = words.findIndex((w) => w.literal === "-c" || w.literal === "--call")
      if (index > 0) return { name, marker: name, runs: [{ _tag: "Code", source: words[index + 1]?.literal }], assignments: [] }
      break
    }
    default:
      break
  }
  const unseen = UNSEEN[name]
  if (unseen !== undefined) return { name, marker: name === "." ? ". " : name, runs: [{ _tag: "Unseen", what: unseen }], assignments: [] }
  const spec = ARGV_WRAPPERS[name]
  if (spec !== undefined) {
    const runs = argvAfter(words, spec, name === "env")
    if (runs.length === 0 && spec.noCommandWith !== undefined) return undefined
    if (name === "env" && words.some((w) => w.literal === "-S" || w.literal?.startsWith("--split-string") === true || /^-[a-zA-Z]*S/.test(w.literal ?? ""))) {
      return { name, marker: name, runs: [{ _tag: "Code", source: undefined }], assignments: envAssignments(words) }
    }
    return { name, marker: name, runs, assignments: name === "env" ? envAssignments(words) : [] }
  }
  const triggers = OPTION_TRIGGERS[name]
  if (triggers !== undefined) {
    for (const word of words.slice(1)) {
      const arg = word.literal
      if (arg === undefined) continue
      const trigger = triggerIn(arg, triggers)
      if (trigger !== undefined) {
        return { name: `${name} ${trigger}`, marker: trigger, runs: [{ _tag: "Unseen", what: `the command given to ${trigger}` }], assignments: [] }
      }
    }
    if (name.endsWith("vi") || name.endsWith("vim") || name === "ex" || name === "view") {
      const plus = words.slice(1).find((w) => w.literal?.startsWith("+") === true && w.literal.length > 1)
      if (plus !== undefined) return { name: `${name} +`, marker: "+", runs: [{ _tag: "Unseen", what: "the editor command it runs" }], assignments: [] }
    }
  }
  return undefined
}
