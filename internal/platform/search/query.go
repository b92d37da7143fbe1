package search

import (
	"bytes"
	"container/heap"
	"context"
	"math"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/cockroachdb/pebble/v2"

	"github.com/cdlc/cdlc/internal/platform/errs"
)

// Tuning of the search; see the package doc for the scoring formula.
const (
	// maxPrefixTerms is how many completions of an autocomplete prefix are
	// read as separate posting lists; a prefix with more is "broad" and is
	// answered from the popularity list instead, where its matches are dense.
	maxPrefixTerms = 256
	// scanBudget bounds the postings one search examines. Early termination
	// usually stops far sooner; the budget is the worst case for a very
	// common word under a very selective filter, where the hits returned
	// are then the best among the most popular candidates.
	scanBudget = 40_000
	// broadBudget is the budget when the popularity list drives a broad
	// prefix: autocomplete of one or two letters wants the most popular
	// completions, and a rare prefix has few enough completions to be
	// listed instead.
	broadBudget = 15_000
	// autocompleteBudget is the budget of an autocomplete query that lists
	// its completions: a keystroke's answer is refined by the next one, and
	// when popularity does not separate the candidates (people imported
	// without one) early termination cannot stop the scan of a common
	// first name's postings.
	autocompleteBudget = 5_000

	qualityExact  = 1.0
	qualityPrefix = 0.85
	popWeight     = 0.1
	// normWeight is the weight of the popularity share in Hit.Normalized.
	normWeight = 0.5
	normRange  = 1000
)

var typoQuality = [...]float64{qualityExact, 0.75, 0.5}

// qterm is one query word and every vocabulary term it may match.
type qterm struct {
	text   string
	prefix bool               // the last word of an autocomplete query
	cands  map[string]float64 // vocabulary term -> match quality
	df     int64              // postings of all candidates together
	broad  bool               // a prefix with too many completions to list
	// lazy: the word is in the vocabulary as typed and does not drive the
	// search, so its typo variants are not listed from the vocabulary
	// (a walk per word) but found among each candidate's own terms by edit
	// distance, remembered in memo. cands holds the word itself.
	lazy  bool
	runes []rune
	k     int
	memo  map[string]float64
}

// quality is how well the document term t matches the word: 0 for not at
// all. t is a slice of the payload: the map lookups by string(t) do not
// copy it; only a lazy word's first sight of a term does.
func (q *qterm) quality(t []byte) float64 {
	if v, ok := q.cands[string(t)]; ok {
		return v
	}
	if q.lazy {
		if v, ok := q.memo[string(t)]; ok {
			return v
		}
		v := 0.0
		if d := distanceWithin(q.runes, string(t), q.k); d >= 0 {
			v = typoQuality[d]
		}
		q.memo[string(t)] = v
		return v
	}
	if q.broad && bytes.HasPrefix(t, []byte(q.text)) {
		if string(t) == q.text {
			return qualityExact
		}
		return qualityPrefix
	}
	return 0
}

// Search implements Index.
func (e *embedded) Search(ctx context.Context, q Query) ([]Hit, error) {
	if err := validateQuery(q); err != nil {
		return nil, err
	}
	words := Terms(q.Text)
	if len(words) == 0 {
		return []Hit{}, nil
	}
	if len(words) > maxQueryTerms {
		words = words[:maxQueryTerms]
	}
	limit := q.Limit
	if limit == 0 {
		limit = DefaultLimit
	}
	limit = min(limit, MaxLimit)
	var hits []Hit
	err := e.use(func() error {
		snap := e.db.NewSnapshot()
		defer snap.Close()
		s := &searcher{ctx: ctx, snap: snap, q: q, limit: limit}
		var err error
		hits, err = s.run(words)
		return err
	})
	return hits, err
}

// searcher runs one query against one snapshot.
type searcher struct {
	ctx   context.Context
	snap  *pebble.Snapshot
	q     Query
	limit int
	terms []*qterm
	kinds map[string]bool
	broad bool // driven by the popularity list
	// top is the highest popularity in the index, the scale of
	// Hit.Normalized.
	top float64
}

