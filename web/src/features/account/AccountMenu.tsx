import { Box, Button, HStack, Menu, Portal, Text, VisuallyHidden } from '@chakra-ui/react'
import { useNavigate } from 'react-router'
import { useSession } from '../auth/session'
import { useProfiles } from './useProfiles'
import { ProfileAvatar } from './ProfileAvatar'

/** AccountMenu: sign in / sign up, or the profile switcher and account links. */
export function AccountMenu() {
  const session = useSession()
  const { profiles, current, select } = useProfiles()
  const navigate = useNavigate()

  if (!session.signedIn) {
    return (
      <HStack gap="2">
        <Button size="sm" variant="ghost" onClick={() => session.signUp()} display={{ base: 'none', sm: 'inline-flex' }}>
          Sign up
        </Button>
        <Button size="sm" colorPalette="brand" onClick={() => session.signIn()}>
          Sign in
        </Button>
      </HStack>
    )
  }

  const label = current?.name ?? session.name ?? session.email ?? 'Account'
  // One handler on the root: the machine calls it for every item, however
  // and whenever the (portalled) items were mounted.
  const onSelect = ({ value }: { value: string }) => {
    if (value.startsWith('profile:')) return select(value.slice('profile:'.length))
    if (value === 'signout') return void session.signOut()
    const to: Record<string, string> = {
      who: '/profiles',
      manage: '/account/profiles',
      prefs: current ? `/account/profiles/${current.id}/preferences` : '/account/profiles',
      account: '/account',
    }
    if (to[value]) navigate(to[value])
  }
  return (
    <Menu.Root positioning={{ placement: 'bottom-end' }} onSelect={onSelect}>
      <Menu.Trigger asChild>
        <Button size="sm" variant="ghost" px="1">
          <ProfileAvatar profile={current} name={label} size="7" />
          <Text as="span" aria-hidden="true" display={{ base: 'none', md: 'block' }} maxW="8rem" truncate>
            {label}
          </Text>
          <VisuallyHidden>Account menu ({label})</VisuallyHidden>
        </Button>
      </Menu.Trigger>
      <Portal>
        <Menu.Positioner>
          <Menu.Content minW="14rem">
            {profiles.length > 0 && (
              <Menu.ItemGroup>
                <Menu.ItemGroupLabel>Switch profile</Menu.ItemGroupLabel>
                {profiles.map((p) => (
                  <Menu.Item key={p.id} value={`profile:${p.id}`}>
                    <ProfileAvatar profile={p} name={p.name} size="6" />
                    <Box flex="1">{p.name}</Box>
                    {p.id === current?.id && <Text color="fg.muted">✓</Text>}
                  </Menu.Item>
                ))}
              </Menu.ItemGroup>
            )}
            <Menu.Separator />
            <Menu.Item value="who">
              Who's watching?
            </Menu.Item>
            <Menu.Item value="manage">
              Manage profiles
            </Menu.Item>
            {current && (
              <Menu.Item value="prefs">
                Preferences
              </Menu.Item>
            )}
            <Menu.Item value="account">
              Account
            </Menu.Item>
            <Menu.Separator />
            <Menu.Item value="signout">
              Sign out
            </Menu.Item>
          </Menu.Content>
        </Menu.Positioner>
      </Portal>
    </Menu.Root>
  )
}
