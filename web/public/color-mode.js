// Colour mode before the first paint, so that a dark page never flashes
// light: a classic (blocking) script, a file of its own because the
// platform's Content-Security-Policy allows no inline script.
try {
  var m = localStorage.getItem('cdlc.colorMode') || (matchMedia('(prefers-color-scheme: dark)').matches ? 'dark' : 'light')
  document.documentElement.classList.add(m)
  document.documentElement.style.colorScheme = m
} catch {
  // No storage (private mode): the stylesheet's light default stays.
}
