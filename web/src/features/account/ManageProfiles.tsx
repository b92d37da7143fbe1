import { Box, Button, Checkbox, Field, Flex, Heading, HStack, Input, Stack, Text } from '@chakra-ui/react'
import { useMutation, useQueryClient } from '@tanstack/react-query'
import { useState, type FormEvent } from 'react'
import { Link as RouterLink } from 'react-router'
import { errorMessage } from '../../api/client'
import { ConfirmDialog } from '../../components/ConfirmDialog'
import { useSession } from '../auth/session'
import {
  accountAPI,
  accountKeys,
  AVATAR_PRESETS,
  AVATARS,
  isAvatarPreset,
  maturityLabel,
  MAX_PROFILES,
  type AvatarPreset,
  type Maturity,
  type Profile,
  type ProfileInput,
} from './api'
import { MaturitySelect } from './MaturitySelect'
import { ProfileAvatar } from './ProfileAvatar'
import { RequireSignIn } from './RequireSignIn'
import { useProfiles } from './useProfiles'

export function ProfileForm({ initial, onSave, onCancel, submitLabel }: { initial?: Profile; onSave: (p: ProfileInput) => Promise<void>; onCancel: () => void; submitLabel: string }) {
  const [name, setName] = useState(initial?.name ?? '')
  // An avatar that is no preset (an https URL set through the API) is kept
  // unless the user picks a preset.
  const [avatar, setAvatar] = useState<AvatarPreset | undefined>(initial ? (isAvatarPreset(initial.avatar) ? initial.avatar : undefined) : 'red')
  const [kids, setKids] = useState(initial?.kids ?? false)
  const [maturity, setMaturity] = useState<Maturity | undefined>(initial?.maturity_limit)
  const [language, setLanguage] = useState(initial?.language ?? 'en')
  const [error, setError] = useState<string>()
  const [busy, setBusy] = useState(false)

  const submit = async (e: FormEvent) => {
    e.preventDefault()
    if (!name.trim()) return setError('A profile needs a name.')
    setBusy(true)
    setError(undefined)
    try {
      await onSave({ name: name.trim(), kids, language, ...(avatar ? { avatar } : {}), ...(maturity ? { maturity_limit: maturity } : {}) })
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
          {AVATAR_PRESETS.map((a) => (
            <Button
              key={a}
              type="button"
              size="sm"
              colorPalette={AVATARS[a].palette}
              bg="colorPalette.700"
              color="avatar.fg"
              outline={a === avatar ? '3px solid' : undefined}
              outlineColor="fg"
              outlineOffset="2px"
              aria-pressed={a === avatar}
              aria-label={`${a} avatar`}
              onClick={() => setAvatar(a)}
            >
              {a === avatar ? '✓' : (AVATARS[a].picture ?? '')}
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
        <MaturitySelect label="Maturity limit" size="sm" width="10rem" value={maturity} onChange={setMaturity} />
        <Field.Root width="8rem">
          <Field.Label>Language</Field.Label>
          <Input size="sm" value={language} maxLength={5} onChange={(e) => setLanguage(e.target.value)} />
        </Field.Root>
      </Flex>
      {error && (
        <Text role="alert" color="feedback.error">
          {error}
        </Text>
      )}
      <HStack>
        <Button type="submit" colorPalette="brand" loading={busy}>
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
  const { token, subject } = useSession()
  const { profiles, current, select } = useProfiles()
  const [editing, setEditing] = useState<string | 'new' | null>(null)
  const [doomed, setDoomed] = useState<Profile>()
  const queryClient = useQueryClient()
  // Every change reads the account again: its profiles are the list here,
  // in the menu and in who's watching.
  const invalidate = () => queryClient.invalidateQueries({ queryKey: accountKeys.all(subject ?? '') })
  const save = useMutation({
    mutationFn: ({ id, input }: { id?: string; input: ProfileInput }) =>
      id ? accountAPI.updateProfile(token!, id, input) : accountAPI.createProfile(token!, input),
    onSuccess: async () => {
      setEditing(null)
      await invalidate()
    },
  })
  const remove = useMutation({
    mutationFn: (p: Profile) => accountAPI.deleteProfile(token!, p.id),
    onSuccess: invalidate,
    onSettled: () => setDoomed(undefined),
  })
  const error = remove.error ? errorMessage(remove.error) : undefined

  return (
    <Box maxW="2xl">
      <Heading as="h1" size="2xl" mb="4">
        Manage profiles
      </Heading>
      {error && (
        <Text role="alert" color="feedback.error" mb="3">
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
                  await save.mutateAsync({ id: p.id, input })
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
                  {[p.kids ? 'Kids' : null, p.maturity_limit ? `Up to ${maturityLabel(p.maturity_limit)}` : null, p.language?.toUpperCase()].filter(Boolean).join(' · ') || 'Standard'}
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
                <Button size="xs" variant="outline" colorPalette="brand" onClick={() => setDoomed(p)} aria-label={`Delete ${p.name}`}>
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
            await save.mutateAsync({ input })
          }}
        />
      ) : profiles.length < MAX_PROFILES ? (
        <Button colorPalette="brand" onClick={() => setEditing('new')}>
          Add a profile
        </Button>
      ) : (
        <Text color="fg.muted">An account has at most {MAX_PROFILES} profiles.</Text>
      )}
      <ConfirmDialog
        open={!!doomed}
        title={`Delete the profile “${doomed?.name ?? ''}”?`}
        confirmLabel="Delete profile"
        busy={remove.isPending}
        onConfirm={() => doomed && remove.mutate(doomed)}
        onCancel={() => setDoomed(undefined)}
      >
        Its preferences go with it. This cannot be undone.
      </ConfirmDialog>
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
