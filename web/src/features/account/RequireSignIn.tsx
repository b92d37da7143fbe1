import { Box, Button, Heading, Text } from '@chakra-ui/react'
import type { ReactNode } from 'react'
import { useSession } from '../auth/session'
import { useProfiles } from './useProfiles'
import { ErrorState } from '../../components/ErrorState'
import { PageSkeleton } from '../../components/PageSkeleton'

/** RequireSignIn shows its children to a signed-in user whose account has loaded. */
export function RequireSignIn({ children, what }: { children: ReactNode; what: string }) {
  const session = useSession()
  const { account, error, loading, reload } = useProfiles()
  if (!session.ready) return <PageSkeleton />
  if (!session.signedIn)
    return (
      <Box textAlign="center" py="12">
        <Heading as="h1" size="2xl" mb="2">
          Sign in to see {what}
        </Heading>
        <Text color="fg.muted" mb="6">
          Your account keeps your profiles and preferences.
        </Text>
        <Button colorPalette="brand" onClick={() => session.signIn()}>
          Sign in
        </Button>{' '}
        <Button variant="outline" onClick={() => session.signUp()}>
          Create an account
        </Button>
      </Box>
    )
  if (error) return <ErrorState error={error} onRetry={() => void reload()} title="Your account could not be loaded" page />
  if (loading || !account) return <PageSkeleton />
  return <>{children}</>
}
