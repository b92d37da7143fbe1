import { render, screen } from '@testing-library/react'
import userEvent from '@testing-library/user-event'
import { beforeEach, describe, expect, it, vi } from 'vitest'
import { useSession } from './session'

// The bridge from react-oidc-context to the app's Session, with the OIDC
// library's hook replaced by a stub.
const auth = {
  isLoading: false,
  isAuthenticated: false,
  activeNavigator: undefined as string | undefined,
  user: undefined as undefined | { access_token: string; profile: Record<string, string> },
  error: undefined as Error | undefined,
  signinRedirect: vi.fn(async (_args?: unknown) => {}),
  signoutRedirect: vi.fn(async () => {}),
  removeUser: vi.fn(async () => {}),
}
vi.mock('react-oidc-context', () => ({
  AuthProvider: ({ children }: { children: unknown }) => children,
  useAuth: () => auth,
}))

const { default: OidcSession } = await import('./OidcSession')

function Probe() {
  const s = useSession()
  return (
    <div>
      <p data-testid="state">{s.signedIn ? `in:${s.subject}:${s.token}:${s.name}` : 'out'}</p>
      {s.error && <p role="alert">{s.error}</p>}
      <button onClick={() => s.signIn('/title/tt1')}>in</button>
      <button onClick={() => s.signUp()}>up</button>
      <button onClick={() => s.signOut()}>out</button>
    </div>
  )
}

describe('OidcSession', () => {
  beforeEach(() => {
    auth.isAuthenticated = false
    auth.user = undefined
    auth.signinRedirect.mockReset().mockResolvedValue(undefined)
    auth.signoutRedirect.mockReset().mockResolvedValue(undefined)
    auth.removeUser.mockReset().mockResolvedValue(undefined)
  })

  it('signs in with the code flow, remembering where the user was', async () => {
    render(<OidcSession><Probe /></OidcSession>)
    expect(screen.getByTestId('state')).toHaveTextContent('out')
    await userEvent.click(screen.getByText('in'))
    expect(auth.signinRedirect).toHaveBeenCalledWith({ state: { returnTo: '/title/tt1' } })
  })

  it('signs up by asking the provider for its registration page (prompt=create)', async () => {
    render(<OidcSession><Probe /></OidcSession>)
    await userEvent.click(screen.getByText('up'))
    expect(auth.signinRedirect).toHaveBeenCalledWith(expect.objectContaining({ prompt: 'create' }))
  })

  it('exposes the user and token; sign-out falls back to forgetting the tokens', async () => {
    auth.isAuthenticated = true
    auth.user = { access_token: 'at-1', profile: { sub: 'u1', name: 'Ada' } }
    auth.signoutRedirect.mockRejectedValue(new Error('no end_session_endpoint'))
    render(<OidcSession><Probe /></OidcSession>)
    expect(screen.getByTestId('state')).toHaveTextContent('in:u1:at-1:Ada')
    await userEvent.click(screen.getByText('out'))
    expect(auth.signoutRedirect).toHaveBeenCalled()
    expect(auth.removeUser).toHaveBeenCalled()
  })

  it('says so when the provider cannot be reached', async () => {
    auth.signinRedirect.mockRejectedValue(new Error('Failed to fetch /.well-known/openid-configuration'))
    render(<OidcSession><Probe /></OidcSession>)
    await userEvent.click(screen.getByText('in'))
    expect(await screen.findByRole('alert')).toHaveTextContent('Sign-in is not available right now: Failed to fetch')
  })
})
