package server

import (
	"bytes"
	"container/heap"
	"context"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"math"
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/gofiber/fiber/v2"
	"golang.org/x/text/unicode/norm"

	"github.com/citemap/citemap/layers"
)

const (
	searchDefaultLimit = 20
	searchMaxLimit     = 100
	searchMaxQuery     = 200 // characters
)

// searchHit is one feature whose name, name_* or alias holds the query.
type searchHit struct {
	Layer string `json:"layer"`
	ID    string `json:"id"`
	Name  string `json:"name"`
	// Match is the other name that matched (a name_* or an alias), when
	// the feature's name did not.
	Match string    `json:"match,omitempty"`
	BBox  []float64 `json:"bbox"`
	rank  int
	order int    // the layer's place in the search
	fold  string // the folded name
}

// Ranks of a match, best first: on the feature's name, then on another
// name (name_*, an alias); the whole name, then its start, then the start
// of a later word, then anywhere.
const (
	rankExact = iota
	rankPrefix
	rankWord
	rankInside
	rankOther = 10 // added for a match on another name
)

// before reports whether a is the better match: by rank, then the shorter
// name (closer to the query), then the name, the layers' order and the id.
func (a searchHit) before(b searchHit) bool {
	if a.rank != b.rank {
		return a.rank < b.rank
	}
	if len(a.fold) != len(b.fold) {
		return len(a.fold) < len(b.fold)
	}
	if a.fold != b.fold {
		return a.fold < b.fold
	}
	if a.order != b.order {
		return a.order < b.order
	}
	return a.ID < b.ID
}

// topHits keeps the max best hits seen: a heap with the worst kept on top.
type topHits struct {
	max  int
	hits []searchHit
}

func (t *topHits) Len() int           { return len(t.hits) }
func (t *topHits) Less(i, j int) bool { return t.hits[j].before(t.hits[i]) }
func (t *topHits) Swap(i, j int)      { t.hits[i], t.hits[j] = t.hits[j], t.hits[i] }
func (t *topHits) Push(x any)         { t.hits = append(t.hits, x.(searchHit)) }
func (t *topHits) Pop() any {
	h := t.hits[len(t.hits)-1]
	t.hits = t.hits[:len(t.hits)-1]
	return h
}

// add keeps h if it is among the best so far.
func (t *topHits) add(h searchHit) {
	switch {
	case len(t.hits) < t.max:
		heap.Push(t, h)
	case h.before(t.hits[0]):
		t.hits[0] = h
		heap.Fix(t, 0)
	}
}

// sorted is the hits kept, best first.
func (t *topHits) sorted() []searchHit {
	out := slices.Clone(t.hits)
	slices.SortFunc(out, func(a, b searchHit) int {
		if a.before(b) {
			return -1
		}
		if b.before(a) {
			return 1
		}
		return 0
	})
	if out == nil {
		out = []searchHit{}
	}
	return out
}

