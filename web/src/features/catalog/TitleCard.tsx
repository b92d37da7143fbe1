import { Box, Text, Skeleton, LinkBox, LinkOverlay } from '@chakra-ui/react'
import { Link as RouterLink } from 'react-router'
import { imageURL, KIND_LABEL, type CardTitle } from './api'
import { Artwork } from './Artwork'

export function formatRating(r?: { average: number; votes: number }) {
  if (!r || !r.votes) return undefined
  return r.average.toFixed(1)
}

export function yearRange(t: { start_year?: number; end_year?: number; kind?: string }) {
  if (!t.start_year) return ''
  if ((t.kind === 'series' || t.kind === 'mini_series') && t.end_year && t.end_year !== t.start_year) return `${t.start_year}–${t.end_year}`
  return String(t.start_year)
}

/** TitleCard is a poster card: poster, title, year, rating. */
export function TitleCard({ title, eager }: { title: CardTitle; eager?: boolean }) {
  const rating = formatRating(title.rating)
  return (
    <LinkBox as="article" width="100%" data-testid="title-card" rounded="md" _focusWithin={{ outline: '2px solid', outlineColor: 'colorPalette.focusRing' }}>
      <Artwork src={imageURL(title.poster)} name={title.title} eager={eager} />
      <Box pt="2">
        <LinkOverlay asChild>
          <RouterLink to={`/title/${title.id}`}>
            <Text fontWeight="semibold" lineClamp={2} fontSize="sm">
              {title.title}
            </Text>
          </RouterLink>
        </LinkOverlay>
        <Text fontSize="xs" color="fg.muted">
          {[yearRange(title), KIND_LABEL[title.kind] ?? title.kind].filter(Boolean).join(' · ')}
          {rating ? ` · ★ ${rating}` : ''}
        </Text>
      </Box>
    </LinkBox>
  )
}

export function TitleCardSkeleton() {
  return (
    <Box width="100%" data-testid="card-skeleton" aria-hidden="true">
      <Skeleton width="100%" style={{ aspectRatio: '2 / 3' }} rounded="md" />
      <Skeleton height="3" mt="2" width="80%" />
      <Skeleton height="3" mt="1" width="40%" />
    </Box>
  )
}
