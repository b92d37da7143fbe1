import { lazy } from 'react'
import { Route, Routes } from 'react-router'
import { Layout } from './components/Layout'
import Home from './features/home/Home'

// Route-level code splitting: only the home page ships in the entry chunk.
const SearchPage = lazy(() => import('./features/search/SearchPage'))
const TitlePage = lazy(() => import('./features/title/TitlePage'))
const PersonPage = lazy(() => import('./features/person/PersonPage'))
const NotFound = lazy(() => import('./components/NotFound'))
const AuthCallback = lazy(() => import('./features/auth/AuthCallback'))
const WhoIsWatching = lazy(() => import('./features/account/WhoIsWatching'))
const ManageProfiles = lazy(() => import('./features/account/ManageProfiles'))
const Preferences = lazy(() => import('./features/account/Preferences'))
const AccountPage = lazy(() => import('./features/account/AccountPage'))

export function AppRoutes() {
  return (
    <Routes>
      <Route element={<Layout />}>
        <Route index element={<Home />} />
        <Route path="search" element={<SearchPage />} />
        <Route path="title/:id" element={<TitlePage />} />
        <Route path="person/:id" element={<PersonPage />} />
        <Route path="auth/callback" element={<AuthCallback />} />
        <Route path="profiles" element={<WhoIsWatching />} />
        <Route path="account" element={<AccountPage />} />
        <Route path="account/profiles" element={<ManageProfiles />} />
        <Route path="account/profiles/:id/preferences" element={<Preferences />} />
        <Route path="*" element={<NotFound />} />
      </Route>
    </Routes>
  )
}
