import { defineConfig } from "vitest/config"

// The long variants of the flood and leak tests: 4 GiB floods and 6000 sequential jobs.
export default defineConfig({
  test: {
    root: new URL("../..", import.meta.url).pathname,
    include: ["test/e2e/lifecycle/floodGiB.test.ts", "test/e2e/lifecycle/sequentialJobs.test.ts"],
    env: { MBJ_STRESS_SCALE: "4" },
    testTimeout: 900_000,
    hookTimeout: 60_000,
    pool: "forks",
    poolOptions: { forks: { maxForks: 1, minForks: 1 } }
  }
})
