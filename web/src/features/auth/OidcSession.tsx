import { useMemo, useState, type ReactNode } from 'react'
import { AuthProvider, useAuth } from 'react-oidc-context'
import type { User } from 'oidc-client-ts'
import { oidcSettings } from './oidc'
import { SessionContext, type Session } from './session'

// After the provider redirects back to /auth/callback, the library has
// exchanged the code; drop code and state from the address and go back to
// where the user was.
function onSigninCallback(user: User | void) {
  const state = (user && (user.state as { returnTo?: string } | undefined)) || undefined
  const to = state?.returnTo && state.returnTo.startsWith('/') ? state.returnTo : '/'
  window.history.replaceState({}, document.title, to)
  window.dispatchEvent(new PopStateEvent('popstate'))
}

function Bridge({ children }: { children: ReactNode }) {
  const auth = useAuth()
  const [error, setError] = useState<string>()
  const session = useMemo<Session>(() => {
    const profile = auth.user?.profile
    const here = () => window.location.pathname + window.location.search
    const fail = (what: string) => (e: unknown) => {
      setError(`${what} is not available right now: ${(e as Error)?.message ?? e}`)
    }
    return {
      ready: !auth.isLoading,
      signedIn: auth.isAuthenticated,
      token: auth.user?.access_token,
      subject: profile?.sub,
      name: profile?.name || profile?.preferred_username,
      email: profile?.email,
      error: error ?? (auth.error ? auth.error.message : undefined),
      signIn: (returnTo = here()) => {
        setError(undefined)
        return auth.signinRedirect({ state: { returnTo } }).catch(fail('Sign-in'))
      },
      // prompt=create (OpenID Connect Prompt Create) asks the provider for
      // its sign-up page instead of the sign-in page.
      signUp: (returnTo = here()) => {
        setError(undefined)
        return auth.signinRedirect({ state: { returnTo }, prompt: 'create' }).catch(fail('Sign-up'))
      },
      signOut: async () => {
        try {
          await auth.signoutRedirect()
        } catch {
          // No end_session endpoint reachable: forget the tokens here at least.
          await auth.removeUser()
        }
      },
    }
  }, [auth, error])
  return <SessionContext.Provider value={session}>{children}</SessionContext.Provider>
}

export default function OidcSession({ children }: { children: ReactNode }) {
  const settings = useMemo(() => oidcSettings(), [])
  return (
    <AuthProvider {...settings} onSigninCallback={onSigninCallback}>
      <Bridge>{children}</Bridge>
    </AuthProvider>
  )
}
