import { createContext, useCallback, useContext, useEffect, useMemo, useState, type ReactNode } from 'react'
import { accountAPI, type Account, type Profile } from '../api/account'
import { useSession } from './session'

// The signed-in account and its profiles ("who's watching"); the chosen
// profile is remembered per user in this browser.
export interface ProfilesState {
  account?: Account
  profiles: Profile[]
  current?: Profile
  loading: boolean
  error?: unknown
  select: (id: string) => void
  reload: () => Promise<void>
}

const ProfilesContext = createContext<ProfilesState>({
  profiles: [],
  loading: false,
  select: () => {},
  reload: async () => {},
})

export const useProfiles = () => useContext(ProfilesContext)

const key = (subject: string) => `cdlc.profile.${subject}`

export function ProfilesProvider({ children }: { children: ReactNode }) {
  const { signedIn, token, subject } = useSession()
  const [account, setAccount] = useState<Account>()
  const [loading, setLoading] = useState(false)
  const [error, setError] = useState<unknown>()
  const [currentId, setCurrentId] = useState<string | null>(null)

  const reload = useCallback(async () => {
    if (!token) return
    setLoading(true)
    try {
      const a = await accountAPI.get(token)
      setAccount(a)
      setError(undefined)
    } catch (e) {
      setError(e)
    } finally {
      setLoading(false)
    }
  }, [token])

  useEffect(() => {
    if (!signedIn || !token) {
      setAccount(undefined)
      setError(undefined)
      return
    }
    void reload()
    // Reload when the user changes, not on every silent token renewal.
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [signedIn, subject])

  useEffect(() => {
    if (!subject) return setCurrentId(null)
    try {
      setCurrentId(localStorage.getItem(key(subject)))
    } catch {
      setCurrentId(null)
    }
  }, [subject])

  const select = useCallback(
    (id: string) => {
      setCurrentId(id)
      if (subject) {
        try {
          localStorage.setItem(key(subject), id)
        } catch {
          /* remembered for this page only */
        }
      }
    },
    [subject],
  )

  const value = useMemo<ProfilesState>(() => {
    const profiles = account?.profiles ?? []
    const current = profiles.find((p) => p.id === currentId) ?? (profiles.length === 1 ? profiles[0] : undefined)
    return { account, profiles, current, loading, error, select, reload }
  }, [account, currentId, loading, error, select, reload])

  return <ProfilesContext.Provider value={value}>{children}</ProfilesContext.Provider>
}
