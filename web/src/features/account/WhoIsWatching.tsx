import { Box, Button, Flex, Heading, Text } from '@chakra-ui/react'
import { useNavigate } from 'react-router'
import { MAX_PROFILES } from './api'
import { ProfileAvatar } from './ProfileAvatar'
import { RequireSignIn } from './RequireSignIn'
import { useProfiles } from './useProfiles'

function Chooser() {
  const { profiles, current, select } = useProfiles()
  const navigate = useNavigate()
  return (
    <Box textAlign="center" py="8">
      <Heading as="h1" size="3xl" mb="8">
        Who's watching?
      </Heading>
      {profiles.length === 0 && <Text color="fg.muted" mb="6">No profiles yet: create the first one.</Text>}
      <Flex as="ul" listStyleType="none" wrap="wrap" justify="center" gap="6" maxW="3xl" mx="auto" mb="8">
        {profiles.map((p) => (
          <li key={p.id}>
            <Button
              variant="ghost"
              height="auto"
              flexDirection="column"
              gap="2"
              py="3"
              aria-pressed={p.id === current?.id}
              onClick={() => {
                select(p.id)
                navigate('/')
              }}
            >
              <ProfileAvatar profile={p} name={p.name} size="20" />
              <Text>{p.name}</Text>
              {p.kids && (
                <Text fontSize="xs" color="fg.muted">
                  Kids
                </Text>
              )}
            </Button>
          </li>
        ))}
      </Flex>
      <Button variant="outline" onClick={() => navigate('/account/profiles')}>
        {profiles.length < MAX_PROFILES ? 'Manage or add profiles' : 'Manage profiles'}
      </Button>
    </Box>
  )
}

export default function WhoIsWatching() {
  return (
    <RequireSignIn what="your profiles">
      <Chooser />
    </RequireSignIn>
  )
}