// maxRelevance bounds the relevance of any document for this query: every
// word matched by its best candidate, the whole name covered.
func (s *searcher) maxRelevance() float64 {
	sum := 0.0
	for _, qt := range s.terms {
		best := 0.0
		if qt.broad {
			best = qualityExact
		}
		for _, q := range qt.cands {
			best = max(best, q)
		}
		sum += best
	}
	return 0.6*sum/float64(len(s.terms)) + 0.4
}

func (s *searcher) run(words []string) ([]Hit, error) {
	vocab, err := s.snap.NewIter(&pebble.IterOptions{LowerBound: []byte{prefixVocab}, UpperBound: []byte{prefixVocab + 1}})
	if err != nil {
		return nil, errs.Unavailable(err, "search: read vocabulary")
	}
	for i, w := range words {
		qt := &qterm{text: w, prefix: s.q.Autocomplete && i == len(words)-1, cands: make(map[string]float64)}
		// A word found as typed is required whatever its typo variants:
		// look it up with one seek and list the variants only if it ends
		// up driving the search. A word not found as typed (a typo, or a
		// stray word) is expanded now, to learn whether it matches at all.
		if k := maxTypos(w); !qt.prefix && k > 0 {
			if vocab.SeekGE(append([]byte{prefixVocab}, w...)) && string(vocab.Key()[1:]) == w {
				if df := decodeCounter(vocab.Value()); df > 0 {
					qt.cands[w], qt.df = qualityExact, df
					qt.lazy, qt.runes, qt.k, qt.memo = true, []rune(w), k, make(map[string]float64)
					s.terms = append(s.terms, qt)
					continue
				}
			}
		}
		if err := s.expand(vocab, qt); err != nil {
			vocab.Close()
			return nil, err
		}
		// A word that matches nothing anywhere cannot be required, or one
		// stray word would hide every good hit.
		if len(qt.cands) > 0 || qt.broad {
			s.terms = append(s.terms, qt)
		}
	}
	if len(s.terms) == 0 {
		vocab.Close()
		return []Hit{}, nil
	}
	// Drive the search from the rarest word: its postings are the fewest
	// candidates, and every other word is checked against each candidate's
	// terms in the payload. A lazy word's count is of the word as typed
	// only; its variants rarely add many.
	var driver *qterm
	for _, t := range s.terms {
		if !t.broad && (driver == nil || t.df < driver.df) {
			driver = t
		}
	}
	if driver != nil && driver.lazy {
		// The driver's postings are read term by term: list its variants.
		driver.lazy, driver.memo = false, nil
		driver.df = 0
		delete(driver.cands, driver.text)
		if err := s.expand(vocab, driver); err != nil {
			vocab.Close()
			return nil, err
		}
	}
	if err := vocab.Close(); err != nil {
		return nil, errs.Unavailable(err, "search: read vocabulary")
	}
	if err := s.readTop(); err != nil {
		return nil, err
	}
	if len(s.q.Kinds) > 0 {
		s.kinds = make(map[string]bool, len(s.q.Kinds))
		for _, k := range s.q.Kinds {
			s.kinds[k] = true
		}
	}

	st := &stream{}
	defer st.close()
	if driver == nil {
		s.broad = true
		if err := st.add(s.snap, []byte{prefixRank}, []byte{prefixRank + 1}); err != nil {
			return nil, err
		}
	} else {
		for t := range driver.cands {
			lo := append(append([]byte{prefixPosting}, t...), 0)
			hi := append(append([]byte{prefixPosting}, t...), 1)
			if err := st.add(s.snap, lo, hi); err != nil {
				return nil, err
			}
		}
	}
	return s.collect(st)
}

// readTop reads the highest popularity of the index: the first key of the
// popularity list.
func (s *searcher) readTop() error {
	it, err := s.snap.NewIter(&pebble.IterOptions{LowerBound: []byte{prefixRank}, UpperBound: []byte{prefixRank + 1}})
	if err != nil {
		return errs.Unavailable(err, "search: read popularity")
	}
	if it.First() && len(it.Key()) > rankLen {
		s.top = popOf(it.Key()[1 : 1+rankLen])
	}
	err = it.Close()
	if err != nil {
		return errs.Unavailable(err, "search: read popularity")
	}
	return nil
}

