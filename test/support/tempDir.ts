/**
 * Temporary directories that remove themselves: with a scope (Effect tests), at the end of a test, or around
 * a `describe` block.
 */
import * as Effect from "effect/Effect"
import type * as Scope from "effect/Scope"
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { onTestFinished } from "vitest"
import { forBlock } from "./blockFixture.js"

/** A new directory under the system's temporary directory, by its real path. */
const makeTempDir = (prefix: string): string => fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), prefix)))

const remove = (dir: string) => fs.rmSync(dir, { recursive: true, force: true })

/** A temporary directory removed when the scope closes. */
export const tempDirScoped = (prefix: string): Effect.Effect<string, never, Scope.Scope> =>
  Effect.acquireRelease(Effect.sync(() => makeTempDir(prefix)), (dir) => Effect.sync(() => remove(dir)))

/** A temporary directory removed when the test finishes (call it inside a test). */
export const tempDirForTest = (prefix: string): string => {
  const dir = makeTempDir(prefix)
  onTestFinished(() => remove(dir))
  return dir
}

/** For a `describe` block: a temporary directory made before its tests and removed after them. */
export const tempDirForBlock = (prefix: string): (() => string) => forBlock("the directory", () => makeTempDir(prefix), remove)