// handleSearch answers /search?q=TEXT[&layers=a,b][&limit=N][&v=N]: the
// features of the data version whose names hold q, case and diacritics
// folded the way the map's own search folds them. The map searches the
// layers it downloaded whole itself; it asks here for the layers it draws
// from tiles, whose features it never holds. Each layer is read through the
// store's read path (query.Items over the stored bodies), so a large layer
// is scanned in the file, not decoded whole. The answer is the best
// matches (see searchHit.before), not the first found.
func (s *Server) handleSearch(c *fiber.Ctx) error {
	if err := allowParams(c, "q", "layers", "limit", "v"); err != nil {
		return err
	}
	raw := strings.TrimSpace(c.Query("q"))
	if n := len([]rune(raw)); n > searchMaxQuery {
		return badRequest("q is %d characters long; at most %d", n, searchMaxQuery)
	}
	needle := foldSearch(raw)
	if len([]rune(needle)) < 2 {
		return badRequest("q=%s: give at least 2 letters to search for", clipParam(raw))
	}
	limit := searchDefaultLimit
	if v := c.Query("limit"); v != "" {
		n, err := intParam("limit", v, 1, searchMaxLimit)
		if err != nil {
			return err
		}
		limit = n
	}
	r, err := s.reader(c)
	if err != nil {
		return err
	}
	ctx := c.UserContext()
	ls, err := s.searchLayers(ctx, r, c.Query("layers"))
	if err != nil {
		return err
	}
	// The whole of each layer is scanned and the best limit kept (plus
	// one, which says whether there is more), so a close match late in a
	// layer is not missed for earlier, looser ones; memory stays that of
	// the answer.
	top := &topHits{max: limit + 1}
	for i, l := range ls {
		search := func() error { return s.searchLayer(ctx, r, l.ID, i, needle, top.add) }
		var err error
		if l.Count > s.cfg.MaxWholeLayer {
			// Every feature's attributes are read (0.5 s for bench's 1M
			// polygons; their bodies, before the attributes were kept
			// apart, took 46 s): one more expensive job, so a burst of
			// searches cannot take every core and the page cache.
			err = s.expensive.run(ctx, search)
		} else {
			err = search()
		}
		if err != nil {
			return err
		}
	}
	hits, more := top.sorted(), false
	if len(hits) > limit {
		hits, more = hits[:limit], true
	}
	return c.JSON(struct {
		Query    string      `json:"query"`
		Features []searchHit `json:"features"`
		More     bool        `json:"more"`
	}{raw, hits, more})
}

// searchLayers is the layers a search covers: those named in list (which
// must exist), or every layer but the basemap, in the store's order.
func (s *Server) searchLayers(ctx context.Context, r layers.Reader, list string) ([]layers.Layer, error) {
	all, err := r.Layers(ctx)
	if err != nil {
		return nil, err
	}
	known := make(map[string]layers.Layer, len(all))
	var ls []layers.Layer
	for _, l := range all {
		if l.Kind == layers.KindBasemap {
			continue
		}
		known[l.ID] = l
		ls = append(ls, l)
	}
	if list == "" {
		return ls, nil
	}
	var want []layers.Layer
	for _, id := range strings.Split(list, ",") {
		id = strings.TrimSpace(id)
		if id == "" {
			continue
		}
		l, ok := known[id]
		if !ok {
			return nil, badRequest("layers=%s: there is no layer %q to search", clipParam(list), id)
		}
		if !slices.ContainsFunc(want, func(w layers.Layer) bool { return w.ID == id }) {
			want = append(want, l)
		}
	}
	if len(want) == 0 {
		return nil, badRequest("layers= names no layer")
	}
	return want, nil
}

// searchLayer tells found of every feature of layer id (order: its place
// in the search) whose names hold needle.
func (s *Server) searchLayer(ctx context.Context, r layers.Reader, id string, order int, needle string, found func(searchHit)) error {
	// Most features do not match: a quick look at the raw bytes before
	// decoding (a name with diacritics or escapes is decoded anyway).
	may := func(props []byte) bool { return mayHold(props, needle) }
	return s.scanNames(ctx, r, id, may, func(fid string, bound []float64, p map[string]any) error {
		if h, ok := matchNames(p, needle); ok {
			h.Layer, h.ID, h.BBox, h.order = id, fid, bound, order
			found(h)
		}
		return nil
	})
}

// scanNames reads every feature of layer id whose raw properties pass
// may, decoded: from the store's attributes when it keeps an index (never
// a geometry read), else from the layer's snapshot. fn is given the
// feature's properties, its names (name, name_*, aliases) among them.
func (s *Server) scanNames(ctx context.Context, r layers.Reader, id string, may func([]byte) bool, fn func(fid string, bound []float64, p map[string]any) error) error {
	try := func(fid string, bound []float64, props []byte) error {
		if !may(props) {
			return nil
		}
		var p map[string]any
		if err := json.Unmarshal(props, &p); err != nil {
			return fmt.Errorf("search %s/%s: decode properties: %w", id, fid, err)
		}
		return fn(fid, bound, p)
	}
	if ix, ok := r.(layers.Indexed); ok {
		return ix.ReadIndex(ctx, id, func(li layers.LayerIndex) error {
			var ferr error
			n := 0
			err := li.Attributes("", func(a layers.Body) bool {
				if n++; n%4096 == 0 {
					if ferr = ctx.Err(); ferr != nil {
						return false
					}
				}
				b := a.Bound
				ferr = try(a.ID, bbox(b.Min[0], b.Min[1], b.Max[0], b.Max[1]), a.Properties)
				return ferr == nil
			})
			if err != nil {
				return err
			}
			return ferr
		})
	}
	sn, err := s.collectionSnapshot(ctx, r, id)
	if err != nil {
		return err
	}
	for i, f := range sn.Features {
		b := sn.Bounds[i]
		if err := try(f.ID, bbox(b.Min[0], b.Min[1], b.Max[0], b.Max[1]), sn.Props[i]); err != nil {
			return err
		}
	}
	return nil
}

