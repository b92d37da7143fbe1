import { screen, waitFor } from '@testing-library/react'
import userEvent from '@testing-library/user-event'
import { describe, expect, it } from 'vitest'
import { AccountMenu } from './AccountMenu'
import { mockFetch, renderAt, session } from '../../test/render'

describe('AccountMenu', () => {
  it('offers sign-in and sign-up when signed out', async () => {
    const s = session()
    renderAt(<AccountMenu />, { sess: s })
    // hidden: jsdom evaluates no media query, so the phone layout (which
    // hides Sign up in the header) is what it renders.
    await userEvent.click(screen.getByText('Sign up'))
    expect(s.signUp).toHaveBeenCalled()
    await userEvent.click(screen.getByRole('button', { name: 'Sign in' }))
    expect(s.signIn).toHaveBeenCalled()
  })

  it('switches profiles', async () => {
    mockFetch((c) =>
      c.url === '/api/v1/account'
        ? { json: { subject: 'u1', created_at: '2026-01-01T00:00:00Z', profiles: [{ id: 'p1', name: 'Ada', kids: false }, { id: 'p2', name: 'Little Ones', kids: true }] } }
        : undefined,
    )
    localStorage.setItem('cdlc.profile.u1', 'p1')
    const s = session({ signedIn: true, token: 't', subject: 'u1', name: 'Ada Lovelace' })
    renderAt(<AccountMenu />, { sess: s })
    const trigger = await screen.findByRole('button', { name: 'Account menu (Ada)' })
    await userEvent.click(trigger)
    await userEvent.click(await screen.findByRole('menuitem', { name: /Little Ones/ }))
    await waitFor(() => expect(screen.getByRole('button', { name: 'Account menu (Little Ones)' })).toBeInTheDocument())
    expect(localStorage.getItem('cdlc.profile.u1')).toBe('p2')
  })
})
