import { screen, within } from '@testing-library/react'
import { describe, expect, it } from 'vitest'
import TitlePage, { crewByDepartment, runtime } from './TitlePage'
import { mockFetch, renderAt } from '../../test/render'

const godfather = {
  id: 'tt0068646',
  kind: 'movie',
  title: 'The Godfather',
  start_year: 1972,
  runtime_minutes: 175,
  genres: ['Crime', 'Drama'],
  spoken_languages: ['en', 'it'],
  rating: { average: 9.2, votes: 2000000 },
  certifications: [{ country: 'US', certification: 'R' }],
  overview: 'The aging patriarch of an organized crime dynasty transfers control to his son.',
  images: [],
  credits: {
    available: true,
    cast: [
      { person_id: 'nm0000199', name: 'Al Pacino', department: 'acting', job: 'actor', characters: ['Michael Corleone'], order: 2 },
      { person_id: 'nm0000008', name: 'Marlon Brando', department: 'acting', job: 'actor', characters: ['Don Vito Corleone'], order: 1 },
    ],
    crew: [
      { person_id: 'nm0000338', name: 'Francis Ford Coppola', department: 'directing', job: 'director', order: 3 },
      { person_id: 'nm0000338', name: 'Francis Ford Coppola', department: 'writing', job: 'writer', order: 5 },
      { person_id: 'nm0701374', name: 'Mario Puzo', department: 'writing', job: 'writer', order: 4 },
    ],
  },
}

describe('TitlePage', () => {
  it('shows facts, rating, overview, cast in billing order and crew by department', async () => {
    const calls = mockFetch((c) => (c.url.startsWith('/api/v1/titles/tt0068646?') ? { json: godfather } : undefined))
    renderAt(<TitlePage />, { at: '/title/tt0068646', path: '/title/:id' })
    expect(await screen.findByRole('heading', { level: 1, name: /The Godfather/ })).toBeInTheDocument()
    expect(calls[0].url).toBe('/api/v1/titles/tt0068646?append=credits%2Cimages%2Cseasons')
    const facts = screen.getByTestId('facts')
    expect(facts).toHaveTextContent('2 h 55 min')
    expect(facts).toHaveTextContent('R (US)')
    expect(facts).toHaveTextContent('EN, IT')
    expect(screen.getByText(/9\.2 \/ 10/)).toBeInTheDocument()
    const cast = within(screen.getByTestId('cast')).getAllByRole('link')
    expect(cast.map((a) => a.textContent)).toEqual(['Marlon Brando', 'Al Pacino'])
    expect(cast[1]).toHaveAttribute('href', '/person/nm0000199')
    expect(screen.getByText('Michael Corleone')).toBeInTheDocument()
    expect(screen.getByRole('heading', { name: 'Directing' })).toBeInTheDocument()
    expect(screen.getByRole('heading', { name: 'Writing' })).toBeInTheDocument()
  })

  it('says not found for an unknown id', async () => {
    mockFetch(() => ({ status: 404, json: { status: 404, detail: 'title tt0 not found' } }))
    renderAt(<TitlePage />, { at: '/title/tt0', path: '/title/:id' })
    expect(await screen.findByTestId('not-found')).toHaveTextContent('This title is not in our catalog')
  })

  it('shows the problem detail when the API fails', async () => {
    mockFetch(() => ({ status: 503, json: { title: 'Service Unavailable', status: 503, detail: 'inventory is unavailable', request_id: 'abc' } }))
    renderAt(<TitlePage />, { at: '/title/tt1', path: '/title/:id' })
    expect(await screen.findByTestId('error-detail')).toHaveTextContent('inventory is unavailable')
    expect(screen.getByRole('alert')).toHaveTextContent('HTTP 503 · request abc')
    expect(screen.getByRole('button', { name: 'Try again' })).toBeInTheDocument()
  })

  it('lists a series’ seasons and the first season’s episodes', async () => {
    mockFetch((c) => {
      if (c.url.startsWith('/api/v1/titles/tt0944947?'))
        return { json: { id: 'tt0944947', kind: 'series', title: 'Game of Thrones', start_year: 2011, end_year: 2019, genres: [], seasons: [{ series_id: 'tt0944947', season_number: 1, episode_count: 1, first_year: 2011 }] } }
      if (c.url === '/api/v1/titles/tt0944947/seasons/1')
        return { json: { series_id: 'tt0944947', season_number: 1, episode_count: 1, episodes: [{ id: 'tt9', title: 'Winter Is Coming', season_number: 1, episode_number: 1, year: 2011 }] } }
      return undefined
    })
    renderAt(<TitlePage />, { at: '/title/tt0944947', path: '/title/:id' })
    expect(await screen.findByRole('link', { name: 'Winter Is Coming' })).toHaveAttribute('href', '/title/tt9')
    expect(screen.getByRole('button', { name: /Season 1/ })).toHaveAttribute('aria-expanded', 'true')
    expect(screen.getByRole('heading', { level: 1 })).toHaveTextContent('Game of Thrones (2011–2019)')
  })
})

describe('helpers', () => {
  it('runtime', () => {
    expect(runtime(175)).toBe('2 h 55 min')
    expect(runtime(120)).toBe('2 h')
    expect(runtime(45)).toBe('45 min')
    expect(runtime(undefined)).toBeUndefined()
  })
  it('crewByDepartment merges a person’s jobs within a department', () => {
    const d = crewByDepartment([
      { person_id: 'a', name: 'A', department: 'writing', job: 'writer', order: 2 },
      { person_id: 'a', name: 'A', department: 'writing', job: 'screenplay', order: 3 },
      { person_id: 'b', name: 'B', department: 'directing', job: 'director', order: 1 },
    ])
    expect(d).toEqual([
      { department: 'directing', people: [{ person_id: 'b', name: 'B', jobs: ['director'] }] },
      { department: 'writing', people: [{ person_id: 'a', name: 'A', jobs: ['writer', 'screenplay'] }] },
    ])
  })
})