func bbox(a, b, c, d float64) []float64 { return []float64{a, b, c, d} }

// mayHold reports whether props could hold needle in a name: false only
// when the bytes, lower-cased, cannot.
func mayHold(props []byte, needle string) bool {
	if !isASCII(props) || bytes.IndexByte(props, '\\') >= 0 || bytes.Contains(props, []byte("  ")) {
		return true // non-ASCII, escaped or spaced-out text: fold it properly
	}
	return containsLower(props, needle)
}

// isASCII reports whether b is ASCII, eight bytes at a time: a search
// reads every feature's properties.
func isASCII(b []byte) bool {
	for ; len(b) >= 8; b = b[8:] {
		if binary.LittleEndian.Uint64(b)&0x8080808080808080 != 0 {
			return false
		}
	}
	for _, c := range b {
		if c >= 0x80 {
			return false
		}
	}
	return true
}

// containsLower reports whether ASCII b, lower-cased, holds needle: what
// strings.ToLower then Contains would, without a copy of each feature's
// properties. Candidates are found by the needle's first byte, in either
// case.
func containsLower(b []byte, needle string) bool {
	if needle == "" {
		return true
	}
	c0, u0 := needle[0], needle[0]
	if 'a' <= c0 && c0 <= 'z' {
		u0 = c0 - ('a' - 'A')
	}
	for len(b) >= len(needle) {
		i := bytes.IndexByte(b, c0)
		if u0 != c0 {
			if j := bytes.IndexByte(b, u0); j >= 0 && (i < 0 || j < i) {
				i = j
			}
		}
		if i < 0 || len(b)-i < len(needle) {
			return false
		}
		if hasLowerPrefix(b[i:], needle) {
			return true
		}
		b = b[i+1:]
	}
	return false
}

// hasLowerPrefix reports whether b, lower-cased, starts with needle.
func hasLowerPrefix(b []byte, needle string) bool {
	for j := range len(needle) {
		c := b[j]
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		if c != needle[j] {
			return false
		}
	}
	return true
}

// matchNames finds needle in the feature's name, its name_* and aliases
// (a ";"-separated list), as the map's search does.
func matchNames(p map[string]any, needle string) (searchHit, bool) {
	name, _ := p["name"].(string)
	h := searchHit{Name: name, rank: math.MaxInt, fold: foldSearch(name)}
	consider := func(text string, other bool) {
		folded := foldSearch(text)
		at := strings.Index(folded, needle)
		if at < 0 {
			return
		}
		rank := rankInside
		switch {
		case folded == needle:
			rank = rankExact
		case at == 0:
			rank = rankPrefix
		case wordStart(folded, needle):
			rank = rankWord
		}
		if other {
			rank += rankOther
		}
		if rank < h.rank {
			h.rank = rank
			h.Match = ""
			if other {
				h.Match = text
			}
		}
	}
	consider(name, false)
	keys := make([]string, 0, len(p))
	for k := range p {
		if strings.HasPrefix(k, "name_") {
			keys = append(keys, k)
		}
	}
	slices.Sort(keys)
	for _, k := range keys {
		if v, ok := p[k].(string); ok && v != "" {
			consider(v, true)
		}
	}
	if a, ok := p["aliases"].(string); ok {
		for _, v := range strings.Split(a, ";") {
			if v = strings.TrimSpace(v); v != "" {
				consider(v, true)
			}
		}
	}
	return h, h.rank != math.MaxInt
}

