import { Box } from '@chakra-ui/react'
import { AVATARS, type Profile } from '../api/account'
import { initials } from './Artwork'

/** ProfileAvatar: the profile's initials on its avatar colour (green for kids by default). */
export function ProfileAvatar({ profile, name, size = '8' }: { profile?: Profile; name: string; size?: string }) {
  const colour = profile?.avatar && AVATARS.includes(profile.avatar) ? profile.avatar : profile?.kids ? 'green' : 'red'
  return (
    <Box
      aria-hidden="true"
      width={size}
      height={size}
      rounded="md"
      bg={`${colour}.700`}
      color="white"
      display="inline-flex"
      alignItems="center"
      justifyContent="center"
      fontWeight="bold"
      fontSize="sm"
      flexShrink={0}
    >
      {initials(name)}
    </Box>
  )
}
