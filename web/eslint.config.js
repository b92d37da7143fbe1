// ESLint (flat config): the recommended JavaScript and typescript-eslint
// rules, and React's hooks rules (rules-of-hooks, exhaustive-deps and the
// React Compiler's checks), for the app, its tests and its scripts.
import js from '@eslint/js'
import reactHooks from 'eslint-plugin-react-hooks'
import globals from 'globals'
import tseslint from 'typescript-eslint'

export default tseslint.config(
  // Built or generated: dist/ by Vite, schema.d.ts by openapi-typescript.
  { ignores: ['dist/', 'e2e/out/', 'src/api/schema.d.ts'] },
  js.configs.recommended,
  tseslint.configs.recommended,
  {
    rules: {
      // A stub's parameter names what it stands for, used or not.
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_' }],
    },
  },
  {
    files: ['src/**/*.{ts,tsx}'],
    languageOptions: { globals: globals.browser },
    extends: [reactHooks.configs.flat['recommended-latest']],
  },
  {
    // The page's own script, before the app: a browser's classic script.
    files: ['public/**/*.js'],
    languageOptions: { globals: globals.browser, sourceType: 'script' },
  },
  {
    files: ['scripts/**/*.mjs', '*.config.{js,ts}'],
    languageOptions: { globals: globals.node },
  },
  {
    // Node, and functions it hands to the page (page.evaluate) that run there.
    files: ['e2e/**/*.mjs'],
    languageOptions: { globals: { ...globals.node, ...globals.browser } },
  },
)
