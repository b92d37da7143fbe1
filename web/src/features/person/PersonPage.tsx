import { Box, Flex, Heading, Skeleton, SkeletonText, Stack, Text, Badge, HStack } from '@chakra-ui/react'
import { useQuery } from '@tanstack/react-query'
import { useEffect } from 'react'
import { Link as RouterLink, useParams } from 'react-router'
import { ApiError } from '../../api/client'
import { ErrorState } from '../../components/ErrorState'
import NotFound from '../../components/NotFound'
import { cardTitle, catalogQueries, imageURL, KIND_LABEL, type FilmCredit, type Person } from '../catalog/api'
import { Artwork } from '../catalog/Artwork'
import { TitleRow } from '../catalog/TitleRow'

const cap = (s: string) => s.charAt(0).toUpperCase() + s.slice(1).replace(/_/g, ' ')

export interface FilmographyGroup {
  role: string
  years: { year: string; credits: FilmCredit[] }[]
}

/**
 * filmography groups a person's credits by role (acting first, then each
 * crew job) and, within a role, by year, newest first; a title appears once
 * per role, with all its characters.
 */
export function filmography(p: Pick<Person, 'credits'>): FilmographyGroup[] {
  const roles: [string, FilmCredit[]][] = []
  if (p.credits?.cast?.length) roles.push(['Acting', p.credits.cast])
  for (const g of p.credits?.crew ?? []) {
    const name = cap(g.job || g.department)
    const existing = roles.find(([r]) => r === name)
    if (existing) existing[1].push(...(g.credits ?? []))
    else roles.push([name, [...(g.credits ?? [])]])
  }
  return roles.map(([role, credits]) => {
    const byTitle = new Map<string, FilmCredit>()
    for (const c of credits) {
      const seen = byTitle.get(c.title_id)
      if (seen) seen.characters = [...new Set([...(seen.characters ?? []), ...(c.characters ?? [])])]
      else byTitle.set(c.title_id, { ...c })
    }
    const years = new Map<string, FilmCredit[]>()
    for (const c of [...byTitle.values()].sort((a, b) => (b.year ?? 0) - (a.year ?? 0) || (a.title ?? '').localeCompare(b.title ?? ''))) {
      const y = c.year ? String(c.year) : 'Unknown year'
      years.set(y, [...(years.get(y) ?? []), c])
    }
    return { role, years: [...years].map(([year, credits]) => ({ year, credits })) }
  })
}

export function lifeDates(p: Pick<Person, 'birth_date' | 'birth_place' | 'death_date' | 'death_place'>) {
  const parts = []
  if (p.birth_date) parts.push(`Born ${p.birth_date}${p.birth_place ? ` in ${p.birth_place}` : ''}`)
  if (p.death_date) parts.push(`Died ${p.death_date}${p.death_place ? ` in ${p.death_place}` : ''}`)
  return parts.join(' · ')
}

function KnownFor({ ids }: { ids: string[] }) {
  const { data, error, isPending, refetch } = useQuery(catalogQueries.titles(ids))
  return <TitleRow heading="Known for" titles={data?.map(cardTitle)} loading={isPending} error={error} onRetry={() => void refetch()} />
}

export default function PersonPage() {
  const { id = '' } = useParams()
  const { data: p, error, isPending: loading, refetch } = useQuery(catalogQueries.person(id))
  const reload = () => void refetch()
  useEffect(() => {
    if (p) document.title = `${p.name} — cdlc`
  }, [p])

  if (error instanceof ApiError && error.notFound) return <NotFound what="person" />
  if (error) return <ErrorState error={error} onRetry={reload} page />
  if (loading || !p)
    return (
      <Flex gap="6" aria-busy="true" aria-label="Loading person">
        <Skeleton width="12rem" style={{ aspectRatio: '2 / 3' }} rounded="md" />
        <Box flex="1">
          <Skeleton height="10" width="50%" mb="4" />
          <SkeletonText noOfLines={5} />
        </Box>
      </Flex>
    )

  const photo = p.images?.[0]
  const groups = filmography(p)
  const dates = lifeDates(p)
  return (
    <Box as="article">
      <Flex gap={{ base: 4, md: 8 }} direction={{ base: 'column', md: 'row' }}>
        <Box width={{ base: '40%', sm: '12rem', md: '14rem' }} flexShrink={0}>
          <Artwork src={imageURL(photo)} name={p.name} label="initials" eager />
        </Box>
        <Stack gap="3" flex="1" minW="0">
          <Heading as="h1" size={{ base: '2xl', md: '4xl' }}>
            {p.name}
          </Heading>
          {p.professions && p.professions.length > 0 && (
            <HStack wrap="wrap">
              {p.professions.map((x) => (
                <Badge key={x} variant="subtle">
                  {cap(x)}
                </Badge>
              ))}
            </HStack>
          )}
          {dates && <Text color="fg.muted">{dates}</Text>}
          {p.also_known_as && p.also_known_as.length > 0 && (
            <Text fontSize="sm" color="fg.muted">
              Also known as {p.also_known_as.join(', ')}
            </Text>
          )}
          <Box>
            <Heading as="h2" size="md" mb="1">
              Biography
            </Heading>
            <Text whiteSpace="pre-line" color={p.biography ? 'fg' : 'fg.muted'}>
              {p.biography || `We don't have a biography for ${p.name} yet.`}
            </Text>
          </Box>
        </Stack>
      </Flex>

      {p.known_for && p.known_for.length > 0 && (
        <Box mt="10">
          <KnownFor ids={p.known_for} />
        </Box>
      )}

      <Box as="section" aria-labelledby="filmography-h" mt="6">
        <Heading as="h2" id="filmography-h" size="xl" mb="4">
          Filmography
        </Heading>
        {groups.length === 0 && <Text color="fg.muted">No credits yet.</Text>}
        {groups.map((g) => (
          <Box key={g.role} mb="6" data-testid="filmography-group">
            <Heading as="h3" size="md" mb="2">
              {g.role}
            </Heading>
            <Box as="ul" listStyleType="none" borderWidth="1px" rounded="md">
              {g.years.map((y) =>
                y.credits.map((c, i) => (
                  <Flex as="li" key={`${c.title_id}`} gap="4" px="3" py="2" borderTopWidth={i === 0 && y !== g.years[0] ? '1px' : 0}>
                    <Text minW="3.5rem" color="fg.muted" fontVariantNumeric="tabular-nums">
                      {i === 0 ? y.year : ''}
                    </Text>
                    <Box>
                      <RouterLink to={`/title/${c.title_id}`}>
                        <Text as="span" fontWeight="medium" _hover={{ textDecoration: 'underline' }}>
                          {c.title ?? c.title_id}
                        </Text>
                      </RouterLink>
                      {c.kind && c.kind !== 'movie' && (
                        <Text as="span" color="fg.muted" fontSize="sm">
                          {' '}
                          ({KIND_LABEL[c.kind] ?? c.kind})
                        </Text>
                      )}
                      {c.characters && c.characters.length > 0 && (
                        <Text fontSize="sm" color="fg.muted">
                          as {c.characters.join(' / ')}
                        </Text>
                      )}
                    </Box>
                  </Flex>
                )),
              )}
            </Box>
          </Box>
        ))}
      </Box>
    </Box>
  )
}
