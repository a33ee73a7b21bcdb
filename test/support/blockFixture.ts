/**
 * A value a `describe` block creates once before its tests and disposes of after them.
 */
import { afterAll, beforeAll } from "vitest"

/**
 * Registers the block's hooks; the getter returned gives the value once `beforeAll` has made it (reading it
 * earlier, outside a test or hook, is a mistake in the test). Nothing is disposed of if it was never made.
 */
export const forBlock = <A>(what: string, create: () => A | Promise<A>, dispose: (value: A) => void | Promise<void>): (() => A) => {
  let made: { readonly value: A } | undefined
  beforeAll(async () => {
    made = { value: await create() }
  })
  afterAll(async () => {
    if (made !== undefined) await dispose(made.value)
  })
  return () => {
    if (made === undefined) throw new Error(`${what} is used before the block's beforeAll has run`)
    return made.value
  }
}
