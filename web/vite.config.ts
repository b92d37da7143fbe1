/// <reference types="vitest/config" />
import { defineConfig } from 'vite'
import react from '@vitejs/plugin-react'

// `npm run dev` serves the app on :5173 and proxies the platform's paths to a
// running cdlc (CDLC_URL, default http://localhost:8080), so the app talks to
// the same origin in development as in production.
const backend = process.env.CDLC_URL ?? 'http://localhost:8080'
const proxied = ['/api', '/oauth2', '/id', '/.well-known', '/healthz', '/readyz', '/docs', '/openapi.json']

export default defineConfig({
  plugins: [react()],
  server: {
    port: 5173,
    proxy: Object.fromEntries(proxied.map((p) => [p, { target: backend, changeOrigin: false }])),
  },
  build: {
    outDir: 'dist',
    // dist/placeholder.html is committed (served by a binary built without
    // the app); scripts/clean-dist.mjs removes the rest before a build.
    emptyOutDir: false,
    target: 'es2022',
    chunkSizeWarningLimit: 600,
    rollupOptions: {
      output: {
        manualChunks(id) {
          if (id.includes('node_modules/oidc-client-ts') || id.includes('node_modules/react-oidc-context')) return 'oidc'
        },
      },
    },
  },
  test: {
    environment: 'jsdom',
    globals: true,
    setupFiles: ['./src/test/setup.ts'],
    include: ['src/**/*.test.{ts,tsx}'],
    css: false,
    // A page test renders Chakra in jsdom: seconds on a busy 2-core machine.
    testTimeout: 20_000,
  },
})
