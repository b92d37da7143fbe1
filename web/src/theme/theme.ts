import { createSystem, defaultConfig, defineConfig } from '@chakra-ui/react'

// The app's theme: Chakra's defaults plus the app's own semantic tokens,
// so that components say what a colour is for (brand, an error's text, an
// artwork's tint) and the theme says, once, what it looks like in light and
// dark mode.
const shades = [50, 100, 200, 300, 400, 500, 600, 700, 800, 900, 950] as const

/** The placeholder tints of artwork without an image, chosen by name. */
export const ARTWORK_TINTS = 8

const config = defineConfig({
  theme: {
    tokens: {
      colors: {
        // brand is a palette of its own (colorPalette="brand"), today the
        // red of cdlc's logo.
        brand: Object.fromEntries(shades.map((s) => [s, { value: `{colors.red.${s}}` }])),
      },
    },
    semanticTokens: {
      colors: {
        brand: {
          solid: { value: '{colors.red.600}' },
          contrast: { value: 'white' },
          fg: { value: { _light: '{colors.red.700}', _dark: '{colors.red.300}' } },
          muted: { value: { _light: '{colors.red.200}', _dark: '{colors.red.800}' } },
          subtle: { value: { _light: '{colors.red.100}', _dark: '{colors.red.900}' } },
          emphasized: { value: { _light: '{colors.red.300}', _dark: '{colors.red.700}' } },
          focusRing: { value: '{colors.red.500}' },
          border: { value: { _light: '{colors.red.500}', _dark: '{colors.red.400}' } },
          // The wordmark in the header.
          logo: { value: { _light: '{colors.red.600}', _dark: '{colors.red.400}' } },
        },
        // Text that reports a failure or a success (form messages, the
        // sign-in error), readable on bg in both modes.
        feedback: {
          error: { value: { _light: '{colors.red.700}', _dark: '{colors.red.300}' } },
          success: { value: { _light: '{colors.green.700}', _dark: '{colors.green.300}' } },
        },
        artwork: {
          fg: { value: 'white' },
          ...Object.fromEntries(
            ['#7f1d1d', '#1e3a8a', '#14532d', '#581c87', '#78350f', '#134e4a', '#831843', '#312e81'].map((c, i) => [`tint${i}`, { value: c }]),
          ),
        },
        avatar: {
          fg: { value: 'white' },
        },
      },
    },
  },
})

export const system = createSystem(defaultConfig, config)
