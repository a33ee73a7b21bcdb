import { defineConfig } from "vitest/config"

export default defineConfig({
  test: {
    root: new URL("..", import.meta.url).pathname,
    include: ["test/**/*.test.ts"],
    exclude: ["test/stress/**", "test/bench/**", "node_modules/**"],
    testTimeout: 30_000,
    hookTimeout: 30_000,
    pool: "forks",
    // Real-process tests measure process trees: keep the 2-core CI machine from being oversubscribed.
    poolOptions: { forks: { maxForks: 2, minForks: 1 } }
  }
})
