import { screen, waitFor } from '@testing-library/react'
import { describe, expect, it } from 'vitest'
import Home, { HOME_ROWS, TOP_RATED_VOTES, homeRows } from './Home'
import { mockFetch, renderAt } from '../test/render'

describe('Home', () => {
  it('shows skeletons, then one row per discover query; empty genre rows are left out', async () => {
    let release: () => void = () => {}
    const gate = new Promise<void>((r) => (release = r))
    const calls = mockFetch((c) => {
      const u = new URL(c.url, 'http://x')
      const genre = u.searchParams.get('genre')
      if (genre && genre !== 'Drama') return { json: { results: [], limit: 20 } }
      return { json: { results: [{ id: `tt-${genre ?? u.searchParams.get('sort')}`, kind: 'movie', title: `A ${genre ?? 'film'}`, start_year: 2000 }], limit: 20 } }
    })
    const realFetch = globalThis.fetch
    globalThis.fetch = (async (...a: Parameters<typeof fetch>) => {
      await gate
      return realFetch(...a)
    }) as typeof fetch
    renderAt(<Home />)
    expect(screen.getAllByTestId('card-skeleton').length).toBeGreaterThan(10)
    release()
    await waitFor(() => expect(screen.queryAllByTestId('card-skeleton')).toHaveLength(0))
    expect(calls).toHaveLength(HOME_ROWS.length)
    const headings = screen.getAllByRole('heading', { level: 2 }).map((h) => h.textContent)
    expect(headings).toEqual(['Popular', 'Top rated', 'New releases', 'Drama'])
  })

  it('a failing row says why and offers a retry, the others still show', async () => {
    mockFetch((c) =>
      c.url.includes('sort=rating.desc')
        ? { status: 400, json: { status: 400, detail: 'query.sort: not supported' } }
        : { json: { results: [{ id: 'tt1', kind: 'movie', title: 'Film', start_year: 2000 }], limit: 20 } },
    )
    renderAt(<Home />)
    expect(await screen.findByText('query.sort: not supported')).toBeInTheDocument()
    expect(screen.getAllByTestId('title-card').length).toBeGreaterThan(1)
  })

  it('asks each of the first rows for what its heading says', async () => {
    const calls = mockFetch(() => ({ json: { results: [], limit: 20 } }))
    renderAt(<Home />)
    await waitFor(() => expect(calls).toHaveLength(HOME_ROWS.length))
    const params = (sort: string) => {
      const c = calls.find((c) => new URL(c.url, 'http://x').searchParams.get('sort') === sort && !c.url.includes('genre='))
      return new URL(c!.url, 'http://x').searchParams
    }
    // Top rated: a rating needs enough votes to count.
    expect(params('rating.desc').get('votes_min')).toBe(String(TOP_RATED_VOTES))
    // New releases: newest first, but only what is already out.
    expect(params('release_date.desc').get('release_to')).toMatch(/^\d{4}-\d{2}-\d{2}$/)
    expect(params('popularity.desc').get('votes_min')).toBeNull()
  })

  it('dates New releases by the local day', () => {
    const rows = homeRows(new Date(2024, 2, 1, 23, 30))
    expect(rows.find((r) => r.heading === 'New releases')?.params.release_to).toBe('2024-03-01')
    expect(rows.map((r) => r.params.sort).slice(0, 3)).toEqual(['popularity.desc', 'rating.desc', 'release_date.desc'])
  })
})
