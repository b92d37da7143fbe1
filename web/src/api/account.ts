// The customer service: the signed-in user's account, profiles and their
// preferences. Every call carries the user's access token (scope account).
import { api } from './client'

export interface Profile {
  id: string
  name: string
  avatar?: string
  language?: string
  kids: boolean
  maturity_limit?: string
  created_at?: string
}

export interface Account {
  subject: string
  created_at: string
  profiles: Profile[]
}

export interface Preferences {
  favourite_genres: string[]
  languages: string[]
  maturity_rating?: string
  notifications: { email: boolean; push: boolean; newsletter: boolean }
}

export type ProfileInput = Partial<Omit<Profile, 'id' | 'created_at'>>

export const MAX_PROFILES = 5

const p = (id: string) => `/api/v1/account/profiles/${encodeURIComponent(id)}`

export const accountAPI = {
  get: (token: string, signal?: AbortSignal) => api<Account>('/api/v1/account', { token, signal }),
  remove: (token: string) => api<void>('/api/v1/account', { method: 'DELETE', token }),
  listProfiles: (token: string) => api<{ profiles: Profile[] } | Profile[]>('/api/v1/account/profiles', { token }),
  createProfile: (token: string, body: ProfileInput) =>
    api<Profile>('/api/v1/account/profiles', { method: 'POST', token, body }),
  updateProfile: (token: string, id: string, body: ProfileInput) =>
    api<Profile>(p(id), { method: 'PATCH', token, body }),
  deleteProfile: (token: string, id: string) => api<void>(p(id), { method: 'DELETE', token }),
  getPreferences: (token: string, id: string, signal?: AbortSignal) =>
    api<Preferences>(`${p(id)}/preferences`, { token, signal }),
  putPreferences: (token: string, id: string, body: Preferences) =>
    api<Preferences>(`${p(id)}/preferences`, { method: 'PUT', token, body }),
}

// A profile's avatar is a colour the app draws with the profile's initials.
export const AVATARS = ['red', 'blue', 'green', 'purple', 'orange', 'teal', 'pink', 'cyan']
export const MATURITY = ['G', 'PG', 'PG-13', 'R', 'NC-17']
