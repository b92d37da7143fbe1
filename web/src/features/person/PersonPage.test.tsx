import { screen } from '@testing-library/react'
import { describe, expect, it } from 'vitest'
import PersonPage, { filmography, lifeDates } from './PersonPage'
import { mockFetch, renderAt } from '../../test/render'
import type { Person } from '../catalog/api'

const coppola: Person = {
  id: 'nm0000338',
  name: 'Francis Ford Coppola',
  birth_date: '1939-04-07',
  birth_place: 'Detroit, Michigan, USA',
  professions: ['director', 'writer'],
  biography: 'American film director.',
  known_for: ['tt0068646'],
  also_known_as: [],
  popularity: 1,
  updated_at: '2026-01-01T00:00:00Z',
  version: 1,
  credits: {
    person_id: 'nm0000338',
    titles_resolved: true,
    cast: [{ title_id: 'tt9', title: 'Cameo', year: 1990, job: 'actor', order: 0, characters: ['Himself'] }],
    crew: [
      {
        department: 'directing',
        job: 'director',
        credits: [
          { title_id: 'tt0068646', title: 'The Godfather', year: 1972, job: 'director', order: 0 },
          { title_id: 'tt0078788', title: 'Apocalypse Now', year: 1979, job: 'director', order: 0 },
          { title_id: 'tt0071562', title: 'The Godfather Part II', year: 1974, job: 'director', order: 0 },
        ],
      },
      { department: 'writing', job: 'writer', credits: [{ title_id: 'tt0068646', title: 'The Godfather', year: 1972, job: 'writer', order: 0 }] },
    ],
  },
}

describe('filmography', () => {
  it('groups by role, acting first, newest year first', () => {
    const g = filmography(coppola)
    expect(g.map((x) => x.role)).toEqual(['Acting', 'Director', 'Writer'])
    expect(g[1].years.map((y) => y.year)).toEqual(['1979', '1974', '1972'])
  })

  it('lists a title once per role with all its characters', () => {
    const g = filmography({
      credits: {
        person_id: 'nm1',
        titles_resolved: true,
        cast: [
          { title_id: 't1', title: 'Twins', year: 2000, job: 'actor', order: 0, characters: ['A'] },
          { title_id: 't1', title: 'Twins', year: 2000, job: 'actor', order: 0, characters: ['B'] },
        ],
        crew: [],
      },
    })
    expect(g[0].years[0].credits).toHaveLength(1)
    expect(g[0].years[0].credits[0].characters).toEqual(['A', 'B'])
  })

  it('lifeDates', () => {
    expect(lifeDates(coppola)).toBe('Born 1939-04-07 in Detroit, Michigan, USA')
    expect(lifeDates({ birth_date: '1900', death_date: '1980' })).toBe('Born 1900 · Died 1980')
  })
})

describe('PersonPage', () => {
  it('shows the bio, known-for titles and the filmography', async () => {
    mockFetch((c) => {
      if (c.url.startsWith('/api/v1/people/nm0000338?')) return { json: coppola }
      if (c.url === '/api/v1/titles?ids=tt0068646') return { json: { titles: [{ id: 'tt0068646', kind: 'movie', title: 'The Godfather', start_year: 1972 }] } }
      return undefined
    })
    renderAt(<PersonPage />, { at: '/person/nm0000338', path: '/person/:id' })
    expect(await screen.findByRole('heading', { level: 1, name: 'Francis Ford Coppola' })).toBeInTheDocument()
    expect(screen.getByText('American film director.')).toBeInTheDocument()
    expect(screen.getByText(/Born 1939-04-07/)).toBeInTheDocument()
    expect(await screen.findByRole('region', { name: 'Known for' })).toHaveTextContent('The Godfather')
    expect(screen.getAllByTestId('filmography-group')).toHaveLength(3)
    expect(screen.getByText('as Himself')).toBeInTheDocument()
  })
})
