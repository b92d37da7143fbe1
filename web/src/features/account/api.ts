// The customer service: the signed-in user's account, profiles and their
// preferences. Every call carries the user's access token (scope account).
import { queryOptions } from '@tanstack/react-query'
import { bearer, call, client, type Schemas } from '../../api/client'

export type Account = Schemas['CustomerAccount']
export type Profile = Schemas['CustomerProfile']
export type ProfileInput = Schemas['CustomerProfileInput']
export type Preferences = Schemas['CustomerPreferences']
export type PreferencesInput = Schemas['CustomerPreferencesInput']
/** Maturity is a certification level the service knows (all, 7, 12, 16, 18). */
export type Maturity = NonNullable<ProfileInput['maturity_limit']>
/** AvatarPreset is a preset avatar key the service accepts. */
export type AvatarPreset = Schemas['CustomerAvatarPreset']

export const MAX_PROFILES = 5

// Every level, lowest first, with what a person reads. `satisfies` makes
// the compiler check the list against the server's enum both ways.
const maturityLabels = {
  all: 'All ages',
  '7': '7+',
  '12': '12+',
  '16': '16+',
  '18': '18+',
} as const satisfies Record<Maturity, string>

// In order, lowest first (Object.keys would put the numbers before "all").
export const MATURITY: Maturity[] = ['all', '7', '12', '16', '18']
export const maturityLabel = (m: string) => maturityLabels[m as Maturity] ?? m

/**
 * The preset avatars: the colour presets are drawn in their colour with the
 * profile's initials, the picture presets as their picture. Checked against
 * the server's enum both ways (every preset must be here, and a key the
 * enum lacks, such as cyan, does not compile), so a preset the service
 * refuses cannot be offered.
 */
export const AVATARS: Record<AvatarPreset, { palette: string; picture?: string }> = {
  red: { palette: 'red' },
  blue: { palette: 'blue' },
  green: { palette: 'green' },
  yellow: { palette: 'yellow' },
  purple: { palette: 'purple' },
  orange: { palette: 'orange' },
  teal: { palette: 'teal' },
  pink: { palette: 'pink' },
  robot: { palette: 'gray', picture: '🤖' },
  dinosaur: { palette: 'green', picture: '🦕' },
  rocket: { palette: 'blue', picture: '🚀' },
  unicorn: { palette: 'purple', picture: '🦄' },
}

export const AVATAR_PRESETS = Object.keys(AVATARS) as AvatarPreset[]

export const isAvatarPreset = (a: string | undefined): a is AvatarPreset => !!a && a in AVATARS

const auth = (token: string) => ({ headers: bearer(token) })
const pathOf = (id: string) => ({ path: { id } })

export const accountAPI = {
  get: (token: string, signal?: AbortSignal) => call(client.GET('/api/v1/account', { ...auth(token), signal })),
  remove: (token: string) => call(client.DELETE('/api/v1/account', auth(token))),
  export: (token: string) => call(client.GET('/api/v1/account/export', auth(token))),
  createProfile: (token: string, body: ProfileInput) => call(client.POST('/api/v1/account/profiles', { ...auth(token), body })),
  updateProfile: (token: string, id: string, body: ProfileInput) =>
    call(client.PATCH('/api/v1/account/profiles/{id}', { ...auth(token), params: pathOf(id), body })),
  deleteProfile: (token: string, id: string) => call(client.DELETE('/api/v1/account/profiles/{id}', { ...auth(token), params: pathOf(id) })),
  getPreferences: (token: string, id: string, signal?: AbortSignal) =>
    call(client.GET('/api/v1/account/profiles/{id}/preferences', { ...auth(token), params: pathOf(id), signal })),
  putPreferences: (token: string, id: string, body: PreferencesInput) =>
    call(client.PUT('/api/v1/account/profiles/{id}/preferences', { ...auth(token), params: pathOf(id), body })),
}

// The account, and everything under it, is keyed by the user's subject:
// one user's data is never shown to the next who signs in on this browser.
export const accountKeys = {
  all: (subject: string) => ['account', subject] as const,
  preferences: (subject: string, profile: string) => ['account', subject, 'preferences', profile] as const,
}

/** How often the account is read again while the app is open: profiles changed on another device show up. */
export const ACCOUNT_POLL_MS = 60_000

export const accountQueries = {
  account: (subject: string, token: string) =>
    queryOptions({
      queryKey: accountKeys.all(subject),
      queryFn: ({ signal }) => accountAPI.get(token, signal),
      refetchInterval: ACCOUNT_POLL_MS,
    }),
  preferences: (subject: string, token: string, profile: string) =>
    queryOptions({
      queryKey: accountKeys.preferences(subject, profile),
      queryFn: ({ signal }) => accountAPI.getPreferences(token, profile, signal),
    }),
}
