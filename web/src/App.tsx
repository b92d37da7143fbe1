import { lazy } from 'react'
import { Route, Routes } from 'react-router'
import { Layout } from './components/Layout'
import Home from './pages/Home'

// Route-level code splitting: only the home page ships in the entry chunk.
const SearchPage = lazy(() => import('./pages/SearchPage'))
const TitlePage = lazy(() => import('./pages/TitlePage'))
const PersonPage = lazy(() => import('./pages/PersonPage'))
const NotFound = lazy(() => import('./pages/NotFound'))
const AuthCallback = lazy(() => import('./pages/AuthCallback'))
const WhoIsWatching = lazy(() => import('./pages/WhoIsWatching'))
const ManageProfiles = lazy(() => import('./pages/ManageProfiles'))
const Preferences = lazy(() => import('./pages/Preferences'))
const AccountPage = lazy(() => import('./pages/AccountPage'))

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
