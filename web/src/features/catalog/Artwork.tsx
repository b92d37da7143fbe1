import { Box, chakra } from '@chakra-ui/react'
import { useState } from 'react'

import { ARTWORK_TINTS } from '../../theme/theme'

// Artwork is a lazily loaded image with a placeholder: a tinted panel with
// the name, shown when there is no image, while it loads, or if it fails.
function tint(name: string) {
  let h = 0
  for (const c of name) h = (h * 31 + c.charCodeAt(0)) >>> 0
  return `artwork.tint${h % ARTWORK_TINTS}`
}

export function initials(name: string) {
  return name
    .split(/\s+/)
    .filter(Boolean)
    .slice(0, 2)
    .map((w) => w[0]?.toUpperCase())
    .join('')
}

export interface ArtworkProps {
  src?: string
  name: string
  ratio?: number
  rounded?: string
  round?: boolean
  eager?: boolean
  label?: 'name' | 'initials'
}

export function Artwork({ src, name, ratio = 2 / 3, rounded = 'md', round, eager, label = 'name' }: ArtworkProps) {
  const [state, setState] = useState<'loading' | 'loaded' | 'failed'>('loading')
  const showImage = src && state !== 'failed'
  return (
    <Box
      position="relative"
      width="100%"
      style={{ aspectRatio: String(ratio) }}
      rounded={round ? 'full' : rounded}
      overflow="hidden"
      bg={tint(name)}
      color="artwork.fg"
    >
      {(!showImage || state === 'loading') && (
        <Box
          position="absolute"
          inset="0"
          display="flex"
          alignItems="center"
          justifyContent="center"
          textAlign="center"
          p="2"
          fontWeight="semibold"
          fontSize={label === 'initials' ? 'xl' : 'sm'}
          aria-hidden="true"
          data-testid="artwork-placeholder"
        >
          {label === 'initials' ? initials(name) : name}
        </Box>
      )}
      {showImage && (
        <chakra.img
          src={src}
          alt={name}
          loading={eager ? 'eager' : 'lazy'}
          decoding="async"
          position="absolute"
          inset="0"
          width="100%"
          height="100%"
          objectFit="cover"
          opacity={state === 'loaded' ? 1 : 0}
          transition="opacity 0.2s"
          onLoad={() => setState('loaded')}
          onError={() => setState('failed')}
        />
      )}
    </Box>
  )
}
