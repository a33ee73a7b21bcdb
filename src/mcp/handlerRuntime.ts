/**
 * Running MCP request handlers as Effect fibers: the SDK calls handlers with promises, the adapter runs
 * each one as a fiber of the registering scope, so closing that scope (server shutdown, a closed HTTP
 * session) ends the calls still in flight, such as a long `wait`.
 *
 * @since 0.1.0
 */
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Fiber from "effect/Fiber"
import * as FiberId from "effect/FiberId"
import * as FiberSet from "effect/FiberSet"
import type * as Scope from "effect/Scope"

/**
 * Runs a handler's effect for the SDK.
 *
 * @since 0.1.0
 * @category models
 */
export interface HandlerRuntime<R> {
  /**
   * Runs `effect` as a fiber of the scope. The promise rejects with the effect's own error (an `McpError`
   * becomes the protocol error the client sees); an aborted `signal` (the client cancelled) interrupts it.
   */
  readonly run: <A, E>(
    effect: Effect.Effect<A, E, R>,
    options?: { readonly signal?: AbortSignal | undefined }
  ) => Promise<A>
}

/**
 * A runtime whose fibers belong to the current scope and are interrupted when it closes.
 *
 * @since 0.1.0
 * @category constructors
 */
export const make = <R = never>(): Effect.Effect<HandlerRuntime<R>, never, Scope.Scope | R> =>
  Effect.map(FiberSet.makeRuntime<R>(), (runFork) => {
    const run = <A, E>(effect: Effect.Effect<A, E, R>, options?: { readonly signal?: AbortSignal | undefined }): Promise<A> => {
      const fiber = runFork(Effect.either(effect))
      const signal = options?.signal
      if (signal !== undefined) {
        const cancel = () => fiber.unsafeInterruptAsFork(FiberId.none)
        if (signal.aborted) cancel()
        else signal.addEventListener("abort", cancel, { once: true })
      }
      return Effect.runPromise(Fiber.join(fiber)).then((result: Either.Either<A, E>) =>
        Either.isRight(result) ? result.right : Promise.reject(result.left)
      )
    }
    return { run }
  })
