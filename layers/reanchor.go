package layers

import (
	"slices"
	"strings"
	"unicode/utf8"
)

// ReanchorThreshold is the score below which Reanchor gives up: the passage
// is flagged for review and keeps pointing at its old revision.
const ReanchorThreshold = 0.8

// minQuoteSimilarity is the share of a quote that must survive unchanged in
// an approximate match (1 - edits/length). Context alone never carries a
// passage: a reworded sentence is a different quote.
const minQuoteSimilarity = 0.8

// The weights Hypothesis gives the parts of an approximate match
// (client/src/annotator/anchoring/match-quote.ts).
const (
	quoteWeight  = 50.0
	prefixWeight = 20.0
	suffixWeight = 20.0
	posWeight    = 2.0
	totalWeight  = quoteWeight + prefixWeight + suffixWeight + posWeight
)

// Reanchor finds the passage old in newText, a revision of the text old was
// taken from, and returns its selector there.
//
// It tries, in order: the quote found exactly once; the quote found several
// times, told apart by its prefix and suffix; an approximate match of the
// quote, scored on the quote's similarity, its context and its distance from
// the old position, weighted as Hypothesis does. score is 1 for a quote that
// stands unchanged and unambiguous, less for weaker evidence. ok is false
// when the best match scores under ReanchorThreshold, when less than
// minQuoteSimilarity of the quote survives, or when two places match equally
// well: nothing is moved on a guess. sel is then the best match found, if
// any, for a reviewer to look at.
//
// newText is normalized text (see Normalize); offsets are code points.
func Reanchor(newText string, old Selector) (sel Selector, score float64, ok bool) {
	if old.Exact == "" {
		return Selector{}, 0, false
	}
	newText = strings.ToValidUTF8(newText, "\uFFFD")
	text := []rune(newText)
	quote := []rune(strings.ToValidUTF8(old.Exact, "\uFFFD"))
	if len(quote) > len(text)+len(quote)/4 {
		return Selector{}, 0, false
	}

	var cands []candidate
	for _, start := range exactMatches(newText, string(quote)) {
		cands = append(cands, candidate{start: start, end: start + len(quote)})
	}
	exact := len(cands) > 0
	if len(cands) == 1 {
		return selectorAt(text, cands[0].start, cands[0].end), 1, true
	}
	if !exact {
		cands = approximate(text, quote, len(quote)/5)
	}
	if len(cands) == 0 {
		return Selector{}, 0, false
	}
	for i := range cands {
		c := &cands[i]
		c.quote = 1 - float64(c.errors)/float64(len(quote))
		c.prefix = similarity([]rune(old.Prefix), text[max(0, c.start-len([]rune(old.Prefix))):c.start])
		c.suffix = similarity([]rune(old.Suffix), text[c.end:min(len(text), c.end+len([]rune(old.Suffix)))])
		c.pos = 1 - float64(abs(c.start-old.Start))/float64(max(len(text), 1))
		c.pos = max(c.pos, 0)
		c.score = (quoteWeight*c.quote + prefixWeight*c.prefix + suffixWeight*c.suffix + posWeight*c.pos) / totalWeight
	}
	slices.SortFunc(cands, func(a, b candidate) int {
		switch {
		case a.score > b.score:
			return -1
		case a.score < b.score:
			return 1
		}
		return a.start - b.start
	})
	best := cands[0]
	sel = selectorAt(text, best.start, best.end)
	score = best.score
	// Two places that only the expected position tells apart are
	// ambiguous: the position is what changed in a revision. Approximate
	// matches that overlap the best one are the same place, found twice.
	context := func(c candidate) float64 {
		return quoteWeight*c.quote + prefixWeight*c.prefix + suffixWeight*c.suffix
	}
	for _, c := range cands[1:] {
		if !exact && c.start < best.end && best.start < c.end {
			continue
		}
		if context(best)-context(c) < 0.02*totalWeight {
			return sel, min(score, ReanchorThreshold/2), false
		}
		break
	}
	if exact {
		// The quote stands as it was: only the context tells this
		// occurrence apart, so the score is the context's.
		return sel, score, score >= ReanchorThreshold
	}
	return sel, score, best.quote >= minQuoteSimilarity && score >= ReanchorThreshold
}

// maxApproxWork bounds the cells an approximate search may compute (about a
// second of work on a slow machine): past it, a passage is flagged for
// review rather than searched. A 300 code point quote in a 60,000 code point
// article takes about 4 million.
const maxApproxWork = 50_000_000

type candidate struct {
	start, end, errors                int
	quote, prefix, suffix, pos, score float64
}

// exactMatches returns the code point offsets of every occurrence of q in s,
// overlapping ones included.
func exactMatches(s, q string) []int {
	var out []int
	cp, last := 0, 0
	for off := 0; ; {
		i := strings.Index(s[off:], q)
		if i < 0 {
			return out
		}
		cp += utf8.RuneCountInString(s[last : off+i])
		last = off + i
		out = append(out, cp)
		// Step one code point, so overlapping occurrences count.
		_, size := utf8.DecodeRuneInString(s[off+i:])
		off += i + size
	}
}

