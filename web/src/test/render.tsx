import { ChakraProvider } from '@chakra-ui/react'
import { QueryClientProvider } from '@tanstack/react-query'
import { render } from '@testing-library/react'
import type { ReactElement } from 'react'
import { MemoryRouter, Route, Routes, useLocation } from 'react-router'
import { vi } from 'vitest'
import { newQueryClient } from '../api/queryClient'
import { SessionContext, type Session } from '../features/auth/session'
import { system } from '../theme/theme'

export function LocationProbe() {
  const l = useLocation()
  return <div data-testid="location">{l.pathname + l.search}</div>
}

export function session(over: Partial<Session> = {}): Session {
  return {
    ready: true,
    signedIn: false,
    signIn: vi.fn(async () => {}),
    signUp: vi.fn(async () => {}),
    signOut: vi.fn(async () => {}),
    ...over,
  }
}

/** renderAt renders ui at route (path pattern) for the URL at, with the app's providers (a fresh query cache each time). */
export function renderAt(ui: ReactElement, { at = '/', path = '*', sess = session() }: { at?: string; path?: string; sess?: Session } = {}) {
  return render(
    <ChakraProvider value={system}>
      <QueryClientProvider client={newQueryClient()}>
        <SessionContext.Provider value={sess}>
          <MemoryRouter initialEntries={[at]}>
            <Routes>
              <Route path={path} element={ui} />
            </Routes>
            <LocationProbe />
          </MemoryRouter>
        </SessionContext.Provider>
      </QueryClientProvider>
    </ChakraProvider>,
  )
}

export interface Call {
  method: string
  url: string
  headers: Record<string, string>
  body?: unknown
}

type Handler = (call: Call) => { status?: number; json?: unknown } | undefined

/**
 * mockFetch replaces fetch with handler, answering JSON (problem+json for
 * errors); it records every call. Unhandled calls answer 404 problems.
 */
export function mockFetch(handler: Handler) {
  const calls: Call[] = []
  const fn = vi.fn(async (input: RequestInfo | URL, init?: RequestInit) => {
    const req = input instanceof Request ? input : undefined
    const raw = req ? req.url : typeof input === 'string' ? input : input.toString()
    // The app's client asks the page's origin; calls are recorded by path.
    const url = raw.startsWith(window.location.origin) ? raw.slice(window.location.origin.length) : raw
    const text = req ? await req.text() : init?.body ? String(init.body) : ''
    const call: Call = {
      method: req?.method ?? init?.method ?? 'GET',
      url,
      headers: req ? Object.fromEntries([...req.headers].map(([k, v]) => [canonical(k), v])) : ((init?.headers as Record<string, string>) ?? {}),
      body: text ? JSON.parse(text) : undefined,
    }
    const signal = req?.signal ?? init?.signal
    calls.push(call)
    if (signal?.aborted) throw new DOMException('aborted', 'AbortError')
    const r = handler(call) ?? { status: 404, json: { title: 'Not Found', status: 404, detail: `path ${url} not found` } }
    const status = r.status ?? 200
    return new Response(r.json === undefined || status === 204 ? null : JSON.stringify(r.json), {
      status,
      headers: { 'Content-Type': status >= 400 ? 'application/problem+json' : 'application/json' },
    })
  })
  vi.stubGlobal('fetch', fn)
  return calls
}

// Headers come lowercased from a Request; the tests name them as sent.
function canonical(name: string) {
  return name.replace(/(^|-)([a-z])/g, (_, d: string, c: string) => d + c.toUpperCase())
}
