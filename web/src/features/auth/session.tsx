import { createContext, useContext } from 'react'

// Session is what the app needs of sign-in, whatever provides it: the OIDC
// client in the browser (OidcSession), a plain value in tests.
export interface Session {
  /** Whether the OIDC client has read its stored user yet. */
  ready: boolean
  signedIn: boolean
  /** The current access token, renewed in the background. */
  token?: string
  subject?: string
  name?: string
  email?: string
  /** The last sign-in error, if any (e.g. the provider is not reachable). */
  error?: string
  signIn: (returnTo?: string) => Promise<void>
  signUp: (returnTo?: string) => Promise<void>
  signOut: () => Promise<void>
}

const signedOut: Session = {
  ready: true,
  signedIn: false,
  signIn: async () => {},
  signUp: async () => {},
  signOut: async () => {},
}

export const SessionContext = createContext<Session>(signedOut)

export function useSession(): Session {
  return useContext(SessionContext)
}