// approximate returns the places in text where quote matches with at most
// k edits (insertions, deletions, substitutions of code points), one per run
// of neighbouring ends, best first, at most maxCands of them. It is Sellers'
// algorithm with Ukkonen's cut-off, O(k·n) on typical text.
func approximate(text, quote []rune, k int) []candidate {
	m := len(quote)
	if m == 0 || len(text) == 0 || (k+1)*len(text) > maxApproxWork {
		return nil
	}
	// Each candidate's start costs an m×(m+k) table: fewer candidates for
	// long quotes, so that the whole search stays within the budget.
	maxCands := min(32, max(1, (maxApproxWork-(k+1)*len(text))/((m+k+1)*(m+1))))
	col := make([]int, m+1)
	for i := range col {
		col[i] = i
	}
	// lact is the last row whose value may be <= k; rows past it hold
	// stale values, all known to be > k, read as k+1 when the cut-off
	// grows: any value over k gives the same answer, since only values
	// up to k are ever reported.
	lact := min(k, m)
	type end struct{ at, d int }
	var ends []end
	for j, c := range text {
		top := min(lact+1, m)
		if top > lact {
			col[top] = max(col[top], k+1)
		}
		prevDiag := 0 // row 0 is 0 in every column: a match may start anywhere
		for i := 1; i <= top; i++ {
			cost := 1
			if quote[i-1] == c {
				cost = 0
			}
			v := min(prevDiag+cost, col[i]+1, col[i-1]+1)
			prevDiag = col[i]
			col[i] = v
		}
		lact = top
		for lact > 0 && col[lact] > k {
			lact--
		}
		if lact == m {
			ends = append(ends, end{j + 1, col[m]})
		}
	}
	// One end per run of adjacent ends: the best of the run.
	var best []end
	for i := 0; i < len(ends); {
		j, b := i, ends[i]
		for j+1 < len(ends) && ends[j+1].at == ends[j].at+1 {
			j++
			if ends[j].d < b.d {
				b = ends[j]
			}
		}
		best = append(best, b)
		i = j + 1
	}
	slices.SortStableFunc(best, func(a, b end) int { return a.d - b.d })
	if len(best) > maxCands {
		best = best[:maxCands]
	}
	out := make([]candidate, 0, len(best))
	for _, e := range best {
		start, d := startOf(text, quote, e.at, k)
		out = append(out, candidate{start: start, end: e.at, errors: d})
	}
	return out
}

// startOf finds where the match of quote ending at end begins: the start
// giving the fewest edits, the one nearest a quote-long match on ties.
func startOf(text, quote []rune, end, k int) (int, int) {
	m := len(quote)
	lo := max(0, end-m-k)
	// Edit distance between the reversed quote and the reversed text
	// window, anchored at end: row[t] = dist(quote, text[end-t:end]).
	n := end - lo
	prev := make([]int, n+1)
	cur := make([]int, n+1)
	for t := range prev {
		prev[t] = t
	}
	for i := 1; i <= m; i++ {
		cur[0] = i
		q := quote[m-i]
		for t := 1; t <= n; t++ {
			cost := 1
			if text[end-t] == q {
				cost = 0
			}
			cur[t] = min(prev[t-1]+cost, prev[t]+1, cur[t-1]+1)
		}
		prev, cur = cur, prev
	}
	bestT, bestD := 0, prev[0]
	for t := 1; t <= n; t++ {
		if prev[t] < bestD || prev[t] == bestD && abs(t-m) < abs(bestT-m) {
			bestT, bestD = t, prev[t]
		}
	}
	return end - bestT, bestD
}

// similarity is 1 - the edit distance of a and b over the longer length: 1
// for equal strings (two empty contexts are equal: both at the text's edge).
func similarity(a, b []rune) float64 {
	n := max(len(a), len(b))
	if n == 0 {
		return 1
	}
	return 1 - float64(levenshtein(a, b))/float64(n)
}

func levenshtein(a, b []rune) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j-1]+cost, prev[j]+1, cur[j-1]+1)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}

func abs(x int) int {
	if x < 0 {
		return -x
	}
	return x
}

// Reanchored is what became of one passage in a new revision of its source.
type Reanchored struct {
	Passage string   `json:"passage"`
	Old     Selector `json:"old"`
	// New is where the passage stands in the new revision. When OK is
	// false it is only the best match found (empty when none), for the
	// reviewer: the passage keeps pointing at the old revision.
	New   Selector `json:"new"`
	Score float64  `json:"score"`
	OK    bool     `json:"ok"`
	// Changed is set when the quote itself differs: an approximate match,
	// which a reviewer should confirm even though it passed the threshold.
	Changed bool `json:"changed"`
}

// ReanchorPassages re-anchors every passage of a source in newText, the
// source's new revision (normalized), in the order given.
func ReanchorPassages(newText string, ps []Passage) []Reanchored {
	out := make([]Reanchored, 0, len(ps))
	for _, p := range ps {
		sel, score, ok := Reanchor(newText, p.Selector)
		out = append(out, Reanchored{
			Passage: p.ID, Old: p.Selector, New: sel, Score: score, OK: ok,
			Changed: ok && sel.Exact != p.Exact,
		})
	}
	return out
}
