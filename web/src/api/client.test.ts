import { describe, expect, it, vi } from 'vitest'
import { api, ApiError, query } from './client'
import { mockFetch } from '../test/render'

describe('api', () => {
  it('returns the JSON body', async () => {
    mockFetch(() => ({ json: { id: 'tt1' } }))
    await expect(api('/api/v1/titles/tt1')).resolves.toEqual({ id: 'tt1' })
  })

  it('turns problem+json into an ApiError with the detail', async () => {
    mockFetch(() => ({ status: 400, json: { title: 'Bad Request', status: 400, detail: 'query.sort: must be popularity', request_id: 'r1' } }))
    const err = (await api('/api/v1/discover/titles?sort=x').catch((e: unknown) => e)) as ApiError
    expect(err).toBeInstanceOf(ApiError)
    expect(err.status).toBe(400)
    expect(err.message).toBe('query.sort: must be popularity')
    expect(err.problem.request_id).toBe('r1')
  })

  it('says something useful when the body is not a problem', async () => {
    vi.stubGlobal('fetch', vi.fn(async () => new Response('upstream timeout', { status: 502, statusText: 'Bad Gateway' })))
    const err = (await api('/x').catch((e: unknown) => e)) as ApiError
    expect(err.status).toBe(502)
    expect(err.message).toBe('upstream timeout')
  })

  it('reports a network failure as status 0', async () => {
    vi.stubGlobal('fetch', vi.fn(async () => Promise.reject(new TypeError('Failed to fetch'))))
    const err = (await api('/x').catch((e: unknown) => e)) as ApiError
    expect(err).toBeInstanceOf(ApiError)
    expect(err.status).toBe(0)
    expect(err.message).toMatch(/could not be reached/)
  })

  it('sends the bearer token and JSON body', async () => {
    const calls = mockFetch(() => ({ status: 201, json: { id: 'p1' } }))
    await api('/api/v1/account/profiles', { method: 'POST', token: 'tok', body: { name: 'Kids' } })
    expect(calls[0].headers.Authorization).toBe('Bearer tok')
    expect(calls[0].headers['Content-Type']).toBe('application/json')
    expect(calls[0].body).toEqual({ name: 'Kids' })
  })

  it('query drops empty values', () => {
    expect(query({ q: 'god father', kind: '', year: undefined, limit: 5 })).toBe('?q=god+father&limit=5')
    expect(query({})).toBe('')
  })
})
