import { Box, Heading, Spinner, Text } from '@chakra-ui/react'
import { Navigate } from 'react-router'
import { useSession } from './session'
import { ErrorState } from '../../components/ErrorState'

// The OIDC client exchanges the code at /auth/callback and then replaces
// the address with where the user was; this is what shows meanwhile, or the
// provider's error.
export default function AuthCallback() {
  const { error } = useSession()
  const params = new URLSearchParams(window.location.search)
  const providerError = params.get('error')
  // Nothing to finish here (a bookmark, the back button): go home.
  if (!providerError && !error && !params.has('code')) return <Navigate to="/" replace />
  if (providerError || error)
    return (
      <ErrorState
        title="Sign-in did not complete"
        page
        error={new Error(params.get('error_description') || providerError || error)}
      />
    )
  return (
    <Box textAlign="center" py="16" role="status">
      <Spinner size="lg" mb="4" />
      <Heading as="h1" size="lg">
        Signing you in…
      </Heading>
      <Text color="fg.muted">One moment.</Text>
    </Box>
  )
}
