import { useQuery, useQueryClient } from '@tanstack/react-query'
import { useCallback, useSyncExternalStore } from 'react'
import { useSession } from '../auth/session'
import { accountKeys, accountQueries, type Account, type Profile } from './api'

// The chosen profile ("who's watching") is remembered per user in this
// browser; the components that show it read it through one store, so a
// switch in the menu shows everywhere at once.
const key = (subject: string) => `cdlc.profile.${subject}`
const listeners = new Set<() => void>()
const memory = new Map<string, string>()

function readChoice(subject: string | undefined): string | null {
  if (!subject) return null
  try {
    return localStorage.getItem(key(subject)) ?? memory.get(subject) ?? null
  } catch {
    return memory.get(subject) ?? null
  }
}

function writeChoice(subject: string, id: string) {
  memory.set(subject, id)
  try {
    localStorage.setItem(key(subject), id)
  } catch {
    /* remembered for this page only */
  }
  listeners.forEach((l) => l())
}

function subscribe(l: () => void) {
  listeners.add(l)
  return () => {
    listeners.delete(l)
  }
}

export interface Profiles {
  account?: Account
  profiles: Profile[]
  current?: Profile
  loading: boolean
  error: unknown
  select: (id: string) => void
  reload: () => Promise<unknown>
}

/**
 * useProfiles is the signed-in account and its profiles (TanStack Query:
 * cached, shared, read again in the background), and the chosen profile.
 */
export function useProfiles(): Profiles {
  const { signedIn, token, subject } = useSession()
  const enabled = signedIn && !!token && !!subject
  const q = useQuery({ ...accountQueries.account(subject ?? '', token ?? ''), enabled })
  const currentId = useSyncExternalStore(subscribe, () => readChoice(subject), () => null)
  const select = useCallback((id: string) => subject && writeChoice(subject, id), [subject])
  const queryClient = useQueryClient()
  const reload = useCallback(() => queryClient.invalidateQueries({ queryKey: accountKeys.all(subject ?? '') }), [queryClient, subject])
  const account = enabled ? q.data : undefined
  const profiles = account?.profiles ?? []
  const current = profiles.find((p) => p.id === currentId) ?? (profiles.length === 1 ? profiles[0] : undefined)
  return { account, profiles, current, loading: enabled && q.isPending, error: enabled ? q.error : null, select, reload }
}
