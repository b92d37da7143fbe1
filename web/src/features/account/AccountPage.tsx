import { Box, Button, Heading, HStack, Stack, Text } from '@chakra-ui/react'
import { useMutation } from '@tanstack/react-query'
import { useState } from 'react'
import { Link as RouterLink } from 'react-router'
import { errorMessage } from '../../api/client'
import { ConfirmDialog } from '../../components/ConfirmDialog'
import { useSession } from '../auth/session'
import { accountAPI } from './api'
import { RequireSignIn } from './RequireSignIn'
import { useProfiles } from './useProfiles'

function download(data: unknown, name: string) {
  const url = URL.createObjectURL(new Blob([JSON.stringify(data, null, 2)], { type: 'application/json' }))
  const a = document.createElement('a')
  a.href = url
  a.download = name
  a.click()
  URL.revokeObjectURL(url)
}

function Account() {
  const session = useSession()
  const { account, profiles } = useProfiles()
  const [confirming, setConfirming] = useState(false)
  const exportData = useMutation({
    mutationFn: () => accountAPI.export(session.token!),
    onSuccess: (data) => download(data, 'cdlc-account.json'),
  })
  const deleteAccount = useMutation({
    mutationFn: () => accountAPI.remove(session.token!),
    onSuccess: () => session.signOut(),
    onSettled: () => setConfirming(false),
  })
  const error = exportData.error ?? deleteAccount.error

  return (
    <Stack maxW="2xl" gap="4">
      <Heading as="h1" size="2xl">
        Your account
      </Heading>
      <Box as="dl">
        {session.email && (
          <Text>
            <b>E-mail:</b> {session.email}
          </Text>
        )}
        <Text>
          <b>Member since:</b> {account?.created_at ? new Date(account.created_at).toLocaleDateString() : '—'}
        </Text>
        <Text>
          <b>Profiles:</b> {profiles.length}
        </Text>
      </Box>
      {error && (
        <Text role="alert" color="feedback.error">
          {errorMessage(error)}
        </Text>
      )}
      <HStack wrap="wrap">
        <Button asChild variant="outline">
          <RouterLink to="/account/profiles">Manage profiles</RouterLink>
        </Button>
        <Button variant="outline" loading={exportData.isPending} onClick={() => exportData.mutate()}>
          Download my data
        </Button>
        <Button variant="outline" onClick={() => void session.signOut()}>
          Sign out
        </Button>
        <Button colorPalette="brand" variant="outline" onClick={() => setConfirming(true)}>
          Delete account
        </Button>
      </HStack>
      <ConfirmDialog
        open={confirming}
        title="Delete your account?"
        confirmLabel="Delete account"
        busy={deleteAccount.isPending}
        onConfirm={() => deleteAccount.mutate()}
        onCancel={() => setConfirming(false)}
      >
        Your account, its profiles and preferences are deleted. This cannot be undone.
      </ConfirmDialog>
    </Stack>
  )
}

export default function AccountPage() {
  return (
    <RequireSignIn what="your account">
      <Account />
    </RequireSignIn>
  )
}
