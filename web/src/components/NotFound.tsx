import { Box, Button, Heading, Text } from '@chakra-ui/react'
import { useEffect } from 'react'
import { Link as RouterLink } from 'react-router'

export default function NotFound({ what = 'page' }: { what?: string }) {
  useEffect(() => {
    document.title = 'Not found — cdlc'
  }, [])
  return (
    <Box textAlign="center" py="16" data-testid="not-found">
      <Heading as="h1" size="3xl" mb="3">
        This {what} is not in our catalog
      </Heading>
      <Text color="fg.muted" mb="6">
        The address may be mistyped, or the {what} was removed. Try searching instead.
      </Text>
      <Button asChild colorPalette="brand">
        <RouterLink to="/">Back to the home page</RouterLink>
      </Button>
    </Box>
  )
}
