import { Box, Button, Checkbox, Heading, HStack, Input, Field, Stack, Text } from '@chakra-ui/react'
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query'
import { useState, type FormEvent } from 'react'
import { useParams } from 'react-router'
import { errorMessage } from '../../api/client'
import { ErrorState } from '../../components/ErrorState'
import { PageSkeleton } from '../../components/PageSkeleton'
import { useSession } from '../auth/session'
import { GENRES } from '../catalog/api'
import { accountAPI, accountKeys, accountQueries, type Maturity, type Preferences as Prefs } from './api'
import { MaturitySelect } from './MaturitySelect'
import { RequireSignIn } from './RequireSignIn'
import { useProfiles } from './useProfiles'

// What the form edits: the server's preferences with the lists present.
interface Form {
  favourite_genres: string[]
  languages: string[]
  maturity_rating?: Maturity
  notifications: Prefs['notifications']
}

const empty: Form = { favourite_genres: [], languages: [], notifications: { email: false, push: false, newsletter: false } }

const toForm = (p: Prefs): Form => ({
  favourite_genres: p.favourite_genres ?? [],
  languages: p.languages ?? [],
  maturity_rating: p.maturity_rating,
  notifications: { ...empty.notifications, ...p.notifications },
})

/** genreSlug is how the customer service stores a genre: lowercase (drama, sci-fi). */
export const genreSlug = (g: string) => g.toLowerCase()

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
  const { token, subject } = useSession()
  const query = useQuery({ ...accountQueries.preferences(subject ?? '', token ?? '', profileId), enabled: !!token })
  if (query.error) return <ErrorState error={query.error} onRetry={() => void query.refetch()} />
  if (!query.data) return <PageSkeleton />
  // The form starts from the first answer; a later read in the background
  // does not overwrite what the user is editing.
  return <PreferencesFields key={profileId} profileId={profileId} initial={toForm(query.data)} />
}

function PreferencesFields({ profileId, initial }: { profileId: string; initial: Form }) {
  const { token, subject } = useSession()
  const queryClient = useQueryClient()
  const [prefs, setPrefs] = useState<Form>(initial)
  const [languages, setLanguages] = useState(initial.languages.join(', '))
  const save = useMutation({
    mutationFn: (body: Form) => accountAPI.putPreferences(token!, profileId, body),
    onSuccess: (saved) => {
      if (saved) setPrefs(toForm(saved))
      queryClient.setQueryData(accountKeys.preferences(subject ?? '', profileId), saved)
    },
  })
  const status = save.isSuccess ? { ok: true, text: 'Preferences saved.' } : save.error ? { ok: false, text: errorMessage(save.error) } : undefined

  const toggleGenre = (g: string, on: boolean) =>
    setPrefs((p) => ({ ...p, favourite_genres: on ? [...p.favourite_genres, g] : p.favourite_genres.filter((x) => x !== g) }))

  const submit = (e: FormEvent) => {
    e.preventDefault()
    save.mutate({ ...prefs, languages: languages.split(',').map((l) => l.trim()).filter(Boolean) })
  }

  return (
    <Stack as="form" gap="6" onSubmit={submit} aria-label="Preferences">
      <Box as="fieldset">
        <Text as="legend" fontWeight="semibold" mb="2">
          Favourite genres
        </Text>
        <HStack wrap="wrap" gap="4">
          {GENRES.map((g) => (
            <Check key={g} checked={prefs.favourite_genres.includes(genreSlug(g))} onChange={(on) => toggleGenre(genreSlug(g), on)}>
              {g}
            </Check>
          ))}
        </HStack>
      </Box>
      <Field.Root>
        <Field.Label>Languages (comma-separated, e.g. en, fr)</Field.Label>
        <Input value={languages} onChange={(e) => setLanguages(e.target.value)} />
      </Field.Root>
      <MaturitySelect
        label="Maturity rating"
        width="12rem"
        value={prefs.maturity_rating}
        onChange={(m) => setPrefs((p) => ({ ...p, maturity_rating: m }))}
      />
      <Box as="fieldset">
        <Text as="legend" fontWeight="semibold" mb="2">
          Notifications
        </Text>
        <Stack>
          {(['email', 'push', 'newsletter'] as const).map((k) => (
            <Check key={k} checked={!!prefs.notifications[k]} onChange={(on) => setPrefs((p) => ({ ...p, notifications: { ...p.notifications, [k]: on } }))}>
              {k === 'email' ? 'E-mail' : k === 'push' ? 'Push notifications' : 'Newsletter'}
            </Check>
          ))}
        </Stack>
      </Box>
      {status && (
        <Text role={status.ok ? 'status' : 'alert'} color={status.ok ? 'feedback.success' : 'feedback.error'}>
          {status.text}
        </Text>
      )}
      <Box>
        <Button type="submit" colorPalette="brand" loading={save.isPending}>
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
