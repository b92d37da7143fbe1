import { screen, waitFor, within } from '@testing-library/react'
import userEvent from '@testing-library/user-event'
import { describe, expect, it } from 'vitest'
import ManageProfiles from '../pages/ManageProfiles'
import WhoIsWatching from '../pages/WhoIsWatching'
import { PreferencesForm } from '../pages/Preferences'
import { mockFetch, renderAt, session, type Call } from '../test/render'
import { oidcSettings, CLIENT_ID } from './oidc'

const signedIn = session({ signedIn: true, token: 'access-1', subject: 'user-1', name: 'Ada' })

// A customer service to the contract, behind mocked fetch: the account is
// created on first use; profiles get ids.
function customerService() {
  const profiles: Record<string, unknown>[] = [{ id: 'p1', name: 'Ada', kids: false, created_at: '2026-01-01T00:00:00Z' }]
  let prefs = { favourite_genres: ['Drama'], languages: ['en'], notifications: { email: true, push: false, newsletter: false } }
  const calls = mockFetch((c: Call) => {
    if (c.headers.Authorization !== 'Bearer access-1') return { status: 401, json: { status: 401, detail: 'missing token' } }
    if (c.url === '/api/v1/account' && c.method === 'GET') return { json: { subject: 'user-1', created_at: '2026-01-01T00:00:00Z', profiles } }
    if (c.url === '/api/v1/account/profiles' && c.method === 'POST') {
      const p = { id: `p${profiles.length + 1}`, created_at: '2026-01-02T00:00:00Z', ...(c.body as object) }
      profiles.push(p)
      return { status: 201, json: p }
    }
    const m = c.url.match(/^\/api\/v1\/account\/profiles\/(\w+)(\/preferences)?$/)
    if (m && m[2] && c.method === 'GET') return { json: prefs }
    if (m && m[2] && c.method === 'PUT') {
      prefs = c.body as typeof prefs
      return { json: prefs }
    }
    if (m && c.method === 'DELETE') {
      profiles.splice(profiles.findIndex((p) => p.id === m[1]), 1)
      return { status: 204 }
    }
    return undefined
  })
  return { calls, profiles, prefs: () => prefs }
}

describe('profiles', () => {
  it('asks a signed-out visitor to sign in', async () => {
    const s = session()
    renderAt(<ManageProfiles />, { sess: s })
    await userEvent.click(screen.getByRole('button', { name: 'Sign in' }))
    expect(s.signIn).toHaveBeenCalled()
  })

  it('creates a kids profile with the access token, then lists it', async () => {
    const svc = customerService()
    renderAt(<ManageProfiles />, { sess: signedIn })
    expect(await screen.findAllByTestId('profile-row')).toHaveLength(1)
    await userEvent.click(screen.getByRole('button', { name: 'Add a profile' }))
    const form = screen.getByRole('form', { name: 'Create profile' })
    await userEvent.type(within(form).getByLabelText(/Name/), 'Little Ones')
    await userEvent.click(within(form).getByText(/Kids profile/))
    await userEvent.click(within(form).getByRole('button', { name: 'Create profile' }))
    await waitFor(() => expect(screen.getAllByTestId('profile-row')).toHaveLength(2))
    const post = svc.calls.find((c) => c.method === 'POST')!
    expect(post.headers.Authorization).toBe('Bearer access-1')
    expect(post.body).toMatchObject({ name: 'Little Ones', kids: true })
    expect(screen.getAllByTestId('profile-row')[1]).toHaveTextContent('Kids')
  })

  it('shows the service’s problem detail when a write fails', async () => {
    customerService()
    mockFetch((c) =>
      c.method === 'POST'
        ? { status: 409, json: { status: 409, detail: 'an account has at most 5 profiles' } }
        : { json: { subject: 'user-1', created_at: '2026-01-01T00:00:00Z', profiles: [] } },
    )
    renderAt(<ManageProfiles />, { sess: signedIn })
    await userEvent.click(await screen.findByRole('button', { name: 'Add a profile' }))
    await userEvent.type(screen.getByLabelText(/Name/), 'Sixth')
    await userEvent.click(screen.getByRole('button', { name: 'Create profile' }))
    expect(await screen.findByRole('alert')).toHaveTextContent('an account has at most 5 profiles')
  })

  it("who's watching remembers the chosen profile per user", async () => {
    const svc = customerService()
    svc.profiles.push({ id: 'p2', name: 'Kids', kids: true })
    renderAt(<WhoIsWatching />, { sess: signedIn })
    await userEvent.click(await screen.findByRole('button', { name: /Kids/ }))
    expect(localStorage.getItem('cdlc.profile.user-1')).toBe('p2')
    expect(screen.getByTestId('location')).toHaveTextContent(/^\/$/)
  })

  it('edits preferences and saves them with PUT', async () => {
    const svc = customerService()
    renderAt(<PreferencesForm profileId="p1" />, { sess: signedIn })
    const drama = await screen.findByRole('checkbox', { name: 'Drama' })
    await waitFor(() => expect(drama).toBeChecked())
    await userEvent.click(screen.getByText('Comedy'))
    await userEvent.click(screen.getByText('Newsletter'))
    await userEvent.click(screen.getByRole('button', { name: 'Save preferences' }))
    expect(await screen.findByRole('status')).toHaveTextContent('Preferences saved.')
    expect(svc.prefs()).toMatchObject({ favourite_genres: ['Drama', 'Comedy'], languages: ['en'], notifications: { email: true, newsletter: true } })
  })
})

describe('oidc settings', () => {
  it('is the cdlc-web public client at the page origin, code flow with refresh tokens', () => {
    const s = oidcSettings('https://cdlc.example')
    expect(s.client_id).toBe(CLIENT_ID)
    expect(s.client_id).toBe('cdlc-web')
    expect(s.authority).toBe('https://cdlc.example')
    expect(s.redirect_uri).toBe('https://cdlc.example/auth/callback')
    expect(s.post_logout_redirect_uri).toBe('https://cdlc.example/')
    expect(s.response_type).toBe('code')
    expect(s.scope!.split(' ')).toEqual(expect.arrayContaining(['openid', 'offline_access', 'account']))
    expect(s.automaticSilentRenew).toBe(true)
  })
})