// wordStart reports whether needle starts a word of folded text.
func wordStart(folded, needle string) bool {
	for at := 0; ; {
		i := strings.Index(folded[at:], needle)
		if i < 0 {
			return false
		}
		i += at
		if prev, _ := utf8.DecodeLastRuneInString(folded[:i]); i == 0 || !unicode.IsLetter(prev) && !unicode.IsDigit(prev) {
			return true
		}
		at = i + 1
	}
}

// foldSearch folds text as the map's search does (util.js fold): letters
// decomposed and stripped of their marks, lower-cased, and the letters
// Unicode does not decompose mapped as that function maps them.
func foldSearch(s string) string {
	var b strings.Builder
	for _, r := range norm.NFKD.String(s) {
		if unicode.Is(unicode.M, r) {
			continue
		}
		switch r = unicode.ToLower(r); r {
		case 'ı':
			r = 'i'
		case 'ə', 'ǝ':
			r = 'e'
		case 'ø':
			r = 'o'
		case 'ł':
			r = 'l'
		case 'đ':
			r = 'd'
		case 'ß':
			b.WriteString("ss")
			continue
		case '‘', '’', 'ʼ', 'ʻ', '`', '´':
			r = '\''
		case '“', '”', '„':
			r = '"'
		case '−':
			r = '-'
		}
		if r >= '‐' && r <= '―' {
			r = '-'
		}
		if unicode.IsSpace(r) {
			r = ' '
			if b.Len() == 0 || strings.HasSuffix(b.String(), " ") {
				continue
			}
		}
		b.WriteRune(r)
	}
	return strings.TrimSuffix(b.String(), " ")
}

// A static export has no /search: it carries each large layer's names as
// files (search/{layer}/index.json and one shard per key), which the map
// reads when it runs from the export. A shard's key is the start of a
// word of a name (its first runes, folded as foldSearch folds them); a
// shard holds every feature one of whose names has a word starting with
// the key, up to searchShardMax, the shortest names first. A fuller shard
// says so (more) and lists the runes that lead to its longer keys (next),
// so a reader goes one rune deeper while its query is longer. The static
// search finds the starts of words only ("kars" in "Road to Kars", not in
// "Akarsu"), where the server finds any part of a name.
const (
	searchShardMax    = 500
	searchKeyMaxBytes = 48 // a key's shard is not split further
)

// searchEntry is one feature in a shard.
type searchEntry struct {
	ID    string    `json:"id"`
	Name  string    `json:"name"`
	Other []string  `json:"other,omitempty"` // name_* and aliases
	BBox  []float64 `json:"bbox"`
	fold  string
}

// searchShard is one file of a layer's static search index.
type searchShard struct {
	Key      string        `json:"key"`
	Features []searchEntry `json:"features"`
	More     bool          `json:"more,omitempty"`
	Next     []string      `json:"next,omitempty"`
}

