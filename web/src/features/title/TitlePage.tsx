import { Badge, Box, Button, Flex, Grid, Heading, HStack, LinkBox, LinkOverlay, SimpleGrid, Skeleton, SkeletonText, Stack, Text } from '@chakra-ui/react'
import { useQuery } from '@tanstack/react-query'
import { useEffect, useState } from 'react'
import { Link as RouterLink, useParams } from 'react-router'
import { ApiError } from '../../api/client'
import { ErrorState } from '../../components/ErrorState'
import NotFound from '../../components/NotFound'
import { catalogQueries, imageURL, KIND_LABEL, type Credit, type SeasonSummary, type TitleView } from '../catalog/api'
import { Artwork } from '../catalog/Artwork'
import { formatRating, yearRange } from '../catalog/TitleCard'

const titleCase = (s: string) => s.replace(/_/g, ' ').replace(/\b\w/g, (c) => c.toUpperCase())

export function runtime(min?: number) {
  if (!min) return undefined
  const h = Math.floor(min / 60)
  const m = min % 60
  return h ? `${h} h ${m ? `${m} min` : ''}`.trim() : `${m} min`
}

/** crewByDepartment groups crew credits by department, one line per person with their jobs. */
export function crewByDepartment(crew: Credit[]) {
  const depts = new Map<string, Map<string, { person_id: string; name: string; jobs: string[] }>>()
  for (const c of [...crew].sort((a, b) => (a.order ?? 0) - (b.order ?? 0))) {
    const d = depts.get(c.department) ?? new Map()
    depts.set(c.department, d)
    const p = d.get(c.person_id) ?? { person_id: c.person_id, name: c.name ?? c.person_id, jobs: [] }
    if (!p.jobs.includes(c.job)) p.jobs.push(c.job)
    d.set(c.person_id, p)
  }
  return [...depts].map(([department, people]) => ({ department, people: [...people.values()] }))
}

function Facts({ t }: { t: TitleView }) {
  const cert = t.certifications?.[0]
  const facts: [string, string | undefined][] = [
    ['Type', KIND_LABEL[t.kind] ?? t.kind],
    ['Year', yearRange(t) || undefined],
    ['Released', t.release_date],
    ['Runtime', runtime(t.runtime_minutes)],
    ['Certification', cert ? `${cert.certification} (${cert.country})` : undefined],
    ['Genres', t.genres?.join(', ') || undefined],
    ['Original language', t.original_language?.toUpperCase()],
    ['Languages', t.spoken_languages?.map((l) => l.toUpperCase()).join(', ') || undefined],
    ['Countries', t.countries?.join(', ') || undefined],
    ['Status', t.status ? titleCase(t.status) : undefined],
  ]
  return (
    <Grid as="dl" templateColumns="max-content 1fr" columnGap="4" rowGap="1" fontSize="sm" data-testid="facts">
      {facts
        .filter(([, v]) => v)
        .map(([k, v]) => (
          <Box key={k} display="contents">
            <Text as="dt" color="fg.muted">
              {k}
            </Text>
            <Text as="dd">{v}</Text>
          </Box>
        ))}
    </Grid>
  )
}

