// Package places finds the places an article mentions and offers what they
// may be: features of the dataset (by name and aliases) and entries of a
// bundled gazetteer. It only suggests: nothing is created or linked until an
// editor picks a candidate.
//
// Matching is on whole words, ignores case and diacritics (Naxçıvan is
// naxcivan), knows the region's transliteration variants (variants.go), and
// runs one Aho–Corasick automaton over the text. A one-word gazetteer name
// must be capitalized in the text ("Van", not "van"); feature names need not.
// The longest name wins where names overlap. Candidates are ranked: a
// feature's name as written (1) over the same under another spelling (0.9)
// over gazetteer entries (0.45 to 0.75 by kind and population); halved
// outside the dataset's extent; raised near the places the text is sure of.
package places

import (
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"slices"
	"strings"

	"github.com/coregx/ahocorasick"
	"github.com/paulmach/orb"
	"github.com/paulmach/orb/geo"

	"github.com/citemap/citemap/layers"
)

// Place is a gazetteer entry offered as a candidate.
type Place struct {
	Name   string  `json:"name"`
	Lon    float64 `json:"lon"`
	Lat    float64 `json:"lat"`
	Source string  `json:"source"` // where the name and coordinates come from, and their licence
}

// Candidate is one thing a mention may refer to: a feature of the dataset
// ("layer/id") or a gazetteer place. Score ranks the candidates of a mention
// (0 to 1, higher is likelier); it is not a probability.
type Candidate struct {
	Feature string  // "layer/id", or "" for a gazetteer place
	Place   *Place  // nil for a feature
	Score   float64 // rounded to 3 decimals
}

// MarshalJSON writes an absent feature or place as null, as the HTTP API
// documents.
func (c Candidate) MarshalJSON() ([]byte, error) {
	var feature *string
	if c.Feature != "" {
		feature = &c.Feature
	}
	return json.Marshal(struct {
		Feature *string `json:"feature"`
		Place   *Place  `json:"place"`
		Score   float64 `json:"score"`
	}{feature, c.Place, c.Score})
}

// Suggestion is one mention of a place in a text: its code point range in
// the text and the candidates it may refer to, best first.
type Suggestion struct {
	Start      int         `json:"start"`
	End        int         `json:"end"`
	Exact      string      `json:"exact"`
	Candidates []Candidate `json:"candidates"`
}

// Gazetteer place kinds.
const (
	KindCountry = "country"
	KindRegion  = "region"  // first-level administrative division
	KindCity    = "city"    // populated place
	KindCapital = "capital" // a country's capital city
)

// Entry is a gazetteer record.
type Entry struct {
	Place
	Kind       string   // KindCountry, KindRegion, KindCity or KindCapital
	Country    string   // ISO 3166-1 alpha-2 code
	Population int      // 0 when unknown
	Names      []string // other names and spellings
}

// Options adjust a Matcher.
type Options struct {
	// Extent is where the dataset's places are: a candidate inside it
	// outranks a namesake elsewhere. When empty it is derived from the
	// features (see New).
	Extent orb.Bound
}

// Matcher finds mentions of known places in texts. It is immutable and safe
// for concurrent use.
type Matcher struct {
	ac        *ahocorasick.Automaton
	targets   [][]target // by pattern id
	feats     []featureRef
	featIndex map[string]int // by ref
	gaz       []Entry
	extent    orb.Bound
}

type featureRef struct {
	ref   string // layer/id
	bound orb.Bound
	point orb.Point
}

// A target is what a pattern may refer to.
type target struct {
	feature int  // index in Matcher.feats, or -1
	entry   int  // index in Matcher.gaz, or -1
	variant bool // found through a transliteration variant, not as written
}

// Base scores: what a name match is worth before context.
const (
	scoreFeature        = 1.0  // a feature's own name or alias, as written
	scoreFeatureVariant = 0.9  // a feature name under another spelling
	scoreCountry        = 0.75 // gazetteer entries
	scoreRegion         = 0.7
	scoreCityMax        = 0.7
	scoreCityMin        = 0.45
	variantFactor       = 0.95
	outsideFactor       = 0.5 // a candidate outside the dataset's extent
)

