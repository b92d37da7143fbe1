import { screen, waitFor } from '@testing-library/react'
import userEvent from '@testing-library/user-event'
import { describe, expect, it } from 'vitest'
import { SearchBox } from './SearchBox'
import { mockFetch, renderAt } from '../../test/render'

const hits = {
  results: [
    { type: 'title', score: 0.7, title: { id: 'tt0068646', kind: 'movie', name: 'The Godfather', year: 1972 } },
    { type: 'person', score: 0.5, person: { id: 'nm0000199', name: 'Al Pacino', professions: ['actor'] } },
  ],
}

describe('SearchBox', () => {
  it('suggests titles and people after the user pauses, once per pause', async () => {
    const calls = mockFetch((c) => (c.url.startsWith('/api/v1/search/multi/autocomplete') ? { json: hits } : undefined))
    renderAt(<SearchBox />)
    const box = screen.getByRole('combobox', { name: 'Search titles and people' })
    await userEvent.type(box, 'godfater')
    expect(await screen.findByRole('option', { name: /The Godfather/ })).toBeInTheDocument()
    expect(screen.getByRole('option', { name: /Al Pacino/ })).toBeInTheDocument()
    // Typing fast asks once, for the whole word, not once per letter.
    expect(calls.map((c) => c.url)).toEqual(['/api/v1/search/multi/autocomplete?q=godfater&limit=8'])
    expect(box).toHaveAttribute('aria-expanded', 'true')
  })

  it('is keyboard navigable: arrows move, Enter opens, Escape closes', async () => {
    mockFetch(() => ({ json: hits }))
    renderAt(<SearchBox />)
    const box = screen.getByRole('combobox')
    await userEvent.type(box, 'godf')
    await screen.findByRole('option', { name: /The Godfather/ })
    await userEvent.keyboard('{ArrowDown}{ArrowDown}')
    const active = box.getAttribute('aria-activedescendant')!
    expect(document.getElementById(active)).toHaveTextContent('Al Pacino')
    expect(document.getElementById(active)).toHaveAttribute('aria-selected', 'true')
    await userEvent.keyboard('{ArrowDown}') // wraps around
    expect(document.getElementById(box.getAttribute('aria-activedescendant')!)).toHaveTextContent('The Godfather')
    await userEvent.keyboard('{Escape}')
    expect(box).toHaveAttribute('aria-expanded', 'false')
    await userEvent.keyboard('{ArrowDown}{Enter}')
    expect(screen.getByTestId('location')).toHaveTextContent('/title/tt0068646')
  })

  it('Enter without a highlighted suggestion opens the results page', async () => {
    mockFetch(() => ({ json: { results: [] } }))
    renderAt(<SearchBox />)
    await userEvent.type(screen.getByRole('combobox'), 'god father{Enter}')
    expect(screen.getByTestId('location')).toHaveTextContent('/search?q=god%20father')
  })

  it('shows the API error instead of suggestions', async () => {
    mockFetch(() => ({ status: 503, json: { status: 503, detail: 'search index is rebuilding' } }))
    renderAt(<SearchBox />)
    await userEvent.type(screen.getByRole('combobox'), 'godf')
    await waitFor(() => expect(screen.getByText('search index is rebuilding')).toBeInTheDocument())
  })
})
