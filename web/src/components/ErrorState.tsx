import { Box, Button, Heading, Text } from '@chakra-ui/react'
import { Link as RouterLink } from 'react-router'
import { ApiError, errorMessage } from '../api/client'

/** ErrorState tells what went wrong, with the server's problem detail. */
export function ErrorState({ error, onRetry, title, page }: { error: unknown; onRetry?: () => void; title?: string; page?: boolean }) {
  const status = error instanceof ApiError ? error.status : undefined
  const requestId = error instanceof ApiError ? error.problem.request_id : undefined
  const heading =
    title ?? (status === 404 ? 'Not found' : status === 0 ? 'Cannot reach the server' : 'Something went wrong')
  return (
    <Box role="alert" borderWidth="1px" borderColor="border.error" bg="bg.error" color="fg" rounded="lg" p="5" my="4">
      <Heading as={page ? 'h1' : 'h3'} size={page ? 'xl' : 'md'} mb="2">
        {heading}
      </Heading>
      <Text data-testid="error-detail">{errorMessage(error)}</Text>
      {(status !== undefined || requestId) && (
        <Text fontSize="sm" color="fg.muted" mt="2">
          {status ? `HTTP ${status}` : ''}
          {requestId ? ` · request ${requestId}` : ''}
        </Text>
      )}
      <Box mt="4" display="flex" gap="3">
        {onRetry && (
          <Button size="sm" onClick={onRetry}>
            Try again
          </Button>
        )}
        <Button size="sm" variant="outline" asChild>
          <RouterLink to="/">Go home</RouterLink>
        </Button>
      </Box>
    </Box>
  )
}