// New builds a matcher from the dataset's features (their name, aliases and
// name_xx properties) and gazetteer entries (Bundled, or others).
//
// When opts.Extent is empty, the extent is the box holding the central 90 %
// of the features' centres, widened by 2°: a dataset about the Caucasus with
// one event in Washington still has the Caucasus as its extent.
func New(features []layers.Feature, gazetteer []Entry, opts Options) (*Matcher, error) {
	m := &Matcher{gaz: gazetteer, extent: opts.Extent, featIndex: map[string]int{}}
	groups := variantKeys()
	pats := map[string]int{}
	var keys []string
	add := func(name string, t target) {
		k := key(name)
		if k == "" || stopword(k) {
			return
		}
		id, ok := pats[k]
		if !ok {
			id = len(keys)
			pats[k] = id
			keys = append(keys, k)
			m.targets = append(m.targets, nil)
		}
		for _, old := range m.targets[id] {
			if old.feature == t.feature && old.entry == t.entry {
				return // as written wins over a variant, added first
			}
		}
		m.targets[id] = append(m.targets[id], t)
	}
	addAll := func(names []string, feature, entry int) {
		for _, n := range names {
			add(n, target{feature: feature, entry: entry})
		}
		for _, n := range names {
			for _, v := range spellings(n, groups) {
				add(v, target{feature: feature, entry: entry, variant: true})
			}
		}
	}
	for _, f := range features {
		if f.Geometry == nil {
			continue
		}
		b := f.Geometry.Bound()
		m.featIndex[f.Layer+"/"+f.ID] = len(m.feats)
		m.feats = append(m.feats, featureRef{ref: f.Layer + "/" + f.ID, bound: b, point: b.Center()})
		addAll(featureNames(f), len(m.feats)-1, -1)
	}
	for i, e := range gazetteer {
		addAll(append([]string{e.Name}, e.Names...), -1, i)
	}
	if m.extent == (orb.Bound{}) {
		m.extent = centralExtent(m.feats)
	}
	if len(keys) == 0 {
		return nil, errors.New("places: no names to match")
	}
	ac, err := ahocorasick.NewBuilder().SetMatchKind(ahocorasick.LeftmostLongest).AddStrings(keys).Build()
	if err != nil {
		return nil, fmt.Errorf("places: build matcher: %w", err)
	}
	m.ac = ac
	return m, nil
}

// featureNames are the names a feature is known by: name, aliases (";"-
// separated) and local names (name_xx).
func featureNames(f layers.Feature) []string {
	var out []string
	if s, ok := f.Properties["name"].(string); ok && s != "" {
		out = append(out, s)
	}
	if s, ok := f.Properties["aliases"].(string); ok {
		for _, a := range strings.Split(s, ";") {
			if a = strings.TrimSpace(a); a != "" {
				out = append(out, a)
			}
		}
	}
	var local []string
	for k, v := range f.Properties {
		if s, ok := v.(string); ok && s != "" && strings.HasPrefix(k, "name_") {
			local = append(local, s)
		}
	}
	slices.Sort(local) // map order is random: keep the build reproducible
	return append(out, local...)
}

// spellings returns name under every other spelling of the variants it
// contains. groups are the variants' keys (variantKeys).
func spellings(name string, groups [][]string) []string {
	k := key(name)
	if k == "" {
		return nil
	}
	var out []string
	for _, group := range groups {
		for _, vk := range group {
			if !strings.Contains(k, vk) {
				continue
			}
			for _, wk := range group {
				if wk != vk {
					out = append(out, strings.ReplaceAll(k, vk, wk))
				}
			}
			break // the longest spelling found stands for the group
		}
	}
	return out
}

// variantKeys are the variants folded as patterns.
func variantKeys() [][]string {
	out := make([][]string, len(variants))
	for i, g := range variants {
		for _, v := range g {
			if k := key(v); k != "" && !slices.Contains(out[i], k) {
				out[i] = append(out[i], k)
			}
		}
		// Longest first: "Trump Route for International Peace and
		// Prosperity" holds "Trump Route".
		slices.SortStableFunc(out[i], func(a, b string) int { return len(b) - len(a) })
	}
	return out
}