function SeasonPanel({ titleId, season }: { titleId: string; season: SeasonSummary }) {
  const [open, setOpen] = useState(season.season_number === 1)
  const { data, error, isPending: loading, refetch } = useQuery({ ...catalogQueries.season(titleId, season.season_number), enabled: open })
  const reload = () => void refetch()
  const panelId = `season-${season.season_number}`
  return (
    <Box borderWidth="1px" rounded="md" mb="2">
      <Button
        variant="ghost"
        width="100%"
        justifyContent="space-between"
        aria-expanded={open}
        aria-controls={panelId}
        onClick={() => setOpen((o) => !o)}
      >
        <span>Season {season.season_number}</span>
        <Text as="span" color="fg.muted" fontWeight="normal">
          {season.episode_count} episodes{season.first_year ? ` · ${season.first_year}` : ''}
        </Text>
      </Button>
      {open && (
        <Box id={panelId} px="4" pb="3">
          {error ? (
            <ErrorState error={error} onRetry={reload} />
          ) : loading || !data ? (
            <SkeletonText noOfLines={3} />
          ) : (
            <Box as="ol" listStyleType="none">
              {data.episodes?.map((e) => (
                <Flex as="li" key={e.id} py="1.5" gap="3" borderBottomWidth="1px" _last={{ borderBottomWidth: 0 }}>
                  <Text color="fg.muted" minW="2.5rem">
                    E{e.episode_number}
                  </Text>
                  <RouterLink to={`/title/${e.id}`}>
                    <Text _hover={{ textDecoration: 'underline' }}>{e.title}</Text>
                  </RouterLink>
                  <Text color="fg.muted" ml="auto" fontSize="sm">
                    {e.year}
                    {formatRating(e.rating) ? ` · ★ ${formatRating(e.rating)}` : ''}
                  </Text>
                </Flex>
              ))}
            </Box>
          )}
        </Box>
      )}
    </Box>
  )
}

function TitleSkeleton() {
  return (
    <Flex gap="6" direction={{ base: 'column', md: 'row' }} aria-busy="true" aria-label="Loading title">
      <Skeleton width={{ base: '50%', md: '16rem' }} style={{ aspectRatio: '2 / 3' }} rounded="md" />
      <Box flex="1">
        <Skeleton height="10" width="60%" mb="4" />
        <SkeletonText noOfLines={6} gap="3" />
      </Box>
    </Flex>
  )
}

