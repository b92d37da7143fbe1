import { describe, expect, it } from 'vitest'
import { autocomplete, imageURL, searchAll } from './api'
import { mockFetch } from '../../test/render'

describe('autocomplete', () => {
  it('uses the gateway multi-search when it answers', async () => {
    const calls = mockFetch((c) =>
      c.url.startsWith('/api/v1/search/multi/autocomplete')
        ? { json: { results: [{ type: 'person', score: 0.9, person: { id: 'nm1', name: 'Al Pacino' } }], limit: 8 } }
        : undefined,
    )
    const hits = await autocomplete('pac')
    expect(hits).toHaveLength(1)
    expect(calls).toHaveLength(1)
    expect(calls[0].url).toBe('/api/v1/search/multi/autocomplete?q=pac&limit=8')
  })

  it('falls back to titles and people in parallel on 404, ranked together by score', async () => {
    const calls = mockFetch((c) => {
      if (c.url.startsWith('/api/v1/search/titles/autocomplete'))
        return { json: { results: [{ id: 'tt1', kind: 'movie', name: 'The Godfather', year: 1972, score: 0.7 }, { id: 'tt2', kind: 'movie', name: 'Godzilla', score: 0.2 }] } }
      if (c.url.startsWith('/api/v1/search/people')) return { json: { results: [{ id: 'nm1', name: 'Godfrey', score: 0.5 }] } }
      return undefined
    })
    const hits = await autocomplete('godf', 8)
    expect(hits.map((h) => (h.type === 'title' ? h.title.id : h.person.id))).toEqual(['tt1', 'nm1', 'tt2'])
    expect(calls.map((c) => c.url.split('?')[0]).sort()).toEqual([
      '/api/v1/search/multi/autocomplete',
      '/api/v1/search/people',
      '/api/v1/search/titles/autocomplete',
    ])
    expect(calls.find((c) => c.url.startsWith('/api/v1/search/people'))!.url).toContain('autocomplete=true')
  })

  it('does not hide other errors behind the fallback', async () => {
    mockFetch(() => ({ status: 400, json: { status: 400, detail: 'query.q: too long' } }))
    await expect(searchAll('x'.repeat(500))).rejects.toThrow('query.q: too long')
  })
})

describe('imageURL', () => {
  it('accepts absolute and root-relative paths only', () => {
    expect(imageURL({ path: 'https://img.example/p.jpg' })).toBe('https://img.example/p.jpg')
    expect(imageURL('/media/p.jpg')).toBe('/media/p.jpg')
    expect(imageURL('p.jpg')).toBeUndefined()
    expect(imageURL(undefined)).toBeUndefined()
  })
})
