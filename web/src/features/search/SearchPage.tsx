import { Box, Button, Flex, Heading, NativeSelect, SimpleGrid, Text, Input, Field } from '@chakra-ui/react'
import { keepPreviousData, useQuery } from '@tanstack/react-query'
import { useEffect, useMemo, useState } from 'react'
import { Link as RouterLink, useSearchParams } from 'react-router'
import { ErrorState } from '../../components/ErrorState'
import { cardTitle, discover, getTitles, GENRES, searchAll, type CardTitle, type MultiHit, type PersonHit } from '../catalog/api'
import { Artwork } from '../catalog/Artwork'
import { TitleCard, TitleCardSkeleton } from '../catalog/TitleCard'

// Every filter lives in the URL (?q=&kind=&genre=&year=&rating=&sort=), so
// results can be shared and the back button restores them.
export interface Filters {
  q: string
  kind: string
  genre: string
  year: string
  rating: string
  sort: string
}

export function readFilters(p: URLSearchParams): Filters {
  return {
    q: p.get('q') ?? '',
    kind: p.get('kind') ?? '',
    genre: p.get('genre') ?? '',
    year: p.get('year') ?? '',
    rating: p.get('rating') ?? '',
    sort: p.get('sort') ?? '',
  }
}

const SORTS = [
  { value: '', label: 'Best match / most popular' },
  { value: 'rating.desc', label: 'Rating, highest first' },
  { value: 'release_date.desc', label: 'Newest first' },
  { value: 'release_date.asc', label: 'Oldest first' },
  { value: 'title.asc', label: 'Title, A–Z' },
]

const KINDS = [
  { value: '', label: 'Everything' },
  { value: 'movie', label: 'Films' },
  { value: 'series', label: 'Series' },
  { value: 'person', label: 'People' },
]

type Result = { type: 'title'; title: CardTitle } | { type: 'person'; person: PersonHit }

/**
 * applyFilters narrows and orders text-search results: titles by kind,
 * genre, year and minimum rating (known from their details), people only
 * when no title-only filter is set.
 */
export function applyFilters(hits: MultiHit[], details: Map<string, CardTitle>, f: Filters): Result[] {
  const titleOnly = !!(f.genre || f.year || f.rating || (f.kind && f.kind !== 'person'))
  const out: Result[] = []
  for (const h of hits) {
    if (h.type === 'person') {
      if (!titleOnly && (!f.kind || f.kind === 'person')) out.push({ type: 'person', person: h.person })
      continue
    }
    if (f.kind === 'person') continue
    const d = details.get(h.title.id) ?? { id: h.title.id, kind: h.title.kind, title: h.title.name, start_year: h.title.year }
    if (f.kind && d.kind !== f.kind && !(f.kind === 'series' && d.kind === 'mini_series')) continue
    if (f.year && String(d.start_year ?? '') !== f.year) continue
    if (f.genre && !(d.genres ?? []).some((g) => g.toLowerCase() === f.genre.toLowerCase())) continue
    if (f.rating && (d.rating?.average ?? 0) < Number(f.rating)) continue
    out.push({ type: 'title', title: d })
  }
  const [field, dir] = f.sort.split('.')
  if (field) {
    const titles = out.filter((r): r is Extract<Result, { type: 'title' }> => r.type === 'title')
    const sign = dir === 'asc' ? 1 : -1
    titles.sort((a, b) => {
      const x = a.title, y = b.title
      if (field === 'rating') return sign * ((x.rating?.average ?? 0) - (y.rating?.average ?? 0))
      if (field === 'release_date') return sign * ((x.start_year ?? 0) - (y.start_year ?? 0))
      return sign * x.title.localeCompare(y.title)
    })
    return [...titles, ...out.filter((r) => r.type === 'person')]
  }
  return out
}

async function runSearch(f: Filters, signal: AbortSignal): Promise<Result[]> {
  if (!f.q) {
    const page = await discover(
      {
        kind: f.kind && f.kind !== 'person' ? f.kind : 'movie,series,mini_series,tv_movie',
        genre: f.genre || undefined,
        year: f.year || undefined,
        rating_min: f.rating || undefined,
        sort: f.sort || 'popularity.desc',
        limit: 60,
      },
      signal,
    )
    return (page.results ?? []).map((t) => ({ type: 'title', title: t }))
  }
  const hits = await searchAll(f.q, 40, signal)
  const ids = hits.flatMap((h) => (h.type === 'title' ? [h.title.id] : []))
  const details = new Map<string, CardTitle>()
  for (const t of await getTitles(ids, signal)) details.set(t.id, cardTitle(t))
  return applyFilters(hits, details, f)
}

