// The catalog: titles (inventory), people and credits (actor), search.
import { api, ApiError, query } from './client'

export type Kind = 'movie' | 'series' | 'season' | 'episode' | 'short' | 'tv_movie' | 'mini_series' | string

export interface Rating {
  average: number
  votes: number
}

export interface Image {
  kind?: string
  path: string
  width?: number
  height?: number
  sizes?: string[]
}

export interface TitleSummary {
  id: string
  kind: Kind
  title: string
  start_year?: number
  end_year?: number
  rating?: Rating
  popularity?: number
  poster_path?: string
  genres?: string[]
}

export interface CastCredit {
  person_id: string
  name?: string
  department: string
  job: string
  characters?: string[]
  order: number
  profile_path?: string
}

export interface Season {
  series_id: string
  season_number: number
  episode_count: number
  first_year?: number
  episodes?: Episode[]
}

export interface Episode {
  id: string
  title: string
  season_number: number
  episode_number: number
  year?: number
  rating?: Rating
}

export interface Title extends TitleSummary {
  original_title?: string
  release_date?: string
  runtime_minutes?: number
  overview?: string
  tagline?: string
  status?: string
  original_language?: string
  spoken_languages?: string[]
  countries?: string[]
  parent_id?: string
  season_number?: number
  episode_number?: number
  certifications?: { country: string; rating: string }[]
  images?: Image[]
  seasons?: Season[]
  credits?: { available?: boolean; cast: CastCredit[]; crew: CastCredit[] }
}

export interface PersonCredit {
  title_id: string
  title?: string
  kind?: Kind
  year?: number
  job: string
  department?: string
  characters?: string[]
  order?: number
}

export interface Person {
  id: string
  name: string
  also_known_as?: string[]
  birth_date?: string
  death_date?: string
  birth_place?: string
  death_place?: string
  professions?: string[]
  biography?: string
  known_for?: string[]
  popularity?: number
  images?: Image[]
  credits?: { cast: PersonCredit[]; crew: CrewGroup[] }
}

export interface CrewGroup {
  department: string
  job: string
  credits: PersonCredit[]
}

export interface TitleHit {
  id: string
  kind: Kind
  name: string
  year?: number
  score?: number
}

export interface PersonHit {
  id: string
  name: string
  professions?: string[]
  known_for?: string[]
  score?: number
}

export type MultiHit =
  | { type: 'title'; score: number; title: TitleHit }
  | { type: 'person'; score: number; person: PersonHit }

export interface Page<T> {
  results: T[]
  limit: number
  next_cursor?: string
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

/** imageURL is a usable URL for an image path, or undefined. */
export function imageURL(img?: Image | string): string | undefined {
  const p = typeof img === 'string' ? img : img?.path
  if (!p) return undefined
  if (/^(https?:)?\/\//.test(p) || p.startsWith('/') || p.startsWith('data:')) return p
  return undefined
}

export function discover(p: DiscoverParams, signal?: AbortSignal) {
  return api<Page<TitleSummary>>(`/api/v1/discover/titles${query({ ...p })}`, { signal })
}

export function getTitle(id: string, signal?: AbortSignal) {
  return api<Title>(`/api/v1/titles/${encodeURIComponent(id)}${query({ append: 'credits,images,seasons' })}`, { signal })
}

export function getSeason(id: string, season: number, signal?: AbortSignal) {
  return api<Season>(`/api/v1/titles/${encodeURIComponent(id)}/seasons/${season}`, { signal })
}

export function getPerson(id: string, signal?: AbortSignal) {
  return api<Person>(`/api/v1/people/${encodeURIComponent(id)}${query({ append: 'credits,images' })}`, { signal })
}

export function getTitles(ids: string[], signal?: AbortSignal) {
  if (ids.length === 0) return Promise.resolve({ titles: [] as TitleSummary[] })
  return api<{ titles: TitleSummary[] }>(`/api/v1/titles${query({ ids: ids.join(',') })}`, { signal })
}

// Until the gateway serves /api/v1/search/multi, the app asks the two
// searches in parallel and merges them by score: the same result shape.
async function multiOrFallback(
  path: string,
  q: string,
  limit: number,
  fallback: () => Promise<[Page<TitleHit>, Page<PersonHit>]>,
  signal?: AbortSignal,
): Promise<MultiHit[]> {
  try {
    const r = await api<{ results: MultiHit[] }>(`${path}${query({ q, limit })}`, { signal })
    return r.results ?? []
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
  return multiOrFallback('/api/v1/search/multi/autocomplete', q, limit, () =>
    Promise.all([
      api<Page<TitleHit>>(`/api/v1/search/titles/autocomplete${query({ q, limit })}`, { signal }),
      api<Page<PersonHit>>(`/api/v1/search/people${query({ q, limit, autocomplete: 'true' })}`, { signal }),
    ]), signal)
}

export function searchAll(q: string, limit = 40, signal?: AbortSignal): Promise<MultiHit[]> {
  return multiOrFallback('/api/v1/search/multi', q, limit, () =>
    Promise.all([
      api<Page<TitleHit>>(`/api/v1/search/titles${query({ q, limit })}`, { signal }),
      api<Page<PersonHit>>(`/api/v1/search/people${query({ q, limit })}`, { signal }),
    ]), signal)
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
