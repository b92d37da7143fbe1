// The HTTP client of the platform's public API: same origin, JSON in and
// out, typed by the OpenAPI document the server publishes (schema.d.ts is
// generated from openapi.json by openapi-typescript; `make openapi`
// refreshes both). RFC 9457 problem+json answers become ApiError with the
// server's detail.
//
// openapi-fetch was chosen for the calls: a few kB on top of fetch, every
// path, parameter and body checked against the generated types, no code
// generated besides the types.
import createClient from 'openapi-fetch'
import type { components, paths } from './schema'

/** Schemas are the server's types by their OpenAPI names. */
export type Schemas = components['schemas']

/**
 * Problem is an RFC 9457 problem detail as the platform sends it
 * (HttpxProblem), loosened for answers that did not come from the platform
 * (a proxy's HTML page, a network failure): everything may be missing.
 */
export type Problem = Partial<Schemas['HttpxProblem']>

export class ApiError extends Error {
  readonly status: number
  readonly problem: Problem
  constructor(status: number, problem: Problem) {
    super(problem.detail || problem.title || `HTTP ${status}`)
    this.name = 'ApiError'
    this.status = status
    this.problem = problem
  }
  get notFound(): boolean {
    return this.status === 404
  }
}

// The base URL is the page's origin: Request needs an absolute URL outside
// the browser (the tests), and the platform serves the app and the API
// from one origin. fetch is looked up on each call, not kept, so a test's
// stub is the one used.
export const client = createClient<paths>({
  baseUrl: typeof window === 'undefined' ? '' : window.location.origin,
  fetch: (req) => globalThis.fetch(req),
  headers: { Accept: 'application/json, application/problem+json' },
})

/** bearer is the Authorization header of a user's access token. */
export function bearer(token?: string): { Authorization?: string } {
  return token ? { Authorization: `Bearer ${token}` } : {}
}

type Result<T> = { data?: T; error?: unknown; response: Response }

/**
 * call awaits an openapi-fetch request and returns its data, or throws
 * ApiError: the server's problem, or status 0 when the server could not be
 * reached. An abort is passed through as it is.
 */
export async function call<T>(request: Promise<Result<T>>): Promise<T> {
  let r: Result<T>
  try {
    r = await request
  } catch (e) {
    if ((e as Error)?.name === 'AbortError') throw e
    throw new ApiError(0, { title: 'Network error', detail: 'The server could not be reached. Check your connection and try again.' })
  }
  const res = r.response
  if (res.ok) return r.data as T
  throw new ApiError(res.status, toProblem(res, r.error))
}

function toProblem(res: Response, body: unknown): Problem {
  const p: Problem = body && typeof body === 'object' ? (body as Problem) : {}
  const text = typeof body === 'string' ? body : ''
  return {
    ...p,
    status: p.status ?? res.status,
    title: p.title ?? res.statusText,
    detail: p.detail ?? (text ? text.slice(0, 200) : `The server answered ${res.status} ${res.statusText}`.trim()),
  }
}

/** clean drops the undefined, null and empty values of query parameters. */
export function clean<T extends Record<string, unknown>>(params: T): T {
  return Object.fromEntries(Object.entries(params).filter(([, v]) => v !== undefined && v !== null && v !== '')) as T
}

/** errorMessage is what the user reads about an error. */
export function errorMessage(e: unknown): string {
  if (e instanceof Error) return e.message
  return String(e)
}
