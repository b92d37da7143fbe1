import { describe, expect, it, vi } from 'vitest'
import { ApiError, bearer, call, clean, client } from './client'
import { mockFetch } from '../test/render'

const title = (id: string) => call(client.GET('/api/v1/titles/{id}', { params: { path: { id } } }))

describe('call', () => {
  it('returns the JSON body', async () => {
    mockFetch(() => ({ json: { id: 'tt1' } }))
    await expect(title('tt1')).resolves.toEqual({ id: 'tt1' })
  })

  it('turns problem+json into an ApiError with the detail', async () => {
    mockFetch(() => ({ status: 400, json: { title: 'Bad Request', status: 400, detail: 'query.sort: must be popularity', request_id: 'r1' } }))
    const err = (await call(client.GET('/api/v1/discover/titles', { params: { query: { sort: 'x' } } })).catch((e: unknown) => e)) as ApiError
    expect(err).toBeInstanceOf(ApiError)
    expect(err.status).toBe(400)
    expect(err.message).toBe('query.sort: must be popularity')
    expect(err.problem.request_id).toBe('r1')
  })

  it('says something useful when the body is not a problem', async () => {
    vi.stubGlobal('fetch', vi.fn(async () => new Response('upstream timeout', { status: 502, statusText: 'Bad Gateway' })))
    const err = (await title('x').catch((e: unknown) => e)) as ApiError
    expect(err.status).toBe(502)
    expect(err.message).toBe('upstream timeout')
  })

  it('reports a network failure as status 0', async () => {
    vi.stubGlobal('fetch', vi.fn(async () => Promise.reject(new TypeError('Failed to fetch'))))
    const err = (await title('x').catch((e: unknown) => e)) as ApiError
    expect(err).toBeInstanceOf(ApiError)
    expect(err.status).toBe(0)
    expect(err.message).toMatch(/could not be reached/)
  })

  it('sends the bearer token and JSON body', async () => {
    const calls = mockFetch(() => ({ status: 201, json: { id: 'p1' } }))
    await call(client.POST('/api/v1/account/profiles', { headers: bearer('tok'), body: { name: 'Kids' } }))
    expect(calls[0].headers.Authorization).toBe('Bearer tok')
    expect(calls[0].headers['Content-Type']).toBe('application/json')
    expect(calls[0].body).toEqual({ name: 'Kids' })
  })

  it('answers nothing for 204', async () => {
    mockFetch(() => ({ status: 204 }))
    await expect(call(client.DELETE('/api/v1/account', { headers: bearer('tok') }))).resolves.toBeUndefined()
  })

  it('clean drops empty values', () => {
    expect(clean({ q: 'god father', kind: '', year: undefined, limit: 5 })).toEqual({ q: 'god father', limit: 5 })
    expect(clean({})).toEqual({})
  })
})
