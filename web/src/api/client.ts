// The HTTP client of the platform's public API: same origin, JSON in and
// out, RFC 9457 problem+json turned into ApiError with the server's detail.

export interface Problem {
  type?: string
  title?: string
  status?: number
  detail?: string
  instance?: string
  request_id?: string
  errors?: { message?: string; location?: string }[]
}

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

export interface RequestOptions {
  method?: string
  body?: unknown
  token?: string
  signal?: AbortSignal
  headers?: Record<string, string>
}

export async function api<T>(path: string, opts: RequestOptions = {}): Promise<T> {
  const headers: Record<string, string> = { Accept: 'application/json, application/problem+json', ...opts.headers }
  if (opts.body !== undefined) headers['Content-Type'] = 'application/json'
  if (opts.token) headers.Authorization = `Bearer ${opts.token}`
  let res: Response
  try {
    res = await fetch(path, {
      method: opts.method ?? 'GET',
      headers,
      body: opts.body === undefined ? undefined : JSON.stringify(opts.body),
      signal: opts.signal,
    })
  } catch (e) {
    if ((e as Error).name === 'AbortError') throw e
    throw new ApiError(0, { title: 'Network error', detail: 'The server could not be reached. Check your connection and try again.' })
  }
  if (res.status === 204) return undefined as T
  const text = await res.text()
  let data: unknown = undefined
  if (text) {
    try {
      data = JSON.parse(text)
    } catch {
      data = undefined
    }
  }
  if (!res.ok) {
    const p = (data && typeof data === 'object' ? data : {}) as Problem
    throw new ApiError(res.status, {
      ...p,
      status: p.status ?? res.status,
      title: p.title ?? res.statusText,
      detail: p.detail ?? (text && !data ? text.slice(0, 200) : `The server answered ${res.status} ${res.statusText}`.trim()),
    })
  }
  return data as T
}

/** query builds a query string from the defined, non-empty values. */
export function query(params: Record<string, string | number | undefined | null>): string {
  const q = new URLSearchParams()
  for (const [k, v] of Object.entries(params)) {
    if (v !== undefined && v !== null && v !== '') q.set(k, String(v))
  }
  const s = q.toString()
  return s ? `?${s}` : ''
}

/** errorMessage is what the user reads about an error. */
export function errorMessage(e: unknown): string {
  if (e instanceof ApiError) return e.message
  if (e instanceof Error) return e.message
  return String(e)
}
