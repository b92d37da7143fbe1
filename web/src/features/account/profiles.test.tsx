import { screen, waitFor, within } from '@testing-library/react'
import userEvent from '@testing-library/user-event'
import { describe, expect, it } from 'vitest'
import ManageProfiles from './ManageProfiles'
import WhoIsWatching from './WhoIsWatching'
import { PreferencesForm } from './Preferences'
import { mockFetch, renderAt, session, type Call } from '../../test/render'
import { oidcSettings, CLIENT_ID } from '../auth/oidc'

const signedIn = session({ signedIn: true, token: 'access-1', subject: 'user-1', name: 'Ada' })

// A customer service to the contract, behind mocked fetch: the account is
// created on first use; profiles get ids.
function customerService() {
  const profiles: Record<string, unknown>[] = [{ id: 'p1', name: 'Ada', kids: false, created_at: '2026-01-01T00:00:00Z' }]
  // The service stores genres as lowercase slugs (customer.cleanGenre).
  let prefs = { favourite_genres: ['drama'], languages: ['en'], maturity_rating: '18', notifications: { email: true, push: false, newsletter: false } }
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

  it('offers the maturity levels and avatars the service accepts', async () => {
    const svc = customerService()
    renderAt(<ManageProfiles />, { sess: signedIn })
    await userEvent.click(await screen.findByRole('button', { name: 'Add a profile' }))
    const form = screen.getByRole('form', { name: 'Create profile' })
    const levels = within(form).getByLabelText('Maturity limit')
    expect([...levels.querySelectorAll('option')].map((o) => o.value)).toEqual(['', 'all', '7', '12', '16', '18'])
    const avatars = within(form).getAllByRole('button', { name: / avatar$/ }).map((b) => b.getAttribute('aria-label'))
    expect(avatars).toContain('dinosaur avatar')
    expect(avatars).not.toContain('cyan avatar')
    await userEvent.type(within(form).getByLabelText(/Name/), 'Teen')
    await userEvent.selectOptions(levels, '12+')
    await userEvent.click(within(form).getByRole('button', { name: 'teal avatar' }))
    await userEvent.click(within(form).getByRole('button', { name: 'Create profile' }))
    await waitFor(() => expect(screen.getAllByTestId('profile-row')).toHaveLength(2))
    expect(svc.calls.find((c) => c.method === 'POST')!.body).toMatchObject({ name: 'Teen', maturity_limit: '12', avatar: 'teal' })
    expect(screen.getAllByTestId('profile-row')[1]).toHaveTextContent('Up to 12+')
  })

  it('asks in a dialog before deleting a profile', async () => {
    const svc = customerService()
    svc.profiles.push({ id: 'p2', name: 'Kids', kids: true })
    renderAt(<ManageProfiles />, { sess: signedIn })
    await userEvent.click(await screen.findByRole('button', { name: 'Delete Kids' }))
    const dialog = await screen.findByRole('alertdialog')
    expect(dialog).toHaveTextContent('Delete the profile “Kids”?')
    await userEvent.click(within(dialog).getByRole('button', { name: 'Cancel' }))
    await waitFor(() => expect(screen.queryByRole('alertdialog')).not.toBeInTheDocument())
    expect(svc.calls.filter((c) => c.method === 'DELETE')).toHaveLength(0)
    await userEvent.click(screen.getByRole('button', { name: 'Delete Kids' }))
    await userEvent.click(within(await screen.findByRole('alertdialog')).getByRole('button', { name: 'Delete profile' }))
    await waitFor(() => expect(screen.getAllByTestId('profile-row')).toHaveLength(1))
    expect(svc.calls.find((c) => c.method === 'DELETE')!.url).toBe('/api/v1/account/profiles/p2')
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
    expect(svc.prefs()).toMatchObject({ favourite_genres: ['drama', 'comedy'], languages: ['en'], notifications: { email: true, newsletter: true } })
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
