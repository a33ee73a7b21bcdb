/**
 * A throw-away working directory for policy tests, with a file a slip would remove (`victim`), the path a
 * slip would create (`created`), and helpers a bypass might try to run (`script.sh`, an `ls` look-alike); the
 * job runtime working in it, and how an execution there ended up.
 */
import * as Effect from "effect/Effect"
import type * as Scope from "effect/Scope"
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import type { JobConfigInput } from "../../src/JobConfig.js"
import type { ExecuteOptions, JobManager } from "../../src/JobManager.js"
import { executeToEnd, liveJobs } from "./runtime.js"

export interface Sandbox {
  readonly dir: string
  readonly created: string
  readonly victim: string
  /** Whether nothing happened: `created` absent and `victim` present. */
  readonly untouched: () => boolean
  readonly reset: () => void
  readonly remove: () => void
}

export const makeSandbox = (): Sandbox => {
  const dir = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), "mbj-policy-")))
  const created = path.join(dir, "created")
  const victim = path.join(dir, "victim")
  const script = "#!/bin/sh\ntouch \"$(dirname \"$0\")/created\"\n"
  fs.writeFileSync(path.join(dir, "script.sh"), script, { mode: 0o755 })
  fs.mkdirSync(path.join(dir, "bin"))
  fs.writeFileSync(path.join(dir, "bin", "ls"), script, { mode: 0o755 })
  fs.mkdirSync(path.join(dir, "sub"))
  const reset = () => {
    fs.rmSync(created, { force: true, recursive: true })
    fs.writeFileSync(victim, "keep me\n")
  }
  reset()
  return {
    dir,
    created,
    victim,
    untouched: () => !fs.existsSync(created) && fs.existsSync(victim),
    reset,
    remove: () => fs.rmSync(dir, { recursive: true, force: true })
  }
}

/** A sandbox removed when the scope closes. */
export const sandboxScoped: Effect.Effect<Sandbox, never, Scope.Scope> = Effect.acquireRelease(
  Effect.sync(makeSandbox),
  (sandbox) => Effect.sync(sandbox.remove)
)

/**
 * `liveJobs` working in the sandbox, with what the policy tests have always run their jobs with: removed 60 ms
 * after they end, and SIGKILL 1 ms after SIGTERM (no policy test stops a job). Written as durations: a bare
 * number there means milliseconds.
 */
export const sandboxJobs = (sandbox: Sandbox, input: JobConfigInput = {}) =>
  liveJobs({ cleanupInterval: "60 millis", killGrace: "1 millis", workingDir: sandbox.dir, ...input })

/** A test in a fresh sandbox on `sandboxJobs(sandbox, input)`: the runtime stops first, then the sandbox goes. */
export const inSandbox = <A, E>(input: JobConfigInput, test: (sandbox: Sandbox) => Effect.Effect<A, E, JobManager>) =>
  Effect.flatMap(sandboxScoped, (sandbox) => test(sandbox).pipe(Effect.provide(sandboxJobs(sandbox, input))))

/** How an execution ended up: "ran", the rule that refused the command, or the tag of another refusal. */
export const outcome = (options: ExecuteOptions) =>
  Effect.map(executeToEnd(options), (result) =>
    result._tag === "Right" ? "ran" : result.left._tag === "CommandRejected" ? result.left.rule : result.left._tag)
