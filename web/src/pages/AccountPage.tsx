import { Box, Button, Heading, HStack, Stack, Text } from '@chakra-ui/react'
import { useState } from 'react'
import { Link as RouterLink } from 'react-router'
import { accountAPI } from '../api/account'
import { api, errorMessage } from '../api/client'
import { useSession } from '../auth/session'
import { useProfiles } from '../auth/profiles'
import { RequireSignIn } from '../components/RequireSignIn'

function Account() {
  const session = useSession()
  const { account, profiles } = useProfiles()
  const [error, setError] = useState<string>()

  const exportData = async () => {
    try {
      const data = await api<unknown>('/api/v1/account/export', { token: session.token })
      const url = URL.createObjectURL(new Blob([JSON.stringify(data, null, 2)], { type: 'application/json' }))
      const a = document.createElement('a')
      a.href = url
      a.download = 'cdlc-account.json'
      a.click()
      URL.revokeObjectURL(url)
    } catch (e) {
      setError(errorMessage(e))
    }
  }

  const deleteAccount = async () => {
    if (!window.confirm('Delete your account, its profiles and preferences? This cannot be undone.')) return
    try {
      await accountAPI.remove(session.token!)
      await session.signOut()
    } catch (e) {
      setError(errorMessage(e))
    }
  }

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
        <Text role="alert" color={{ base: 'red.700', _dark: 'red.300' }}>
          {error}
        </Text>
      )}
      <HStack wrap="wrap">
        <Button asChild variant="outline">
          <RouterLink to="/account/profiles">Manage profiles</RouterLink>
        </Button>
        <Button variant="outline" onClick={() => void exportData()}>
          Download my data
        </Button>
        <Button variant="outline" onClick={() => void session.signOut()}>
          Sign out
        </Button>
        <Button colorPalette="red" variant="outline" onClick={() => void deleteAccount()}>
          Delete account
        </Button>
      </HStack>
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
