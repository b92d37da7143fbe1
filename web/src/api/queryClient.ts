import { QueryClient } from '@tanstack/react-query'

// TanStack Query keeps what the API answered: shared between the
// components that ask for the same thing, read again in the background when
// stale, dropped when unused.
//
// An error is shown at once with its "Try again" (no silent retries: a 4xx
// will not change, and the user sees why the page waits), and a catalog
// answer counts as fresh for a minute.
export function newQueryClient() {
  return new QueryClient({
    defaultOptions: {
      queries: { retry: false, staleTime: 60_000 },
      mutations: { retry: false },
    },
  })
}
