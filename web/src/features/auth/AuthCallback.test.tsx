import { screen } from '@testing-library/react'
import { describe, expect, it } from 'vitest'
import AuthCallback from './AuthCallback'
import { renderAt } from '../../test/render'

describe('AuthCallback', () => {
  it('shows the provider’s error', () => {
    window.history.replaceState({}, '', '/auth/callback?error=access_denied&error_description=The+user+said+no')
    renderAt(<AuthCallback />, { at: '/auth/callback' })
    expect(screen.getByRole('alert')).toHaveTextContent('The user said no')
    expect(screen.getByRole('heading', { level: 1 })).toHaveTextContent('Sign-in did not complete')
  })

  it('waits while the code is exchanged', () => {
    window.history.replaceState({}, '', '/auth/callback?code=abc&state=xyz')
    renderAt(<AuthCallback />, { at: '/auth/callback' })
    expect(screen.getByRole('status')).toHaveTextContent('Signing you in')
  })

  it('goes home when there is nothing to finish', () => {
    window.history.replaceState({}, '', '/auth/callback')
    renderAt(<AuthCallback />, { at: '/auth/callback' })
    expect(screen.getByTestId('location')).toHaveTextContent(/^\/$/)
  })
})
