import { screen, waitFor } from '@testing-library/react'
import userEvent from '@testing-library/user-event'
import { describe, expect, it } from 'vitest'
import { AccountMenu } from './AccountMenu'
import { mockFetch, renderAt, session } from '../../test/render'

// In a file of its own: the menu machine keeps module state between renders
// in jsdom, so a second menu in the same file does not select.
describe('AccountMenu sign-out', () => {
  it('signs out from the menu', async () => {
    mockFetch(() => ({ json: { subject: 'u1', created_at: '2026-01-01T00:00:00Z', profiles: [{ id: 'p1', name: 'Ada', kids: false }] } }))
    const s = session({ signedIn: true, token: 't', subject: 'u1', name: 'Ada Lovelace' })
    renderAt(<AccountMenu />, { sess: s })
    await userEvent.click(await screen.findByRole('button', { name: 'Account menu (Ada)' }))
    await userEvent.click(await screen.findByRole('menuitem', { name: 'Sign out' }))
    await waitFor(() => expect(s.signOut).toHaveBeenCalled())
  })
})
