// The catalog: titles (inventory), people and credits (actor), search,
// as TanStack Query options (key + fetch) over the typed client.
import { queryOptions } from '@tanstack/react-query'
import { ApiError, call, clean, client, type Schemas } from '../../api/client'

export type TitleView = Schemas['InventoryTitleView']
export type ListedTitle = Schemas['InventoryListed']
export type Season = Schemas['InventorySeasonDetails']
export type SeasonSummary = Schemas['InventorySeason']
export type Credit = Schemas['ActorCredit']
export type Person = Schemas['ActorDetails']
export type FilmCredit = Schemas['ActorFilmCredit']
export type TitleHit = Schemas['InventorySearchHit']
export type PersonHit = Schemas['ActorPersonHit']
export type Image = Schemas['InventoryImage'] | Schemas['ActorImage']

/**
 * CardTitle is what a poster card shows, from a discover page (which
 * names the poster) or from a title's details (whose poster is among its
 * images): see cardTitle.
 */
export interface CardTitle {
  id: string
  kind: string
  title: string
  start_year?: number
  end_year?: number
  rating?: Schemas['InventoryRating']
  poster?: string
  genres?: string[] | null
}

/** cardTitle is a title's details as a card shows them. */
export function cardTitle(t: TitleView): CardTitle {
  return {
    id: t.id,
    kind: t.kind,
    title: t.title,
    start_year: t.start_year,
    end_year: t.end_year,
    rating: t.rating,
    poster: t.images?.find((i) => i.kind === 'poster')?.path,
    genres: t.genres,
  }
}

/** A search hit, narrowed by its type to the part it carries. */
export type MultiHit = { type: 'title'; score: number; title: TitleHit } | { type: 'person'; score: number; person: PersonHit }

function narrow(hits: Schemas['InventoryMultiHit'][] | null | undefined): MultiHit[] {
  const out: MultiHit[] = []
  for (const h of hits ?? []) {
    if (h.type === 'title' && h.title) out.push({ type: 'title', score: h.score, title: h.title })
    else if (h.type === 'person' && h.person) out.push({ type: 'person', score: h.score, person: h.person })
  }
  return out
}

export interface DiscoverParams {
  kind?: string
  genre?: string
  year?: string | number
  rating_min?: string | number
  sort?: string
  limit?: number
  cursor?: string
  votes_min?: number
  /** release_to keeps titles released on or before this date (YYYY-MM-DD). */
  release_to?: string
}

// The server takes these as strings (it parses and checks them itself).
const str = (v: string | number | undefined) => (v === undefined ? undefined : String(v))

/** imageURL is a usable URL for an image path, or undefined. */
export function imageURL(img?: { path: string } | string): string | undefined {
  const p = typeof img === 'string' ? img : img?.path
  if (!p) return undefined
  if (/^(https?:)?\/\//.test(p) || p.startsWith('/') || p.startsWith('data:')) return p
  return undefined
}

export function discover(p: DiscoverParams, signal?: AbortSignal) {
  const query = clean({ ...p, year: str(p.year), rating_min: str(p.rating_min), limit: str(p.limit), votes_min: str(p.votes_min) })
  return call(client.GET('/api/v1/discover/titles', { params: { query }, signal }))
}

export function getTitle(id: string, signal?: AbortSignal) {
  return call(client.GET('/api/v1/titles/{id}', { params: { path: { id }, query: { append: 'credits,images,seasons' } }, signal }))
}

export function getSeason(id: string, season: number, signal?: AbortSignal) {
  return call(client.GET('/api/v1/titles/{id}/seasons/{season}', { params: { path: { id, season } }, signal }))
}

export function getPerson(id: string, signal?: AbortSignal) {
  return call(client.GET('/api/v1/people/{id}', { params: { path: { id }, query: { append: 'credits,images' } }, signal }))
}

export async function getTitles(ids: string[], signal?: AbortSignal): Promise<TitleView[]> {
  if (ids.length === 0) return []
  const r = await call(client.GET('/api/v1/titles', { params: { query: { ids: ids.join(',') } }, signal }))
  return r.titles ?? []
}

// Until the gateway serves /api/v1/search/multi, the app asks the two
// searches in parallel and merges them by score: the same result shape.
async function multiOrFallback(
  multi: () => Promise<Schemas['InventoryMultiResult']>,
  limit: number,
  fallback: () => Promise<[Schemas['SearchOutBody2'], Schemas['SearchOutBody']]>,
): Promise<MultiHit[]> {
  try {
    return narrow((await multi()).results)
  } catch (e) {
    if (!(e instanceof ApiError) || (e.status !== 404 && e.status !== 405)) throw e
  }
  const [titles, people] = await fallback()
  const hits: MultiHit[] = [
    ...(titles.results ?? []).map((t) => ({ type: 'title' as const, score: t.score ?? 0, title: t })),
    ...(people.results ?? []).map((p) => ({ type: 'person' as const, score: p.score ?? 0, person: p })),
  ]
  hits.sort((a, b) => b.score - a.score)
  return hits.slice(0, limit)
}

export function autocomplete(q: string, limit = 8, signal?: AbortSignal): Promise<MultiHit[]> {
  const query = { q, limit: String(limit) }
  return multiOrFallback(
    () => call(client.GET('/api/v1/search/multi/autocomplete', { params: { query }, signal })),
    limit,
    () =>
      Promise.all([
        call(client.GET('/api/v1/search/titles/autocomplete', { params: { query }, signal })),
        call(client.GET('/api/v1/search/people', { params: { query: { q, limit, autocomplete: true } }, signal })),
      ]),
  )
}

export function searchAll(q: string, limit = 40, signal?: AbortSignal): Promise<MultiHit[]> {
  const query = { q, limit: String(limit) }
  return multiOrFallback(
    () => call(client.GET('/api/v1/search/multi', { params: { query }, signal })),
    limit,
    () =>
      Promise.all([
        call(client.GET('/api/v1/search/titles', { params: { query }, signal })),
        call(client.GET('/api/v1/search/people', { params: { query: { q, limit } }, signal })),
      ]),
  )
}

/** Query options of the catalog's reads: one key per resource. */
export const catalogQueries = {
  discover: (p: DiscoverParams) => queryOptions({ queryKey: ['discover', p], queryFn: ({ signal }) => discover(p, signal) }),
  title: (id: string) => queryOptions({ queryKey: ['title', id], queryFn: ({ signal }) => getTitle(id, signal) }),
  season: (id: string, season: number) =>
    queryOptions({ queryKey: ['title', id, 'season', season], queryFn: ({ signal }) => getSeason(id, season, signal) }),
  person: (id: string) => queryOptions({ queryKey: ['person', id], queryFn: ({ signal }) => getPerson(id, signal) }),
  titles: (ids: string[]) => queryOptions({ queryKey: ['titles', ids], queryFn: ({ signal }) => getTitles(ids, signal) }),
  autocomplete: (q: string) => queryOptions({ queryKey: ['autocomplete', q], queryFn: ({ signal }) => autocomplete(q, 8, signal) }),
}

export const KIND_LABEL: Record<string, string> = {
  movie: 'Film',
  series: 'Series',
  mini_series: 'Mini-series',
  tv_movie: 'TV film',
  short: 'Short',
  season: 'Season',
  episode: 'Episode',
}

export const GENRES = [
  'Action', 'Adventure', 'Animation', 'Biography', 'Comedy', 'Crime', 'Documentary', 'Drama', 'Family',
  'Fantasy', 'History', 'Horror', 'Music', 'Mystery', 'Romance', 'Sci-Fi', 'Thriller', 'War', 'Western',
]
