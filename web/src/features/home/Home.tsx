import { Box, Heading, Text } from '@chakra-ui/react'
import { useQuery } from '@tanstack/react-query'
import { useEffect } from 'react'
import { catalogQueries, type DiscoverParams } from '../catalog/api'
import { TitleRow } from '../catalog/TitleRow'

const FEATURES = 'movie,series,mini_series,tv_movie'

/** TOP_RATED_VOTES is the fewest votes a title needs for the Top rated row
 * (IMDb's Top 250 asks 25,000): without it a title rated 10 by one voter
 * would lead the row. */
export const TOP_RATED_VOTES = 25000

/** today is the local date, YYYY-MM-DD. */
export function today(now = new Date()) {
  const pad = (n: number) => String(n).padStart(2, '0')
  return `${now.getFullYear()}-${pad(now.getMonth() + 1)}-${pad(now.getDate())}`
}

/** HOME_ROWS are the home page's rows. New releases are titles already out
 * (an announced film dated next year is not new), newest first. */
export const HOME_ROWS: { heading: string; params: DiscoverParams; hideEmpty?: boolean }[] = [
  { heading: 'Popular', params: { kind: FEATURES, sort: 'popularity.desc', limit: 20 } },
  { heading: 'Top rated', params: { kind: FEATURES, sort: 'rating.desc', votes_min: TOP_RATED_VOTES, limit: 20 } },
  { heading: 'New releases', params: { kind: FEATURES, sort: 'release_date.desc', release_to: today(), limit: 20 } },
  ...['Drama', 'Crime', 'Sci-Fi', 'Action', 'Comedy', 'Animation'].map((g) => ({
    heading: g,
    params: { kind: FEATURES, genre: g, sort: 'popularity.desc', limit: 20 },
    hideEmpty: true,
  })),
]

function DiscoverRow({ heading, params, hideEmpty, eager }: { heading: string; params: DiscoverParams; hideEmpty?: boolean; eager?: boolean }) {
  const { data, error, isPending, refetch } = useQuery(catalogQueries.discover(params))
  const titles = data ? (data.results ?? []) : undefined
  if (hideEmpty && titles?.length === 0) return null
  return <TitleRow heading={heading} titles={titles} loading={isPending} error={error} onRetry={() => void refetch()} eager={eager} />
}

export default function Home() {
  useEffect(() => {
    document.title = 'cdlc — films, series and the people who make them'
  }, [])
  return (
    <Box>
      <Box mb="8">
        <Heading as="h1" size={{ base: '2xl', md: '3xl' }} mb="1">
          What are we watching tonight?
        </Heading>
        <Text color="fg.muted">Films, series and the people who make them.</Text>
      </Box>
      {HOME_ROWS.map((r, i) => (
        <DiscoverRow key={r.heading} heading={r.heading} params={r.params} hideEmpty={r.hideEmpty} eager={i === 0} />
      ))}
    </Box>
  )
}