// normalized is Hit.Normalized of a document of this relevance and
// popularity: the popularity share is ln(1 + 1000*pop/top) / ln(1001),
// which depends only on pop/top (so not on the index's units) and, being
// logarithmic over three decades, still tells a film with a tenth of the
// top's votes from one with a thousandth.
func (s *searcher) normalized(rel, pop float64) float64 {
	share := 0.0
	if s.top > 0 {
		share = min(math.Log1p(normRange*pop/s.top)/math.Log1p(normRange), 1)
	}
	return rel * (1 + normWeight*share)
}

// expand fills qt.cands from the vocabulary: the word itself, its typo
// variants, and for a prefix word its completions.
func (s *searcher) expand(vocab *pebble.Iterator, qt *qterm) error {
	add := func(term string, quality float64, df int64) {
		if df <= 0 {
			return
		}
		if old, ok := qt.cands[term]; ok {
			if quality > old {
				qt.cands[term] = quality
			}
			return
		}
		qt.cands[term] = quality
		qt.df += df
	}
	k := maxTypos(qt.text)
	if k == 0 {
		if vocab.SeekGE(append([]byte{prefixVocab}, qt.text...)) && string(vocab.Key()[1:]) == qt.text {
			add(qt.text, qualityExact, decodeCounter(vocab.Value()))
		}
	} else {
		walkTypos(vocab, []rune(qt.text), k, func(term string, dist int, df int64) {
			add(term, typoQuality[dist], df)
		})
	}
	if err := vocab.Error(); err != nil {
		return errs.Unavailable(err, "search: read vocabulary")
	}
	if !qt.prefix {
		return nil
	}
	lo := append([]byte{prefixVocab}, qt.text...)
	n := 0
	for ok := vocab.SeekGE(lo); ok && bytes.HasPrefix(vocab.Key(), lo); ok = vocab.Next() {
		if n++; n > maxPrefixTerms {
			qt.broad = true
			break
		}
		term := string(vocab.Key()[1:])
		q := qualityPrefix
		if term == qt.text {
			q = qualityExact
		}
		add(term, q, decodeCounter(vocab.Value()))
	}
	if qt.broad {
		// Completions are checked by prefix instead of listed; keep the
		// typo variants, which a prefix check would miss.
		for t, q := range qt.cands {
			if strings.HasPrefix(t, qt.text) && q < qualityExact {
				delete(qt.cands, t)
			}
		}
	}
	if err := vocab.Error(); err != nil {
		return errs.Unavailable(err, "search: read vocabulary")
	}
	return nil
}

// distanceWithin returns the optimal string alignment distance between q
// and t (insert, delete, substitute, swap adjacent: the distance walkTypos
// uses), or -1 when it is more than k. Rows stop early once every cell
// exceeds k.
func distanceWithin(q []rune, t string, k int) int {
	var buf [64]rune
	var tr []rune
	if len(t) <= len(buf) { // a rune takes at least a byte
		tr = buf[:0]
		for _, r := range t {
			tr = append(tr, r)
		}
	} else {
		tr = []rune(t)
	}
	n, m := len(q), len(tr)
	if n-m > k || m-n > k {
		return -1
	}
	var rowsBuf [3][32]int
	var prev2, prev, cur []int
	if n+1 <= len(rowsBuf[0]) {
		prev2, prev, cur = rowsBuf[0][:n+1], rowsBuf[1][:n+1], rowsBuf[2][:n+1]
	} else {
		prev2, prev, cur = make([]int, n+1), make([]int, n+1), make([]int, n+1)
	}
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= m; i++ {
		r := tr[i-1]
		cur[0] = i
		best := cur[0]
		for j := 1; j <= n; j++ {
			cost := 1
			if q[j-1] == r {
				cost = 0
			}
			v := min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
			if i > 1 && j > 1 && r == q[j-2] && tr[i-2] == q[j-1] {
				v = min(v, prev2[j-2]+1)
			}
			cur[j] = v
			best = min(best, v)
		}
		if best > k {
			return -1
		}
		prev2, prev, cur = prev, cur, prev2
	}
	if prev[n] > k {
		return -1
	}
	return prev[n]
}

