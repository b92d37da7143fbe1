import { Box } from '@chakra-ui/react'
import type { Profile } from '../api/account'
import { initials } from './Artwork'

export function ProfileAvatar({ profile, name, size = '8' }: { profile?: Profile; name: string; size?: string }) {
  const emoji = profile?.avatar && [...profile.avatar].length <= 2 ? profile.avatar : undefined
  return (
    <Box
      aria-hidden="true"
      width={size}
      height={size}
      rounded="md"
      bg={profile?.kids ? 'green.600' : 'red.700'}
      color="white"
      display="inline-flex"
      alignItems="center"
      justifyContent="center"
      fontWeight="bold"
      fontSize="sm"
      flexShrink={0}
    >
      {emoji ?? initials(name)}
    </Box>
  )
}
