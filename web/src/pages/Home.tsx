import { Box, Heading, Text } from '@chakra-ui/react'
import { useEffect, useMemo } from 'react'
import { discover, type DiscoverParams } from '../api/catalog'
import { useAsync } from '../hooks/useAsync'
import { TitleRow } from '../components/TitleRow'

const FEATURES = 'movie,series,mini_series,tv_movie'

/** TOP_RATED_VOTES is the fewest votes a title needs for the Top rated row
 * (IMDb's Top 250 asks 25,000): without it a title rated 10 by one voter
 * would lead the row. */
export const TOP_RATED_VOTES = 25000

/** today is the local date, YYYY-MM-DD. */
function today(now = new Date()) {
  const pad = (n: number) => String(n).padStart(2, '0')
  return `${now.getFullYear()}-${pad(now.getMonth() + 1)}-${pad(now.getDate())}`
}

/** homeRows are the home page's rows as of now: New releases are titles
 * already out (an announced film dated next year is not new), newest first. */
export function homeRows(now = new Date()): { heading: string; params: DiscoverParams; hideEmpty?: boolean }[] {
  return [
    { heading: 'Popular', params: { kind: FEATURES, sort: 'popularity.desc', limit: 20 } },
    { heading: 'Top rated', params: { kind: FEATURES, sort: 'rating.desc', votes_min: TOP_RATED_VOTES, limit: 20 } },
    { heading: 'New releases', params: { kind: FEATURES, sort: 'release_date.desc', release_to: today(now), limit: 20 } },
    ...['Drama', 'Crime', 'Sci-Fi', 'Action', 'Comedy', 'Animation'].map((g) => ({
      heading: g,
      params: { kind: FEATURES, genre: g, sort: 'popularity.desc', limit: 20 },
      hideEmpty: true,
    })),
  ]
}

export const HOME_ROWS = homeRows()

function DiscoverRow({ heading, params, hideEmpty, eager }: { heading: string; params: DiscoverParams; hideEmpty?: boolean; eager?: boolean }) {
  const key = JSON.stringify(params)
  const { data, error, loading, reload } = useAsync((signal) => discover(params, signal), [key])
  if (hideEmpty && !loading && !error && data?.results.length === 0) return null
  return <TitleRow heading={heading} titles={data?.results} loading={loading} error={error} onRetry={reload} eager={eager} />
}

export default function Home() {
  const rows = useMemo(() => homeRows(), [])
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
      {rows.map((r, i) => (
        <DiscoverRow key={r.heading} heading={r.heading} params={r.params} hideEmpty={r.hideEmpty} eager={i === 0} />
      ))}
    </Box>
  )
}