// skipSteps is how many vocabulary terms walkTypos steps over before it
// seeks past an abandoned branch instead.
const skipSteps = 8

// walkTypos visits every vocabulary term within k edits of q (optimal string
// alignment: insert, delete, substitute, swap adjacent), by walking the
// sorted vocabulary as a trie: each node is found with one seek, and a branch
// is abandoned as soon as no word under it can come within k edits. The
// cost depends on k and the query, barely on the vocabulary size.
func walkTypos(it *pebble.Iterator, q []rune, k int, visit func(term string, dist int, df int64)) {
	n := len(q)
	row := make([]int, n+1)
	for j := range row {
		row[j] = j
	}
	// rec expects the iterator on the first vocabulary key under prefix and
	// leaves it on the first key after the subtree, so that a child reached
	// by recursion needs no seek at all; only abandoned branches are skipped
	// with one.
	// rows[d] is the row of the node at depth d: a child's row is written
	// over its previous sibling's, which the walk is done with.
	rows := [][]int{row}
	var rec func(prefix []byte, prevRow, row []int, last rune, depth int)
	rec = func(prefix []byte, prevRow, row []int, last rune, depth int) {
		if len(rows) == depth+1 {
			rows = append(rows, make([]int, n+1))
		}
		next := rows[depth+1]
		key := append([]byte{prefixVocab}, prefix...)
		ok := it.Valid()
		for ok && bytes.HasPrefix(it.Key(), key) {
			rest := it.Key()[len(key):]
			if len(rest) == 0 {
				if row[n] <= k {
					visit(string(prefix), row[n], decodeCounter(it.Value()))
				}
				ok = it.Next()
				continue
			}
			r, size := utf8.DecodeRune(rest)
			child := append(slices.Clip(prefix), rest[:size]...)
			next[0] = row[0] + 1
			best := next[0]
			for j := 1; j <= n; j++ {
				cost := 1
				if q[j-1] == r {
					cost = 0
				}
				v := min(row[j]+1, next[j-1]+1, row[j-1]+cost)
				if j > 1 && prevRow != nil && r == q[j-2] && last == q[j-1] {
					v = min(v, prevRow[j-2]+1)
				}
				next[j] = v
				best = min(best, v)
			}
			if best <= k {
				rec(child, row, next, r, depth+1)
				ok = it.Valid()
				continue
			}
			// Skip the branch. Deep branches hold a few terms: stepping
			// past them costs less than a seek, which is kept for the
			// wide ones (0xff sorts after every byte of UTF-8).
			ck := append(slices.Clip(key), rest[:size]...)
			ok = it.Next()
			for steps := 0; ok && bytes.HasPrefix(it.Key(), ck); steps++ {
				if steps == skipSteps {
					ok = it.SeekGE(append(ck, 0xff))
					break
				}
				ok = it.Next()
			}
		}
	}
	it.SeekGE([]byte{prefixVocab})
	rec(nil, nil, row, 0, 0)
}

