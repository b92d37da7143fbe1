import { useCallback, useSyncExternalStore } from 'react'

// Light and dark mode: Chakra's semantic tokens follow a `dark` class on
// <html>; index.html sets it before the first paint from the saved choice or
// the system's preference.
export type ColorMode = 'light' | 'dark'
const KEY = 'cdlc.colorMode'
const listeners = new Set<() => void>()

function current(): ColorMode {
  return document.documentElement.classList.contains('dark') ? 'dark' : 'light'
}

export function setColorMode(mode: ColorMode) {
  const el = document.documentElement
  el.classList.remove('light', 'dark')
  el.classList.add(mode)
  el.style.colorScheme = mode
  try {
    localStorage.setItem(KEY, mode)
  } catch {
    /* private mode: the choice lasts for the page */
  }
  listeners.forEach((l) => l())
}

export function useColorMode() {
  const mode = useSyncExternalStore(
    (l) => {
      listeners.add(l)
      return () => listeners.delete(l)
    },
    current,
    () => 'light' as ColorMode,
  )
  const toggle = useCallback(() => setColorMode(current() === 'dark' ? 'light' : 'dark'), [])
  return { mode, toggle }
}
