import { ChakraProvider } from '@chakra-ui/react'
import { QueryClientProvider } from '@tanstack/react-query'
import { StrictMode } from 'react'
import { createRoot } from 'react-dom/client'
import { BrowserRouter } from 'react-router'
import { newQueryClient } from './api/queryClient'
import { AppRoutes } from './App'
import OidcSession from './features/auth/OidcSession'
import { system } from './theme/theme'

const queryClient = newQueryClient()

createRoot(document.getElementById('root')!).render(
  <StrictMode>
    <ChakraProvider value={system}>
      <QueryClientProvider client={queryClient}>
        <OidcSession>
          <BrowserRouter>
            <AppRoutes />
          </BrowserRouter>
        </OidcSession>
      </QueryClientProvider>
    </ChakraProvider>
  </StrictMode>,
)
