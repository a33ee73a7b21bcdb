import { defineConfig } from "vitest/config"

/**
 * Three projects, by what a test needs: `unit` pure code and virtual time (no build, no child process),
 * `integration` real processes with the runtime in this process, `e2e` the built `dist/` (the bin, the guard,
 * the package as installed). `npm test` builds first and runs all three; `npm run test:unit` the first alone.
 */
export default defineConfig({
  test: {
    root: new URL("..", import.meta.url).pathname,
    testTimeout: 30_000,
    hookTimeout: 30_000,
    // One pool for every project: the root's options are the ones that count.
    pool: "forks",
    // Real-process tests measure process trees: keep the 2-core CI machine from being oversubscribed.
    poolOptions: { forks: { maxForks: 2, minForks: 1 } },
    projects: [
      { extends: true, test: { name: "unit", include: ["test/unit/**/*.test.ts"] } },
      { extends: true, test: { name: "integration", include: ["test/integration/**/*.test.ts"] } },
      { extends: true, test: { name: "e2e", include: ["test/e2e/**/*.test.ts"] } }
    ]
  }
})
