import { screen, within } from '@testing-library/react'
import userEvent from '@testing-library/user-event'
import { describe, expect, it } from 'vitest'
import SearchPage, { applyFilters, readFilters } from './SearchPage'
import { mockFetch, renderAt } from '../../test/render'
import type { CardTitle, MultiHit } from '../catalog/api'

const hits: MultiHit[] = [
  { type: 'title', score: 0.9, title: { id: 'tt1', kind: 'movie', name: 'The Godfather', year: 1972, score: 0.9 } },
  { type: 'person', score: 0.8, person: { id: 'nm1', name: 'Godfrey Cambridge', professions: null, known_for: null, popularity: 1, score: 0.8 } },
  { type: 'title', score: 0.7, title: { id: 'tt2', kind: 'series', name: 'Godfather of Harlem', year: 2019, score: 0.7 } },
]
const details = new Map<string, CardTitle>([
  ['tt1', { id: 'tt1', kind: 'movie', title: 'The Godfather', start_year: 1972, genres: ['Crime', 'Drama'], rating: { average: 9.2, votes: 10 } }],
  ['tt2', { id: 'tt2', kind: 'series', title: 'Godfather of Harlem', start_year: 2019, genres: ['Crime'], rating: { average: 7.1, votes: 10 } }],
])
const f = (q: string) => readFilters(new URLSearchParams(q))
const ids = (r: ReturnType<typeof applyFilters>) => r.map((x) => (x.type === 'title' ? x.title.id : x.person.id))

describe('applyFilters', () => {
  it('keeps relevance order without filters', () => expect(ids(applyFilters(hits, details, f('q=god')))).toEqual(['tt1', 'nm1', 'tt2']))
  it('kind', () => {
    expect(ids(applyFilters(hits, details, f('kind=series')))).toEqual(['tt2'])
    expect(ids(applyFilters(hits, details, f('kind=person')))).toEqual(['nm1'])
  })
  it('genre, year, rating drop people', () => {
    expect(ids(applyFilters(hits, details, f('genre=drama')))).toEqual(['tt1'])
    expect(ids(applyFilters(hits, details, f('year=2019')))).toEqual(['tt2'])
    expect(ids(applyFilters(hits, details, f('rating=8')))).toEqual(['tt1'])
  })
  it('sorts titles, people last', () => {
    expect(ids(applyFilters(hits, details, f('sort=release_date.desc')))).toEqual(['tt2', 'tt1', 'nm1'])
    expect(ids(applyFilters(hits, details, f('sort=title.asc')))).toEqual(['tt2', 'tt1', 'nm1'])
  })
})

describe('SearchPage', () => {
  it('reads filters from the URL and writes changes back', async () => {
    const calls = mockFetch((c) => {
      if (c.url.startsWith('/api/v1/search/multi?')) return { json: { results: hits } }
      if (c.url.startsWith('/api/v1/titles?ids=')) return { json: { titles: [...details.values()] } }
      return undefined
    })
    renderAt(<SearchPage />, { at: '/search?q=godfater&genre=Crime' })
    const results = await screen.findByTestId('results')
    expect(within(results).getAllByRole('link').map((a) => a.textContent)).toEqual(['The Godfather', 'Godfather of Harlem'])
    expect(calls[0].url).toBe('/api/v1/search/multi?q=godfater&limit=40')
    expect(screen.getByLabelText('Genre')).toHaveValue('Crime')
    await userEvent.selectOptions(screen.getByLabelText('Kind'), 'series')
    expect(screen.getByTestId('location')).toHaveTextContent('/search?q=godfater&genre=Crime&kind=series')
    expect(await screen.findByText('1 result')).toBeInTheDocument()
  })

  it('browses with discover when there is no query', async () => {
    const calls = mockFetch((c) => (c.url.startsWith('/api/v1/discover/titles') ? { json: { results: [details.get('tt1')], limit: 60 } } : undefined))
    renderAt(<SearchPage />, { at: '/search?genre=Crime&rating=8&sort=rating.desc' })
    await screen.findByTestId('results')
    const u = new URL(calls[0].url, 'http://x')
    expect(u.pathname).toBe('/api/v1/discover/titles')
    expect(Object.fromEntries(u.searchParams)).toMatchObject({ genre: 'Crime', rating_min: '8', sort: 'rating.desc' })
  })
})
