import { Box, Container, Flex, IconButton, Text, chakra } from '@chakra-ui/react'
import { Suspense, useEffect } from 'react'
import { Link as RouterLink, Outlet, useLocation, useNavigate } from 'react-router'
import { AccountMenu } from '../features/account/AccountMenu'
import { useProfiles } from '../features/account/useProfiles'
import { useSession } from '../features/auth/session'
import { SearchBox } from '../features/search/SearchBox'
import { useColorMode } from '../theme/colorMode'
import { PageSkeleton } from './PageSkeleton'

export function Layout() {
  const { mode, toggle } = useColorMode()
  const session = useSession()
  const { profiles, current } = useProfiles()
  const location = useLocation()
  const navigate = useNavigate()
  // Netflix-style: with several profiles and none chosen in this browser,
  // ask who's watching before anything else.
  useEffect(() => {
    const p = location.pathname
    if (session.signedIn && profiles.length > 1 && !current && !p.startsWith('/profiles') && !p.startsWith('/account') && !p.startsWith('/auth/'))
      navigate('/profiles', { replace: true })
  }, [session.signedIn, profiles.length, current, location.pathname, navigate])
  return (
    <Box minH="100vh" bg="bg" color="fg">
      <chakra.a
        href="#main"
        position="absolute"
        left="-9999px"
        _focus={{ left: '2', top: '2', zIndex: 'skipLink', bg: 'bg.panel', p: '2', rounded: 'md' }}
      >
        Skip to content
      </chakra.a>
      <Box as="header" position="sticky" top="0" zIndex="sticky" bg="bg/90" backdropFilter="blur(8px)" borderBottomWidth="1px">
        <Container maxW="7xl" py="2">
          <Flex align="center" gap={{ base: 2, md: 4 }} wrap={{ base: 'wrap', md: 'nowrap' }}>
            <chakra.a asChild fontWeight="black" fontSize="xl" color="brand.logo" letterSpacing="tight">
              <RouterLink to="/" aria-label="cdlc home">
                cdlc
              </RouterLink>
            </chakra.a>
            <Box order={{ base: 5, md: 0 }} flexBasis={{ base: '100%', md: 'auto' }} flex={{ md: '1' }} maxW={{ md: '32rem' }}>
              <SearchBox />
            </Box>
            <Box flex="1" />
            <IconButton
              aria-label={mode === 'dark' ? 'Switch to light mode' : 'Switch to dark mode'}
              size="sm"
              variant="ghost"
              onClick={toggle}
            >
              <span aria-hidden="true">{mode === 'dark' ? '☀' : '☾'}</span>
            </IconButton>
            <AccountMenu />
          </Flex>
          {session.error && (
            <Text role="alert" fontSize="sm" color="feedback.error" mt="1">
              {session.error}
            </Text>
          )}
        </Container>
      </Box>
      <Container as="main" id="main" maxW="7xl" py="6" tabIndex={-1} _focus={{ outline: 'none' }}>
        <Suspense fallback={<PageSkeleton />}>
          <Outlet />
        </Suspense>
      </Container>
      <Box as="footer" borderTopWidth="1px" py="6" mt="8">
        <Container maxW="7xl">
          <Text fontSize="sm" color="fg.muted">
            cdlc — Creme de la Creme · <chakra.a href="/docs" textDecoration="underline">API</chakra.a>
          </Text>
        </Container>
      </Box>
    </Box>
  )
}