function Select({ label, value, onChange, options }: { label: string; value: string; onChange: (v: string) => void; options: { value: string; label: string }[] }) {
  return (
    <Field.Root width="auto" minW="9rem">
      <Field.Label fontSize="xs">{label}</Field.Label>
      <NativeSelect.Root size="sm">
        <NativeSelect.Field value={value} onChange={(e) => onChange(e.currentTarget.value)}>
          {options.map((o) => (
            <option key={o.value} value={o.value}>
              {o.label}
            </option>
          ))}
        </NativeSelect.Field>
        <NativeSelect.Indicator />
      </NativeSelect.Root>
    </Field.Root>
  )
}

function PersonCard({ p }: { p: PersonHit }) {
  return (
    <Box data-testid="person-card">
      <Artwork name={p.name} label="initials" />
      <RouterLink to={`/person/${p.id}`}>
        <Text fontWeight="semibold" fontSize="sm" mt="2" _hover={{ textDecoration: 'underline' }}>
          {p.name}
        </Text>
      </RouterLink>
      <Text fontSize="xs" color="fg.muted">
        {p.professions?.join(', ') || 'Person'}
      </Text>
    </Box>
  )
}

export default function SearchPage() {
  const [params, setParams] = useSearchParams()
  const f = useMemo(() => readFilters(params), [params])
  // The year box is edited freely and written to the URL on blur or
  // submit; a new URL's year replaces what it holds.
  const [year, setYear] = useState(f.year)
  const [urlYear, setUrlYear] = useState(f.year)
  if (urlYear !== f.year) {
    setUrlYear(f.year)
    setYear(f.year)
  }
  useEffect(() => {
    document.title = f.q ? `“${f.q}” — search — cdlc` : 'Browse — cdlc'
  }, [f.q])
  const { data, error, isPending: loading, isFetching, refetch } = useQuery({
    queryKey: ['search', f],
    queryFn: ({ signal }) => runSearch(f, signal),
    // The last results stay, dimmed, while the next filters' arrive.
    placeholderData: keepPreviousData,
  })
  const reload = () => void refetch()

  const set = (k: keyof Filters, v: string) => {
    const next = new URLSearchParams(params)
    if (v) next.set(k, v)
    else next.delete(k)
    setParams(next)
  }

  return (
    <Box>
      <Heading as="h1" size="2xl" mb="4">
        {f.q ? `Results for “${f.q}”` : 'Browse the catalog'}
      </Heading>
      <Flex as="form" aria-label="Filters" gap="3" wrap="wrap" align="end" mb="6" onSubmit={(e) => { e.preventDefault(); set('year', year) }}>
        <Select label="Kind" value={f.kind} onChange={(v) => set('kind', v)} options={KINDS} />
        <Select label="Genre" value={f.genre} onChange={(v) => set('genre', v)} options={[{ value: '', label: 'Any genre' }, ...GENRES.map((g) => ({ value: g, label: g }))]} />
        <Field.Root width="6rem">
          <Field.Label fontSize="xs">Year</Field.Label>
          <Input size="sm" inputMode="numeric" pattern="[0-9]{4}" placeholder="e.g. 1994" value={year} onChange={(e) => setYear(e.target.value)} onBlur={() => year !== f.year && set('year', year)} />
        </Field.Root>
        <Select label="Minimum rating" value={f.rating} onChange={(v) => set('rating', v)} options={[{ value: '', label: 'Any rating' }, ...[9, 8, 7, 6, 5].map((r) => ({ value: String(r), label: `${r}+` }))]} />
        <Select label="Sort by" value={f.sort} onChange={(v) => set('sort', v)} options={SORTS} />
        {(f.kind || f.genre || f.year || f.rating || f.sort) && (
          <Button size="sm" variant="ghost" onClick={() => setParams(f.q ? { q: f.q } : {})}>
            Clear filters
          </Button>
        )}
      </Flex>
      {error ? (
        <ErrorState error={error} onRetry={reload} />
      ) : loading && !data ? (
        <SimpleGrid columns={{ base: 2, sm: 3, md: 4, lg: 6 }} gap="4" aria-busy="true">
          {Array.from({ length: 12 }, (_, i) => (
            <TitleCardSkeleton key={i} />
          ))}
        </SimpleGrid>
      ) : data && data.length === 0 ? (
        <Text color="fg.muted" role="status">
          Nothing matches{f.q ? ` “${f.q}”` : ''} with these filters.
        </Text>
      ) : (
        <>
          <Text color="fg.muted" fontSize="sm" mb="3" role="status">
            {data?.length} result{data?.length === 1 ? '' : 's'}
          </Text>
          <SimpleGrid as="ul" listStyleType="none" columns={{ base: 2, sm: 3, md: 4, lg: 6 }} gap="4" data-testid="results" opacity={isFetching ? 0.6 : 1}>
            {data?.map((r) => (
              <li key={r.type === 'title' ? r.title.id : r.person.id}>
                {r.type === 'title' ? <TitleCard title={r.title} /> : <PersonCard p={r.person} />}
              </li>
            ))}
          </SimpleGrid>
        </>
      )}
    </Box>
  )
}
