import { ChakraProvider, defaultSystem } from '@chakra-ui/react'
import { StrictMode } from 'react'
import { createRoot } from 'react-dom/client'
import { BrowserRouter } from 'react-router'
import { AppRoutes } from './App'
import OidcSession from './auth/OidcSession'
import { ProfilesProvider } from './auth/profiles'

createRoot(document.getElementById('root')!).render(
  <StrictMode>
    <ChakraProvider value={defaultSystem}>
      <OidcSession>
        <ProfilesProvider>
          <BrowserRouter>
            <AppRoutes />
          </BrowserRouter>
        </ProfilesProvider>
      </OidcSession>
    </ChakraProvider>
  </StrictMode>,
)
