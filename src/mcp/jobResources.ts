/**
 * Job output as MCP resources: `job://<job_id>/output` (both streams, in the order written),
 * `job://<job_id>/stdout` and `job://<job_id>/stderr`.
 *
 * @since 0.1.0
 */
import type { ReadResourceResult, ResourceTemplate } from "@modelcontextprotocol/sdk/types.js"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import { InvalidArgument, type JobNotFound } from "../domain/errors.js"
import { JobManager } from "../JobManager.js"

/**
 * Which view of a job a resource shows.
 *
 * @since 0.1.0
 * @category models
 */
export type JobResourceView = "output" | "stdout" | "stderr"

/**
 * The three resource URIs of a job.
 *
 * @since 0.1.0
 * @category uris
 */
export const jobResourceUris = (jobId: string): Record<JobResourceView, string> => ({
  output: `job://${jobId}/output`,
  stdout: `job://${jobId}/stdout`,
  stderr: `job://${jobId}/stderr`
})

/**
 * Reads a job resource URI, or `undefined` when it is not one.
 *
 * @since 0.1.0
 * @category uris
 */
export const parseJobUri = (uri: string): { readonly jobId: string; readonly view: JobResourceView } | undefined => {
  const match = /^job:\/\/([^/]+)\/(output|stdout|stderr)$/.exec(uri)
  if (match === null) return undefined
  // A malformed escape (a stray %) is not a job URI, not a crash.
  const jobId = Either.try(() => decodeURIComponent(match[1]!))
  return Either.isLeft(jobId) ? undefined : { jobId: jobId.right, view: match[2] as JobResourceView }
}

/**
 * The resource templates, for `resources/templates/list`.
 *
 * @since 0.1.0
 * @category uris
 */
export const resourceTemplates: Array<ResourceTemplate> = [
  {
    uriTemplate: "job://{job_id}/output",
    name: "job-output",
    title: "Job output",
    description: "A job's stdout and stderr interleaved in the order written (ANSI stripped). Subscribe to be told when it grows or the job ends.",
    mimeType: "text/plain"
  },
  {
    uriTemplate: "job://{job_id}/stdout",
    name: "job-stdout",
    title: "Job stdout",
    description: "A job's stdout (ANSI stripped).",
    mimeType: "text/plain"
  },
  {
    uriTemplate: "job://{job_id}/stderr",
    name: "job-stderr",
    title: "Job stderr",
    description: "A job's stderr (ANSI stripped).",
    mimeType: "text/plain"
  }
]

/**
 * Reads one job resource.
 *
 * @since 0.1.0
 * @category resources
 */
export const readJobResource = (
  uri: string
): Effect.Effect<ReadResourceResult, InvalidArgument | JobNotFound, JobManager> =>
  Effect.gen(function*() {
    const parsed = parseJobUri(uri)
    if (parsed === undefined) {
      return yield* new InvalidArgument({
        argument: "uri",
        reason: `${JSON.stringify(uri)} is not a job resource; use job://<job_id>/output, /stdout or /stderr.`
      })
    }
    const jobs = yield* JobManager
    const text = parsed.view === "output"
      ? yield* jobs.transcript(parsed.jobId)
      : (yield* jobs.output(parsed.jobId, { stream: parsed.view }))[parsed.view]
    return { contents: [{ uri, mimeType: "text/plain", text }] }
  })
