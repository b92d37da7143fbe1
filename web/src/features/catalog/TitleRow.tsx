import { Box, Heading, Text } from '@chakra-ui/react'
import type { CardTitle } from './api'
import { ErrorState } from '../../components/ErrorState'
import { TitleCard, TitleCardSkeleton } from './TitleCard'

const CARD_W = { base: '8rem', md: '9.5rem' }

/**
 * TitleRow is a horizontally scrolling row of poster cards, with skeletons
 * while it loads. The scroller is a labelled region reachable by keyboard.
 */
export function TitleRow({
  heading,
  titles,
  loading,
  error,
  onRetry,
  eager,
}: {
  heading: string
  titles?: CardTitle[]
  loading?: boolean
  error?: unknown
  onRetry?: () => void
  eager?: boolean
}) {
  const id = `row-${heading.toLowerCase().replace(/[^a-z0-9]+/g, '-')}`
  return (
    <Box as="section" aria-labelledby={id} mb="8" data-testid="title-row">
      <Heading as="h2" id={id} size="lg" mb="3">
        {heading}
      </Heading>
      {error ? (
        <ErrorState error={error} onRetry={onRetry} />
      ) : !loading && titles && titles.length === 0 ? (
        <Text color="fg.muted">Nothing here yet.</Text>
      ) : (
        <Box
          as="ul"
          role="list"
          display="flex"
          gap="4"
          overflowX="auto"
          pb="3"
          listStyleType="none"
          scrollSnapType="x proximity"
          tabIndex={0}
          aria-label={heading}
          css={{ scrollbarWidth: 'thin' }}
          _focusVisible={{ outline: '2px solid', outlineColor: 'colorPalette.focusRing', outlineOffset: '2px' }}
        >
          {loading && !titles
            ? Array.from({ length: 8 }, (_, i) => (
                <Box as="li" key={i} flex="0 0 auto" width={CARD_W}>
                  <TitleCardSkeleton />
                </Box>
              ))
            : titles?.map((t, i) => (
                <Box as="li" key={t.id} flex="0 0 auto" width={CARD_W} scrollSnapAlign="start">
                  <TitleCard title={t} eager={eager && i < 6} />
                </Box>
              ))}
        </Box>
      )}
    </Box>
  )
}
