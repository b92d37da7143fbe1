import { useEffect, useState, type DependencyList } from 'react'

export interface AsyncState<T> {
  data?: T
  error?: unknown
  loading: boolean
}

/**
 * useAsync runs fn whenever deps change, aborting the previous run, and
 * returns its latest result. A stale answer never overwrites a newer one.
 */
export function useAsync<T>(fn: (signal: AbortSignal) => Promise<T>, deps: DependencyList, enabled = true): AsyncState<T> & { reload: () => void } {
  const [state, setState] = useState<AsyncState<T>>({ loading: enabled })
  const [tick, setTick] = useState(0)
  useEffect(() => {
    if (!enabled) {
      setState({ loading: false })
      return
    }
    const ctl = new AbortController()
    setState((s) => ({ data: s.data, loading: true }))
    fn(ctl.signal).then(
      (data) => {
        if (!ctl.signal.aborted) setState({ data, loading: false })
      },
      (error) => {
        if (!ctl.signal.aborted) setState({ error, loading: false })
      },
    )
    return () => ctl.abort()
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [...deps, enabled, tick])
  return { ...state, reload: () => setTick((t) => t + 1) }
}