export default function TitlePage() {
  const { id = '' } = useParams()
  const { data: t, error, isPending: loading, refetch } = useQuery(catalogQueries.title(id))
  const reload = () => void refetch()
  useEffect(() => {
    if (t) document.title = `${t.title}${t.start_year ? ` (${t.start_year})` : ''} — cdlc`
  }, [t])

  if (error instanceof ApiError && error.notFound) return <NotFound what="title" />
  if (error) return <ErrorState error={error} onRetry={reload} page />
  if (loading || !t) return <TitleSkeleton />

  const poster = t.images?.find((i) => i.kind === 'poster')
  const backdrop = t.images?.find((i) => i.kind === 'backdrop')
  const rating = formatRating(t.rating)
  const cast = [...(t.credits?.cast ?? [])].sort((a, b) => (a.order ?? 0) - (b.order ?? 0))
  const crew = crewByDepartment(t.credits?.crew ?? [])
  return (
    <Box as="article">
      {imageURL(backdrop) && (
        <Box mx={{ base: -4, md: 0 }} mb="6" rounded={{ md: 'xl' }} overflow="hidden" maxH="22rem">
          <Artwork src={imageURL(backdrop)} name={t.title} ratio={16 / 9} rounded="none" eager />
        </Box>
      )}
      <Flex gap={{ base: 4, md: 8 }} direction={{ base: 'column', md: 'row' }}>
        <Box width={{ base: '50%', sm: '14rem', md: '16rem' }} flexShrink={0}>
          <Artwork src={imageURL(poster)} name={t.title} eager />
        </Box>
        <Stack gap="4" flex="1" minW="0">
          <Box>
            {t.parent_id && (
              <RouterLink to={`/title/${t.parent_id}`}>
                <Text color="fg.muted" fontSize="sm" _hover={{ textDecoration: 'underline' }}>
                  ← Series{t.season_number ? ` · season ${t.season_number}` : ''}
                  {t.episode_number ? `, episode ${t.episode_number}` : ''}
                </Text>
              </RouterLink>
            )}
            <Heading as="h1" size={{ base: '2xl', md: '4xl' }}>
              {t.title}{' '}
              {t.start_year && (
                <Text as="span" color="fg.muted" fontWeight="normal">
                  ({yearRange(t)})
                </Text>
              )}
            </Heading>
            {t.original_title && t.original_title !== t.title && (
              <Text color="fg.muted">Original title: {t.original_title}</Text>
            )}
            {t.tagline && <Text fontStyle="italic" mt="1">{t.tagline}</Text>}
          </Box>
          <HStack gap="2" wrap="wrap">
            <Badge size="lg" colorPalette={rating ? 'yellow' : 'gray'} aria-label={rating ? `Rated ${rating} out of 10 by ${t.rating?.votes} voters` : 'Not rated yet'}>
              {rating ? `★ ${rating} / 10 · ${t.rating!.votes.toLocaleString()} votes` : 'Not rated yet'}
            </Badge>
            {t.genres?.map((g) => (
              <Badge key={g} asChild variant="outline">
                <RouterLink to={`/search?genre=${encodeURIComponent(g)}`}>{g}</RouterLink>
              </Badge>
            ))}
          </HStack>
          <Box>
            <Heading as="h2" size="md" mb="1">
              Overview
            </Heading>
            <Text color={t.overview ? 'fg' : 'fg.muted'}>{t.overview || 'No overview yet.'}</Text>
          </Box>
          <Facts t={t} />
        </Stack>
      </Flex>

      {t.credits && t.credits.available === false && (
        <Text mt="6" color="fg.muted" role="status">
          Cast and crew are not available right now.
        </Text>
      )}

      {cast.length > 0 && (
        <Box as="section" aria-labelledby="cast-h" mt="10">
          <Heading as="h2" id="cast-h" size="xl" mb="4">
            Cast
          </Heading>
          <SimpleGrid as="ul" listStyleType="none" columns={{ base: 3, sm: 4, md: 6, lg: 8 }} gap="4" data-testid="cast">
            {cast.map((c) => (
              <LinkBox as="li" key={`${c.person_id}-${c.order}`} rounded="md">
                <Artwork name={c.name ?? c.person_id} label="initials" />
                <LinkOverlay asChild>
                  <RouterLink to={`/person/${c.person_id}`}>
                    <Text fontWeight="semibold" fontSize="sm" mt="2">
                      {c.name ?? c.person_id}
                    </Text>
                  </RouterLink>
                </LinkOverlay>
                {c.characters && c.characters.length > 0 && (
                  <Text fontSize="xs" color="fg.muted">
                    {c.characters.join(' / ')}
                  </Text>
                )}
              </LinkBox>
            ))}
          </SimpleGrid>
        </Box>
      )}

      {crew.length > 0 && (
        <Box as="section" aria-labelledby="crew-h" mt="10">
          <Heading as="h2" id="crew-h" size="xl" mb="4">
            Crew
          </Heading>
          <SimpleGrid columns={{ base: 1, sm: 2, md: 3 }} gap="6">
            {crew.map((d) => (
              <Box key={d.department}>
                <Heading as="h3" size="sm" mb="2" color="fg.muted">
                  {titleCase(d.department)}
                </Heading>
                <Box as="ul" listStyleType="none">
                  {d.people.map((p) => (
                    <Box as="li" key={p.person_id} mb="1">
                      <RouterLink to={`/person/${p.person_id}`}>
                        <Text as="span" fontWeight="medium" _hover={{ textDecoration: 'underline' }}>
                          {p.name}
                        </Text>
                      </RouterLink>
                      <Text as="span" color="fg.muted" fontSize="sm">
                        {' '}
                        — {p.jobs.map(titleCase).join(', ')}
                      </Text>
                    </Box>
                  ))}
                </Box>
              </Box>
            ))}
          </SimpleGrid>
        </Box>
      )}

      {t.seasons && t.seasons.length > 0 && (
        <Box as="section" aria-labelledby="seasons-h" mt="10">
          <Heading as="h2" id="seasons-h" size="xl" mb="4">
            Seasons and episodes
          </Heading>
          {t.seasons.map((s) => (
            <SeasonPanel key={s.season_number} titleId={t.id} season={s} />
          ))}
        </Box>
      )}
    </Box>
  )
}
