import { Box } from '@chakra-ui/react'
import { initials } from '../catalog/Artwork'
import { AVATARS, isAvatarPreset, type Profile } from './api'

/**
 * ProfileAvatar draws a profile's preset avatar: its picture, or the
 * profile's initials on its colour (green for kids, red otherwise, when
 * the avatar is not a preset).
 */
export function ProfileAvatar({ profile, name, size = '8' }: { profile?: Profile; name: string; size?: string }) {
  const preset = isAvatarPreset(profile?.avatar) ? AVATARS[profile.avatar] : undefined
  const palette = preset?.palette ?? (profile?.kids ? 'green' : 'red')
  const picture = preset?.picture
  return (
    <Box
      aria-hidden="true"
      width={size}
      height={size}
      rounded="md"
      colorPalette={palette}
      bg="colorPalette.700"
      color="avatar.fg"
      display="inline-flex"
      alignItems="center"
      justifyContent="center"
      fontWeight="bold"
      fontSize={picture ? 'lg' : 'sm'}
      flexShrink={0}
    >
      {picture ?? initials(name)}
    </Box>
  )
}
