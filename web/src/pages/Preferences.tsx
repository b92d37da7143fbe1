import { Box, Button, Checkbox, Heading, HStack, Input, Field, Stack, Text, NativeSelect } from '@chakra-ui/react'
import { useEffect, useState, type FormEvent } from 'react'
import { useParams } from 'react-router'
import { accountAPI, MATURITY, type Preferences as Prefs } from '../api/account'
import { GENRES } from '../api/catalog'
import { errorMessage } from '../api/client'
import { useSession } from '../auth/session'
import { useProfiles } from '../auth/profiles'
import { useAsync } from '../hooks/useAsync'
import { ErrorState } from '../components/ErrorState'
import { PageSkeleton } from '../components/PageSkeleton'
import { RequireSignIn } from '../components/RequireSignIn'

const empty: Prefs = { favourite_genres: [], languages: [], notifications: { email: false, push: false, newsletter: false } }

function Check({ checked, onChange, children }: { checked: boolean; onChange: (v: boolean) => void; children: string }) {
  return (
    <Checkbox.Root checked={checked} onCheckedChange={(d) => onChange(d.checked === true)} size="sm">
      <Checkbox.HiddenInput />
      <Checkbox.Control />
      <Checkbox.Label>{children}</Checkbox.Label>
    </Checkbox.Root>
  )
}

export function PreferencesForm({ profileId }: { profileId: string }) {
  const { token } = useSession()
  const { data, error, loading, reload } = useAsync((s) => accountAPI.getPreferences(token!, profileId, s), [profileId, !!token])
  const [prefs, setPrefs] = useState<Prefs>(empty)
  const [languages, setLanguages] = useState('')
  const [status, setStatus] = useState<{ ok: boolean; text: string }>()
  const [busy, setBusy] = useState(false)
  useEffect(() => {
    if (data) {
      setPrefs({ ...empty, ...data, notifications: { ...empty.notifications, ...data.notifications } })
      setLanguages((data.languages ?? []).join(', '))
    }
  }, [data])

  if (error) return <ErrorState error={error} onRetry={reload} />
  if (loading && !data) return <PageSkeleton />

  const toggleGenre = (g: string, on: boolean) =>
    setPrefs((p) => ({ ...p, favourite_genres: on ? [...p.favourite_genres, g] : p.favourite_genres.filter((x) => x !== g) }))

  const submit = async (e: FormEvent) => {
    e.preventDefault()
    setBusy(true)
    try {
      const body = { ...prefs, languages: languages.split(',').map((l) => l.trim()).filter(Boolean) }
      const saved = await accountAPI.putPreferences(token!, profileId, body)
      if (saved) setPrefs({ ...empty, ...saved })
      setStatus({ ok: true, text: 'Preferences saved.' })
    } catch (err) {
      setStatus({ ok: false, text: errorMessage(err) })
    } finally {
      setBusy(false)
    }
  }

  return (
    <Stack as="form" gap="6" onSubmit={submit} aria-label="Preferences">
      <Box as="fieldset">
        <Text as="legend" fontWeight="semibold" mb="2">
          Favourite genres
        </Text>
        <HStack wrap="wrap" gap="4">
          {GENRES.map((g) => (
            <Check key={g} checked={prefs.favourite_genres.includes(g)} onChange={(on) => toggleGenre(g, on)}>
              {g}
            </Check>
          ))}
        </HStack>
      </Box>
      <Field.Root>
        <Field.Label>Languages (comma-separated, e.g. en, fr)</Field.Label>
        <Input value={languages} onChange={(e) => setLanguages(e.target.value)} />
      </Field.Root>
      <Field.Root width="auto">
        <Field.Label>Maturity rating</Field.Label>
        <NativeSelect.Root width="12rem">
          <NativeSelect.Field value={prefs.maturity_rating ?? ''} onChange={(e) => setPrefs((p) => ({ ...p, maturity_rating: e.currentTarget.value || undefined }))}>
            <option value="">No limit</option>
            {MATURITY.map((m) => (
              <option key={m} value={m}>
                {m}
              </option>
            ))}
          </NativeSelect.Field>
          <NativeSelect.Indicator />
        </NativeSelect.Root>
      </Field.Root>
      <Box as="fieldset">
        <Text as="legend" fontWeight="semibold" mb="2">
          Notifications
        </Text>
        <Stack>
          {(['email', 'push', 'newsletter'] as const).map((k) => (
            <Check key={k} checked={prefs.notifications[k]} onChange={(on) => setPrefs((p) => ({ ...p, notifications: { ...p.notifications, [k]: on } }))}>
              {k === 'email' ? 'E-mail' : k === 'push' ? 'Push notifications' : 'Newsletter'}
            </Check>
          ))}
        </Stack>
      </Box>
      {status && (
        <Text role={status.ok ? 'status' : 'alert'} color={status.ok ? { base: 'green.700', _dark: 'green.300' } : { base: 'red.700', _dark: 'red.300' }}>
          {status.text}
        </Text>
      )}
      <Box>
        <Button type="submit" colorPalette="red" loading={busy}>
          Save preferences
        </Button>
      </Box>
    </Stack>
  )
}

export default function Preferences() {
  const { id = '' } = useParams()
  return (
    <RequireSignIn what="your preferences">
      <PrefsPage id={id} />
    </RequireSignIn>
  )
}

function PrefsPage({ id }: { id: string }) {
  const { profiles } = useProfiles()
  const p = profiles.find((x) => x.id === id)
  return (
    <Box maxW="3xl">
      <Heading as="h1" size="2xl" mb="4">
        Preferences{p ? ` for ${p.name}` : ''}
      </Heading>
      <PreferencesForm profileId={id} />
    </Box>
  )
}
