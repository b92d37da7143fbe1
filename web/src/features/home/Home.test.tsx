import { screen, waitFor } from '@testing-library/react'
import { describe, expect, it } from 'vitest'
import Home, { HOME_ROWS, TOP_RATED_VOTES, today } from './Home'
import { mockFetch, renderAt } from '../../test/render'

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

  it('Top rated asks for a vote minimum and New releases only what is out', async () => {
    const calls = mockFetch(() => ({ json: { results: [], limit: 20 } }))
    renderAt(<Home />)
    await waitFor(() => expect(calls.length).toBe(HOME_ROWS.length))
    const urls = calls.map((c) => new URL(c.url, 'http://x'))
    const top = urls.find((u) => u.searchParams.get('sort') === 'rating.desc')
    expect(top?.searchParams.get('votes_min')).toBe(String(TOP_RATED_VOTES))
    const fresh = urls.find((u) => u.searchParams.get('sort') === 'release_date.desc')
    expect(fresh?.searchParams.get('release_to')).toBe(today())
  })

  it('shows the poster the discover page names', async () => {
    mockFetch(() => ({ json: { results: [{ id: 'tt1', kind: 'movie', title: 'Film', start_year: 2000, poster: '/media/tt1/poster.jpg', rating: { average: 0, votes: 0 }, popularity: 1 }], limit: 20, sort: 'popularity.desc' } }))
    renderAt(<Home />)
    const posters = await screen.findAllByRole('img', { name: 'Film' })
    expect(posters[0]).toHaveAttribute('src', '/media/tt1/poster.jpg')
  })
})
