import { WebStorageStateStore, type UserManagerSettings } from 'oidc-client-ts'

// The platform's own provider is at the page's origin (the gateway routes
// /.well-known and /oauth2 to it); the app is its public client cdlc-web:
// authorization code + PKCE (S256, oidc-client-ts's default for code flow),
// refresh tokens (offline_access) for silent renewal, RP-initiated logout.
export const CLIENT_ID = 'cdlc-web'
export const SCOPE = 'openid profile email offline_access account'

export function oidcSettings(origin = window.location.origin): UserManagerSettings {
  return {
    authority: origin,
    client_id: CLIENT_ID,
    redirect_uri: `${origin}/auth/callback`,
    post_logout_redirect_uri: `${origin}/`,
    response_type: 'code',
    scope: SCOPE,
    // Renew with the refresh token shortly before the access token expires.
    automaticSilentRenew: true,
    // Keep the session across tabs and reloads.
    userStore: new WebStorageStateStore({ store: window.localStorage }),
    loadUserInfo: false,
  }
}
