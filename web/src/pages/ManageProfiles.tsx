import { Box, Button, Checkbox, Field, Flex, Heading, HStack, Input, NativeSelect, Stack, Text } from '@chakra-ui/react'
import { useState, type FormEvent } from 'react'
import { Link as RouterLink } from 'react-router'
import { accountAPI, AVATARS, MATURITY, MAX_PROFILES, type Profile, type ProfileInput } from '../api/account'
import { errorMessage } from '../api/client'
import { useSession } from '../auth/session'
import { useProfiles } from '../auth/profiles'
import { ProfileAvatar } from '../components/ProfileAvatar'
import { RequireSignIn } from '../components/RequireSignIn'

export function ProfileForm({ initial, onSave, onCancel, submitLabel }: { initial?: Profile; onSave: (p: ProfileInput) => Promise<void>; onCancel: () => void; submitLabel: string }) {
  const [name, setName] = useState(initial?.name ?? '')
  const [avatar, setAvatar] = useState(initial?.avatar ?? AVATARS[0])
  const [kids, setKids] = useState(initial?.kids ?? false)
  const [maturity, setMaturity] = useState(initial?.maturity_limit ?? '')
  const [language, setLanguage] = useState(initial?.language ?? 'en')
  const [error, setError] = useState<string>()
  const [busy, setBusy] = useState(false)

  const submit = async (e: FormEvent) => {
    e.preventDefault()
    if (!name.trim()) return setError('A profile needs a name.')
    setBusy(true)
    setError(undefined)
    try {
      await onSave({ name: name.trim(), avatar, kids, language, ...(maturity ? { maturity_limit: maturity } : {}) })
    } catch (err) {
      setError(errorMessage(err))
    } finally {
      setBusy(false)
    }
  }

  return (
    <Stack as="form" gap="4" onSubmit={submit} borderWidth="1px" rounded="lg" p="4" aria-label={submitLabel}>
      <Field.Root required invalid={!!error && !name.trim()}>
        <Field.Label>Name</Field.Label>
        <Input name="name" value={name} maxLength={40} onChange={(e) => setName(e.target.value)} />
      </Field.Root>
      <Box as="fieldset">
        <Text as="legend" fontSize="sm" fontWeight="medium" mb="1">
          Avatar
        </Text>
        <HStack wrap="wrap">
          {AVATARS.map((a) => (
            <Button
              key={a}
              type="button"
              size="sm"
              bg={`${a}.700`}
              color="white"
              outline={a === avatar ? '3px solid' : undefined}
              outlineColor="fg"
              outlineOffset="2px"
              aria-pressed={a === avatar}
              aria-label={`${a} avatar`}
              onClick={() => setAvatar(a)}
            >
              {a === avatar ? '✓' : ''}
            </Button>
          ))}
        </HStack>
      </Box>
      <Checkbox.Root checked={kids} onCheckedChange={(d) => setKids(d.checked === true)}>
        <Checkbox.HiddenInput name="kids" />
        <Checkbox.Control />
        <Checkbox.Label>Kids profile (only titles for children)</Checkbox.Label>
      </Checkbox.Root>
      <Flex gap="4" wrap="wrap">
        <Field.Root width="auto">
          <Field.Label>Maturity limit</Field.Label>
          <NativeSelect.Root size="sm" width="10rem">
            <NativeSelect.Field value={maturity} onChange={(e) => setMaturity(e.currentTarget.value)}>
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
        <Field.Root width="8rem">
          <Field.Label>Language</Field.Label>
          <Input size="sm" value={language} maxLength={5} onChange={(e) => setLanguage(e.target.value)} />
        </Field.Root>
      </Flex>
      {error && (
        <Text role="alert" color={{ base: 'red.700', _dark: 'red.300' }}>
          {error}
        </Text>
      )}
      <HStack>
        <Button type="submit" colorPalette="red" loading={busy}>
          {submitLabel}
        </Button>
        <Button type="button" variant="ghost" onClick={onCancel}>
          Cancel
        </Button>
      </HStack>
    </Stack>
  )
}

function Manage() {
  const { token } = useSession()
  const { profiles, reload, current, select } = useProfiles()
  const [editing, setEditing] = useState<string | 'new' | null>(null)
  const [error, setError] = useState<string>()

  const remove = async (p: Profile) => {
    if (!window.confirm(`Delete the profile “${p.name}”? Its preferences go with it.`)) return
    try {
      await accountAPI.deleteProfile(token!, p.id)
      setError(undefined)
      await reload()
    } catch (e) {
      setError(errorMessage(e))
    }
  }

  return (
    <Box maxW="2xl">
      <Heading as="h1" size="2xl" mb="4">
        Manage profiles
      </Heading>
      {error && (
        <Text role="alert" color={{ base: 'red.700', _dark: 'red.300' }} mb="3">
          {error}
        </Text>
      )}
      <Stack as="ul" listStyleType="none" gap="3" mb="6">
        {profiles.map((p) =>
          editing === p.id ? (
            <li key={p.id}>
              <ProfileForm
                initial={p}
                submitLabel="Save profile"
                onCancel={() => setEditing(null)}
                onSave={async (input) => {
                  await accountAPI.updateProfile(token!, p.id, input)
                  setEditing(null)
                  await reload()
                }}
              />
            </li>
          ) : (
            <Flex as="li" key={p.id} align="center" gap="3" borderWidth="1px" rounded="lg" p="3" data-testid="profile-row">
              <ProfileAvatar profile={p} name={p.name} size="10" />
              <Box flex="1">
                <Text fontWeight="semibold">
                  {p.name}
                  {p.id === current?.id ? ' (watching)' : ''}
                </Text>
                <Text fontSize="sm" color="fg.muted">
                  {[p.kids ? 'Kids' : null, p.maturity_limit ? `Up to ${p.maturity_limit}` : null, p.language?.toUpperCase()].filter(Boolean).join(' · ') || 'Standard'}
                </Text>
              </Box>
              <HStack gap="1" wrap="wrap" justify="end">
                {p.id !== current?.id && (
                  <Button size="xs" variant="outline" onClick={() => select(p.id)}>
                    Switch to
                  </Button>
                )}
                <Button size="xs" variant="outline" asChild>
                  <RouterLink to={`/account/profiles/${p.id}/preferences`}>Preferences</RouterLink>
                </Button>
                <Button size="xs" variant="outline" onClick={() => setEditing(p.id)} aria-label={`Edit ${p.name}`}>
                  Edit
                </Button>
                <Button size="xs" variant="outline" colorPalette="red" onClick={() => void remove(p)} aria-label={`Delete ${p.name}`}>
                  Delete
                </Button>
              </HStack>
            </Flex>
          ),
        )}
      </Stack>
      {editing === 'new' ? (
        <ProfileForm
          submitLabel="Create profile"
          onCancel={() => setEditing(null)}
          onSave={async (input) => {
            await accountAPI.createProfile(token!, input)
            setEditing(null)
            await reload()
          }}
        />
      ) : profiles.length < MAX_PROFILES ? (
        <Button colorPalette="red" onClick={() => setEditing('new')}>
          Add a profile
        </Button>
      ) : (
        <Text color="fg.muted">An account has at most {MAX_PROFILES} profiles.</Text>
      )}
    </Box>
  )
}

export default function ManageProfiles() {
  return (
    <RequireSignIn what="your profiles">
      <Manage />
    </RequireSignIn>
  )
}