func centralExtent(feats []featureRef) orb.Bound {
	if len(feats) == 0 {
		return orb.Bound{Min: orb.Point{-180, -90}, Max: orb.Point{180, 90}}
	}
	lons := make([]float64, len(feats))
	lats := make([]float64, len(feats))
	for i, f := range feats {
		lons[i], lats[i] = f.point[0], f.point[1]
	}
	slices.Sort(lons)
	slices.Sort(lats)
	q := func(v []float64, p float64) float64 { return v[int(math.Round(p*float64(len(v)-1)))] }
	return orb.Bound{
		Min: orb.Point{q(lons, 0.05) - 2, q(lats, 0.05) - 2},
		Max: orb.Point{q(lons, 0.95) + 2, q(lats, 0.95) + 2},
	}
}

// Extent is the box the matcher treats as the dataset's region.
func (m *Matcher) Extent() orb.Bound { return m.extent }

// Suggest finds the places text mentions. text is normalized text (see
// layers.Normalize) and offsets are code points into it, like passages'.
// Mentions do not overlap: the longest name wins ("South Ossetia", not
// "Ossetia").
func (m *Matcher) Suggest(text string) []Suggestion {
	f := fold(text)
	if len(f.words) == 0 {
		return nil
	}
	// Matches start on a word's leading space and end on a word's trailing
	// space, since every pattern is " word ... word ".
	startWord := make(map[int]int, len(f.words))
	endWord := make(map[int]int, len(f.words))
	for i, w := range f.words {
		startWord[w.fStart] = i
		endWord[w.fEnd] = i
	}
	type hit struct{ first, last, pattern int }
	var hits []hit
	for _, mt := range m.ac.FindAllOverlapping(f.b) {
		first, ok1 := startWord[mt.Start]
		last, ok2 := endWord[mt.End]
		if !ok1 || !ok2 {
			continue
		}
		hits = append(hits, hit{first, last, mt.PatternID})
	}
	// Longest first, then leftmost; keep those that do not overlap a kept one.
	slices.SortFunc(hits, func(a, b hit) int {
		if la, lb := a.last-a.first, b.last-b.first; la != lb {
			return lb - la
		}
		return a.first - b.first
	})
	taken := make([]bool, len(f.words))
	runes := []rune(text)
	var out []Suggestion
	for _, h := range hits {
		if slices.Contains(taken[h.first:h.last+1], true) {
			continue
		}
		start, end := f.words[h.first].start, f.words[h.last].end
		cands := m.candidates(h.pattern, h.first == h.last && !f.words[h.first].upper)
		if len(cands) == 0 {
			continue
		}
		for i := h.first; i <= h.last; i++ {
			taken[i] = true
		}
		out = append(out, Suggestion{Start: start, End: end, Exact: string(runes[start:end]), Candidates: cands})
	}
	slices.SortFunc(out, func(a, b Suggestion) int { return a.Start - b.Start })
	m.rankByContext(out)
	for i := range out {
		if len(out[i].Candidates) > MaxCandidates {
			out[i].Candidates = out[i].Candidates[:MaxCandidates]
		}
	}
	return out
}

// MaxCandidates is the most candidates a suggestion offers: the best ranked.
const MaxCandidates = 8

// candidates scores what pattern p may refer to. A one-word mention written
// in lower case is not a gazetteer place: "van", "of" and "batman" are
// words before they are towns in Türkiye.
func (m *Matcher) candidates(p int, lower bool) []Candidate {
	var out []Candidate
	for _, t := range m.targets[p] {
		var c Candidate
		switch {
		case t.feature >= 0:
			f := m.feats[t.feature]
			c.Feature = f.ref
			c.Score = scoreFeature
			if t.variant {
				c.Score = scoreFeatureVariant
			}
			if !m.extent.Intersects(f.bound) {
				c.Score *= outsideFactor
			}
		default:
			if lower {
				continue
			}
			e := m.gaz[t.entry]
			place := e.Place
			c.Place = &place
			c.Score = entryScore(e)
			if t.variant {
				c.Score *= variantFactor
			}
			if !m.extent.Contains(orb.Point{e.Lon, e.Lat}) {
				c.Score *= outsideFactor
			}
		}
		out = append(out, c)
	}
	sortCandidates(out)
	// A region placed at its seat and the seat itself, under the same
	// name, are one place to the reader: keep the better ranked.
	seen := map[Place]bool{}
	return slices.DeleteFunc(out, func(c Candidate) bool {
		if c.Place == nil {
			return false
		}
		k := Place{Name: c.Place.Name, Lon: c.Place.Lon, Lat: c.Place.Lat}
		dup := seen[k]
		seen[k] = true
		return dup
	})
}

