import { Box, Input, Text, Spinner, chakra } from '@chakra-ui/react'
import { keepPreviousData, useQuery } from '@tanstack/react-query'
import { useId, useRef, useState, type KeyboardEvent } from 'react'
import { useNavigate, useLocation } from 'react-router'
import { errorMessage } from '../../api/client'
import { catalogQueries, KIND_LABEL, type MultiHit } from '../catalog/api'
import { useDebounced } from './useDebounced'

export const AUTOCOMPLETE_DELAY_MS = 150

function hitPath(h: MultiHit) {
  return h.type === 'title' ? `/title/${h.title.id}` : `/person/${h.person.id}`
}

function hitKey(h: MultiHit) {
  return h.type === 'title' ? `t:${h.title.id}` : `p:${h.person.id}`
}

/**
 * SearchBox is the header's search: suggestions of titles and people as
 * you type (debounced), navigable with the arrow keys (ARIA combobox with a
 * listbox), Enter opens the highlighted one or the full results.
 */
export function SearchBox() {
  const navigate = useNavigate()
  const location = useLocation()
  const id = useId()
  const listId = `${id}-list`
  const [text, setText] = useState(() => new URLSearchParams(location.search).get('q') ?? '')
  const [open, setOpen] = useState(false)
  const [active, setActive] = useState(-1)
  const q = useDebounced(text.trim(), AUTOCOMPLETE_DELAY_MS)
  const boxRef = useRef<HTMLDivElement>(null)

  // A new address (a search from elsewhere, the back button) shows its
  // query and closes the list: state adjusted while rendering, as React
  // advises for state that follows a prop.
  const [seen, setSeen] = useState(location.key)
  if (seen !== location.key) {
    setSeen(location.key)
    if (location.pathname === '/search') setText(new URLSearchParams(location.search).get('q') ?? '')
    setOpen(false)
  }

  const suggest = useQuery({ ...catalogQueries.autocomplete(q), enabled: q.length >= 2, placeholderData: keepPreviousData })
  const hits: MultiHit[] = q.length >= 2 && !suggest.error ? (suggest.data ?? []) : []
  const error = q.length >= 2 && suggest.error ? errorMessage(suggest.error) : undefined
  const loading = suggest.isFetching

  const showList = open && text.trim().length >= 2 && (hits.length > 0 || !!error || (!loading && q === text.trim()))

  const go = (path: string) => {
    setOpen(false)
    setActive(-1)
    navigate(path)
  }

  const onKeyDown = (e: KeyboardEvent<HTMLInputElement>) => {
    switch (e.key) {
      case 'ArrowDown':
        e.preventDefault()
        setOpen(true)
        setActive((a) => (hits.length ? (a + 1) % hits.length : -1))
        break
      case 'ArrowUp':
        e.preventDefault()
        setActive((a) => (hits.length ? (a <= 0 ? hits.length - 1 : a - 1) : -1))
        break
      case 'Enter':
        e.preventDefault()
        if (showList && active >= 0 && hits[active]) go(hitPath(hits[active]))
        else if (text.trim()) go(`/search?q=${encodeURIComponent(text.trim())}`)
        break
      case 'Escape':
        if (open) {
          e.preventDefault()
          setOpen(false)
          setActive(-1)
        }
        break
    }
  }

  return (
    <Box
      ref={boxRef}
      position="relative"
      width="100%"
      role="search"
      onBlur={(e) => {
        if (!boxRef.current?.contains(e.relatedTarget as Node)) setOpen(false)
      }}
    >
      <Input
        type="text"
        enterKeyHint="search"
        placeholder="Search titles and people"
        aria-label="Search titles and people"
        role="combobox"
        aria-autocomplete="list"
        aria-expanded={showList}
        aria-controls={listId}
        aria-activedescendant={showList && active >= 0 ? `${id}-opt-${active}` : undefined}
        autoComplete="off"
        value={text}
        onChange={(e) => {
          setText(e.target.value)
          setActive(-1)
          setOpen(true)
        }}
        onFocus={() => setOpen(true)}
        onKeyDown={onKeyDown}
        bg="bg"
        size="sm"
      />
      {loading && open && (
        <Spinner size="xs" position="absolute" right="8" top="2.5" aria-label="Searching" />
      )}
      <chakra.ul
        id={listId}
        role="listbox"
        aria-label="Suggestions"
        hidden={!showList}
        position="absolute"
        zIndex="dropdown"
        top="100%"
        mt="1"
        left="0"
        right="0"
        bg="bg.panel"
        borderWidth="1px"
        rounded="md"
        shadow="lg"
        py="1"
        listStyleType="none"
        maxH="70vh"
        overflowY="auto"
      >
        {error && (
          <Text as="li" role="option" aria-disabled="true" aria-selected={false} px="3" py="2" color="feedback.error" fontSize="sm">
            {error}
          </Text>
        )}
        {!error && hits.length === 0 && (
          <Text as="li" role="option" aria-disabled="true" aria-selected={false} px="3" py="2" color="fg.muted" fontSize="sm">
            No matches for “{text.trim()}”
          </Text>
        )}
        {hits.map((h, i) => (
          <chakra.li
            key={hitKey(h)}
            id={`${id}-opt-${i}`}
            role="option"
            aria-selected={i === active}
            px="3"
            py="2"
            cursor="pointer"
            bg={i === active ? 'bg.emphasized' : undefined}
            _hover={{ bg: 'bg.muted' }}
            onMouseDown={(e) => e.preventDefault()}
            onClick={() => go(hitPath(h))}
            onMouseEnter={() => setActive(i)}
            display="flex"
            justifyContent="space-between"
            gap="3"
            fontSize="sm"
          >
            {h.type === 'title' ? (
              <>
                <span>
                  {h.title.name}
                  {h.title.year ? <chakra.span color="fg.muted"> ({h.title.year})</chakra.span> : null}
                </span>
                <chakra.span color="fg.muted">{KIND_LABEL[h.title.kind] ?? h.title.kind}</chakra.span>
              </>
            ) : (
              <>
                <span>{h.person.name}</span>
                <chakra.span color="fg.muted">{h.person.professions?.[0] ?? 'Person'}</chakra.span>
              </>
            )}
          </chakra.li>
        ))}
      </chakra.ul>
    </Box>
  )
}
