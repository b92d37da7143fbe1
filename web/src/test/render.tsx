import { ChakraProvider, defaultSystem } from '@chakra-ui/react'
import { render } from '@testing-library/react'
import type { ReactElement } from 'react'
import { MemoryRouter, Route, Routes, useLocation } from 'react-router'
import { vi } from 'vitest'
import { SessionContext, type Session } from '../auth/session'
import { ProfilesProvider } from '../auth/profiles'

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

/** renderAt renders ui at route (path pattern) for the URL at, with the app's providers. */
export function renderAt(ui: ReactElement, { at = '/', path = '*', sess = session() }: { at?: string; path?: string; sess?: Session } = {}) {
  return render(
    <ChakraProvider value={defaultSystem}>
      <SessionContext.Provider value={sess}>
        <ProfilesProvider>
          <MemoryRouter initialEntries={[at]}>
            <Routes>
              <Route path={path} element={ui} />
            </Routes>
            <LocationProbe />
          </MemoryRouter>
        </ProfilesProvider>
      </SessionContext.Provider>
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
    const url = typeof input === 'string' ? input : input.toString()
    const call: Call = {
      method: init?.method ?? 'GET',
      url,
      headers: (init?.headers as Record<string, string>) ?? {},
      body: init?.body ? JSON.parse(String(init.body)) : undefined,
    }
    calls.push(call)
    if (init?.signal?.aborted) throw new DOMException('aborted', 'AbortError')
    const r = handler(call) ?? { status: 404, json: { title: 'Not Found', status: 404, detail: `path ${url} not found` } }
    const status = r.status ?? 200
    return new Response(r.json === undefined ? null : JSON.stringify(r.json), {
      status,
      headers: { 'Content-Type': status >= 400 ? 'application/problem+json' : 'application/json' },
    })
  })
  vi.stubGlobal('fetch', fn)
  return calls
}