func entryScore(e Entry) float64 {
	switch e.Kind {
	case KindCountry, KindCapital:
		// A capital is named in the news far more than its namesakes:
		// Washington is the city before it is the state.
		return scoreCountry
	case KindRegion:
		return scoreRegion
	}
	// Bigger places are mentioned more: 1,000 people scores the minimum,
	// a million or more the maximum.
	p := math.Log10(float64(max(e.Population, 1000)))
	s := scoreCityMin + (scoreCityMax-scoreCityMin)*(p-3)/3
	return min(s, scoreCityMax)
}

// rankByContext raises candidates near the places the rest of the text is
// sure about: "Georgia" in an article naming Tbilisi and Abkhazia is the
// country, not the US state, and a village named beside its neighbours is
// likelier the one meant. A mention is sure when its best candidate clearly
// leads; its location anchors the other mentions.
func (m *Matcher) rankByContext(sugs []Suggestion) {
	type anchor struct {
		at  orb.Point
		sug int
	}
	var anchors []anchor
	for i, s := range sugs {
		if pt, ok := m.sure(s); ok {
			anchors = append(anchors, anchor{pt, i})
		}
	}
	if len(anchors) == 0 {
		return
	}
	for i := range sugs {
		cs := sugs[i].Candidates
		for j := range cs {
			b := m.bound(cs[j])
			near := 0
			for _, a := range anchors {
				if a.sug != i && distance(b, a.at) <= contextRadius {
					near++
				}
			}
			// Each nearby anchor closes a fifth of the gap to 1, up to three.
			for range min(near, 3) {
				cs[j].Score += (1 - cs[j].Score) * 0.2
			}
		}
		sortCandidates(cs)
	}
}

// contextRadius is how near (metres) a candidate must be to a place the text
// is sure of to gain from it: about the span of a South Caucasus country.
const contextRadius = 400e3

func (m *Matcher) sure(s Suggestion) (orb.Point, bool) {
	c := s.Candidates[0]
	if len(s.Candidates) > 1 && s.Candidates[1].Score > c.Score*0.8 {
		return orb.Point{}, false
	}
	b := m.bound(c)
	if geo.Distance(b.Min, b.Max) > maxAnchorSpan {
		// Russia or Kazakhstan named in a text says little about where
		// its other places are.
		return orb.Point{}, false
	}
	return b.Center(), true
}

// maxAnchorSpan is the largest diagonal (metres) of a place that can anchor
// others: about the size of Georgia or Azerbaijan.
const maxAnchorSpan = 800e3

func (m *Matcher) bound(c Candidate) orb.Bound {
	if c.Place != nil {
		return orb.Point{c.Place.Lon, c.Place.Lat}.Bound()
	}
	return m.feats[m.featIndex[c.Feature]].bound
}

// distance in metres from p to the nearest point of b (0 inside).
func distance(b orb.Bound, p orb.Point) float64 {
	q := orb.Point{min(max(p[0], b.Min[0]), b.Max[0]), min(max(p[1], b.Min[1]), b.Max[1])}
	return geo.Distance(p, q)
}

func sortCandidates(cs []Candidate) {
	for i := range cs {
		cs[i].Score = math.Round(cs[i].Score*1000) / 1000
	}
	slices.SortStableFunc(cs, func(a, b Candidate) int {
		switch {
		case a.Score > b.Score:
			return -1
		case a.Score < b.Score:
			return 1
		}
		return 0
	})
}