// collect reads candidates in descending popularity and keeps the best
// s.limit, stopping when no unread candidate can score higher than the
// worst kept hit.
func (s *searcher) collect(st *stream) ([]Hit, error) {
	top := &hitHeap{}
	// One document can be in several lists: its postings there have the
	// same suffix (its rank, then its ID), so the merged stream returns
	// them one after another and the previous suffix is all to remember.
	dedup := len(st.its) > 1
	var last []byte
	budget := scanBudget
	switch {
	case s.broad:
		budget = broadBudget
	case s.q.Autocomplete:
		budget = autocompleteBudget
	}
	maxRel := s.maxRelevance()
	for examined := 0; examined < budget; examined++ {
		if examined%1024 == 1023 {
			if err := s.ctx.Err(); err != nil {
				return nil, err
			}
		}
		suffix, value, ok := st.next()
		if !ok {
			break
		}
		if len(suffix) < rankLen {
			return nil, errCorrupt("posting")
		}
		pop := popOf(suffix[:rankLen])
		if top.Len() == s.limit && (*top)[0].Score >= maxRel*bound(pop) {
			break
		}
		if dedup {
			if bytes.Equal(suffix, last) {
				continue
			}
			last = append(last[:0], suffix...)
		}
		r := payloadReader{b: value}
		kind := r.bytes()
		year := r.uvarint()
		if r.err {
			return nil, errCorrupt("payload")
		}
		if s.kinds != nil && !s.kinds[string(kind)] {
			continue
		}
		if (s.q.YearFrom != 0 && year < s.q.YearFrom) || (s.q.YearTo != 0 && (year == 0 || year > s.q.YearTo)) {
			continue
		}
		name := r.bytes()
		rel, ok := s.relevance(&r)
		if r.err {
			return nil, errCorrupt("payload")
		}
		if !ok {
			continue
		}
		score := rel * (1 + popWeight*math.Log1p(pop))
		id := suffix[rankLen:]
		if top.Len() == s.limit && !better(score, id, (*top)[0]) {
			continue
		}
		h := Hit{ID: string(id), Kind: string(kind), Name: string(name), Year: year, Score: score, Normalized: s.normalized(rel, pop)}
		if top.Len() == s.limit {
			(*top)[0] = h
			heap.Fix(top, 0)
		} else {
			heap.Push(top, h)
		}
	}
	if err := st.err(); err != nil {
		return nil, errs.Unavailable(err, "search: read postings")
	}
	hits := make([]Hit, top.Len())
	for i := len(hits) - 1; i >= 0; i-- {
		hits[i] = heap.Pop(top).(Hit)
	}
	return hits, nil
}

// bound is the best score a document of this popularity can reach.
func bound(pop float64) float64 { return 1 + popWeight*math.Log1p(pop) }

// relevance scores a candidate whose payload r is positioned after the
// display name, or reports false when some query word does not match it.
// Each name is scored on its own, so that "the godfather p" prefers "The
// Godfather Part II" to "The Godfather" with its aka "Il padrino"; the best
// name counts. Words spread over several names still match, ranked below.
func (s *searcher) relevance(r *payloadReader) (float64, bool) {
	nNames := r.uvarint()
	if r.err || nNames > maxNames {
		r.err = true
		return 0, false
	}
	var nameTerms [maxNames]int
	for i := range nNames {
		nameTerms[i] = r.uvarint()
	}
	n := r.uvarint()
	if r.err || n > maxDocTerms {
		r.err = true
		return 0, false
	}
	// For each query word, the quality of its best match in each name.
	var (
		best   [maxQueryTerms][maxNames]float64
		union  [maxQueryTerms]float64
		hitsIn [maxNames]int // distinct document terms matched, per name
	)
	anyTerm := 0
	for range n {
		t := r.bytes()
		mask := uint64(r.uvarint())
		if r.err {
			return 0, false
		}
		matchedTerm := false
		for qi, qt := range s.terms {
			q := qt.quality(t)
			if q == 0 {
				continue
			}
			matchedTerm = true
			union[qi] = max(union[qi], q)
			for m, i := mask, 0; m != 0; m, i = m>>1, i+1 {
				if m&1 != 0 {
					best[qi][i] = max(best[qi][i], q)
				}
			}
		}
		if matchedTerm {
			anyTerm++
			for m, i := mask, 0; m != 0; m, i = m>>1, i+1 {
				if m&1 != 0 {
					hitsIn[i]++
				}
			}
		}
	}
	nq := len(s.terms)
	rel := -1.0
	for i := range nNames {
		sum := 0.0
		for qi := range nq {
			if best[qi][i] == 0 {
				sum = -1
				break
			}
			sum += best[qi][i]
		}
		if sum < 0 || nameTerms[i] == 0 {
			continue
		}
		cover := min(float64(hitsIn[i])/float64(nameTerms[i]), 1)
		score := 0.6*sum/float64(nq) + 0.4*cover
		if i > 0 {
			score *= 0.9 // an aka or original title: below the name people know
		}
		rel = max(rel, score)
	}
	if rel >= 0 {
		return rel, true
	}
	sum := 0.0
	for qi := range nq {
		if union[qi] == 0 {
			return 0, false
		}
		sum += union[qi]
	}
	return 0.5 * (0.6*sum/float64(nq) + 0.4*float64(anyTerm)/float64(n)), true
}