// searchIndex builds the static search index of layer id and hands each
// file to write (its path under search/{layer}/ and its JSON).
func (s *Server) searchIndex(ctx context.Context, id string, write func(file string, body []byte) error) error {
	var entries []searchEntry
	type posting struct {
		suffix string // a name from the start of one of its words on
		entry  int32
	}
	var posts []posting
	err := s.scanNames(ctx, s.store, id, func([]byte) bool { return true }, func(fid string, bound []float64, p map[string]any) error {
		name, _ := p["name"].(string)
		e := searchEntry{ID: fid, Name: name, BBox: bound, fold: foldSearch(name)}
		names := []string{name}
		keys := make([]string, 0, len(p))
		for k := range p {
			if strings.HasPrefix(k, "name_") {
				keys = append(keys, k)
			}
		}
		slices.Sort(keys)
		for _, k := range keys {
			if v, ok := p[k].(string); ok && v != "" {
				e.Other = append(e.Other, v)
			}
		}
		if a, ok := p["aliases"].(string); ok {
			for _, v := range strings.Split(a, ";") {
				if v = strings.TrimSpace(v); v != "" {
					e.Other = append(e.Other, v)
				}
			}
		}
		names = append(names, e.Other...)
		n := int32(len(entries))
		entries = append(entries, e)
		seen := map[string]bool{}
		for _, name := range names {
			for _, w := range wordSuffixes(foldSearch(name)) {
				if !seen[w] {
					seen[w] = true
					posts = append(posts, posting{w, n})
				}
			}
		}
		return nil
	})
	if err != nil {
		return err
	}
	slices.SortFunc(posts, func(a, b posting) int { return strings.Compare(a.suffix, b.suffix) })
	shorter := func(a, b int32) int {
		x, y := entries[a], entries[b]
		if len(x.fold) != len(y.fold) {
			return len(x.fold) - len(y.fold)
		}
		if c := strings.Compare(x.fold, y.fold); c != 0 {
			return c
		}
		return strings.Compare(x.ID, y.ID)
	}
	// shard writes the shard of key, over posts[lo:hi] (all starting with
	// key), and the shards below it.
	var shard func(key string, lo, hi int) error
	shard = func(key string, lo, hi int) error {
		if err := ctx.Err(); err != nil {
			return err
		}
		var ids []int32
		seen := map[int32]bool{}
		for _, p := range posts[lo:hi] {
			if !seen[p.entry] {
				seen[p.entry] = true
				ids = append(ids, p.entry)
			}
		}
		slices.SortFunc(ids, shorter)
		sh := searchShard{Key: key}
		split := len(ids) > searchShardMax
		if split {
			ids, sh.More = ids[:searchShardMax], true
		}
		for _, i := range ids {
			sh.Features = append(sh.Features, entries[i])
		}
		type child struct {
			r      string
			lo, hi int
		}
		var children []child
		if split && len(key) < searchKeyMaxBytes {
			for i := lo; i < hi; {
				rest := posts[i].suffix[len(key):]
				if rest == "" {
					i++
					continue
				}
				_, size := utf8.DecodeRuneInString(rest)
				next := rest[:size]
				j := i
				for j < hi && strings.HasPrefix(posts[j].suffix[len(key):], next) {
					j++
				}
				children = append(children, child{next, i, j})
				sh.Next = append(sh.Next, next)
				i = j
			}
		}
		b, err := json.Marshal(sh)
		if err != nil {
			return err
		}
		if err := write(searchShardFile(key), b); err != nil {
			return err
		}
		for _, c := range children {
			if err := shard(key+c.r, c.lo, c.hi); err != nil {
				return err
			}
		}
		return nil
	}
	// The first shards are keyed by a word's first two runes.
	var keys []string
	for i := 0; i < len(posts); {
		key := firstRunes(posts[i].suffix, 2)
		if utf8.RuneCountInString(key) < 2 {
			i++ // a word of one letter at the end of a name: no query of 2 finds it there
			continue
		}
		j := i
		for j < len(posts) && strings.HasPrefix(posts[j].suffix, key) {
			j++
		}
		keys = append(keys, key)
		if err := shard(key, i, j); err != nil {
			return err
		}
		i = j
	}
	b, err := json.Marshal(struct {
		Layer string   `json:"layer"`
		Keys  []string `json:"keys"`
	}{id, keys})
	if err != nil {
		return err
	}
	return write("index.json", b)
}

// searchShardFile is the file of a key's shard: its UTF-8 bytes in hex,
// which every host serves under the name it was written with.
func searchShardFile(key string) string {
	return hex.EncodeToString([]byte(key)) + ".json"
}

// firstRunes is the first n runes of s (all of it when shorter).
func firstRunes(s string, n int) string {
	for i := range s {
		if n == 0 {
			return s[:i]
		}
		n--
	}
	return s
}

// wordSuffixes is folded text from the start of each of its words on (a
// word starts with a letter or digit after anything else).
func wordSuffixes(folded string) []string {
	var out []string
	prevWord := false
	for i, r := range folded {
		word := unicode.IsLetter(r) || unicode.IsDigit(r)
		if word && !prevWord {
			out = append(out, folded[i:])
		}
		prevWord = word
	}
	return out
}
