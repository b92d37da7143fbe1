/// <reference types="vitest/config" />
import { defineConfig } from 'vite'
import react from '@vitejs/plugin-react'

// `npm run dev` serves the app on :5173 and proxies the platform's paths to a
// running cdlc (CDLC_URL, default http://localhost:8080), so the app talks to
// the same origin in development as in production.
const backend = process.env.CDLC_URL ?? 'http://localhost:8080'
const proxied = ['/api', '/oauth2', '/id', '/.well-known', '/healthz', '/readyz', '/docs', '/openapi.json']

// The vendor chunks (see build.rollupOptions below).
const vendorChunks: [string, string[]][] = [
  ['react', ['react', 'react-dom', 'scheduler', 'react-router']],
  ['query', ['@tanstack', 'openapi-fetch']],
  ['oidc', ['oidc-client-ts', 'react-oidc-context', 'jwt-decode']],
]

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
    // Vendor code in chunks of its own, by library: each is cached across
    // deploys of the app's own code, and none is over Vite's default
    // warning size (500 kB minified). What users wait for is the initial
    // JavaScript gzipped, which scripts/budget.mjs measures and holds to its
    // budget after every build.
    rollupOptions: {
      output: {
        manualChunks(id) {
          if (!id.includes('node_modules/')) return undefined
          for (const [chunk, packages] of vendorChunks) {
            if (packages.some((p) => id.includes(`node_modules/${p}/`))) return chunk
          }
          return undefined
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