// better reports whether (score, id) ranks above h: higher score, then the
// smaller ID, so that results are stable.
func better(score float64, id []byte, h Hit) bool {
	if score != h.Score {
		return score > h.Score
	}
	return string(id) < h.ID
}

// hitHeap is a min-heap: the worst kept hit on top, ready to be replaced.
type hitHeap []Hit

func (h hitHeap) Len() int           { return len(h) }
func (h hitHeap) Less(i, j int) bool { return better(h[j].Score, []byte(h[j].ID), h[i]) }
func (h hitHeap) Swap(i, j int)      { h[i], h[j] = h[j], h[i] }
func (h *hitHeap) Push(x any)        { *h = append(*h, x.(Hit)) }
func (h *hitHeap) Pop() any {
	old := *h
	x := old[len(old)-1]
	*h = old[:len(old)-1]
	return x
}

// stream merges posting lists by their suffix (rank, then ID): one sorted
// list of candidates, most popular first.
type stream struct {
	its     []*pebble.Iterator
	skip    []int // bytes of each key before the suffix
	order   []int // heap of iterator indexes, by current suffix
	pending bool  // the top iterator's entry was returned and must be stepped past
	first   error
}

func (st *stream) add(snap *pebble.Snapshot, lo, hi []byte) error {
	it, err := snap.NewIter(&pebble.IterOptions{LowerBound: lo, UpperBound: hi})
	if err != nil {
		return errs.Unavailable(err, "search: read postings")
	}
	st.its = append(st.its, it)
	st.skip = append(st.skip, len(lo))
	if it.First() {
		st.order = append(st.order, len(st.its)-1)
		st.up(len(st.order) - 1)
	} else if err := it.Error(); err != nil {
		st.first = err
	}
	return nil
}

func (st *stream) suffix(i int) []byte { return st.its[i].Key()[st.skip[i]:] }

func (st *stream) less(a, b int) bool {
	return bytes.Compare(st.suffix(st.order[a]), st.suffix(st.order[b])) < 0
}

func (st *stream) up(i int) {
	for i > 0 {
		p := (i - 1) / 2
		if !st.less(i, p) {
			return
		}
		st.order[i], st.order[p] = st.order[p], st.order[i]
		i = p
	}
}

func (st *stream) down(i int) {
	for {
		l, sm := 2*i+1, i
		if l < len(st.order) && st.less(l, sm) {
			sm = l
		}
		if r := l + 1; r < len(st.order) && st.less(r, sm) {
			sm = r
		}
		if sm == i {
			return
		}
		st.order[i], st.order[sm] = st.order[sm], st.order[i]
		i = sm
	}
}

// next returns the next candidate's key suffix and payload, valid until the
// following call: Pebble's key and value slices live only until their
// iterator moves, so the previous top iterator is stepped on the way in.
func (st *stream) next() (suffix, value []byte, ok bool) {
	if st.pending {
		st.pending = false
		i := st.order[0]
		if st.its[i].Next() {
			st.down(0)
		} else {
			if err := st.its[i].Error(); err != nil {
				st.first = err
			}
			last := len(st.order) - 1
			st.order[0] = st.order[last]
			st.order = st.order[:last]
			st.down(0)
		}
	}
	if st.first != nil || len(st.order) == 0 {
		return nil, nil, false
	}
	st.pending = true
	i := st.order[0]
	return st.suffix(i), st.its[i].Value(), true
}

func (st *stream) err() error {
	if st.first != nil {
		return st.first
	}
	for _, it := range st.its {
		if err := it.Error(); err != nil {
			return err
		}
	}
	return nil
}

func (st *stream) close() {
	for _, it := range st.its {
		_ = it.Close()
	}
}
