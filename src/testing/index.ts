/**
 * `mcp-background-job/testing`: run the job runtime on scripted processes and Effect's virtual clock, so
 * that timeouts, kill escalation and cleanup are tested in milliseconds without real processes.
 *
 * @since 0.1.0
 */

/** Scripts: what a fake process does over virtual time, step by step. @since 0.1.0 */
export * as Script from "./Script.js"
/** The scripted `Spawner` layer, the record of what its processes did, and a `JobManager` on it. @since 0.1.0 */
export { type Options as TestSpawnerOptions, type ProcessRecord, type SignalRecord, TestSpawner } from "./TestSpawner.js"
/** Moving a `TestClock` without adjusting before a timer is set. @since 0.1.0 */
export * as VirtualTime from "./VirtualTime.js"
