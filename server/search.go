package server

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"slices"
	"strings"
	"unicode"

	"github.com/gofiber/fiber/v2"
	"golang.org/x/text/unicode/norm"

	"github.com/citemap/citemap/layers"
	"github.com/citemap/citemap/layers/query"
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
}

// errEnough stops a layer's scan once the answer is full.
var errEnough = errors.New("enough matches")

// handleSearch answers /search?q=TEXT[&layers=a,b][&limit=N][&v=N]: the
// features of the data version whose names hold q, case and diacritics
// folded the way the map's own search folds them. The map searches the
// layers it downloaded whole itself; it asks here for the layers it draws
// from tiles, whose features it never holds. Each layer is read through the
// store's read path (query.Items over the stored bodies), so a large layer
// is scanned in the file, not decoded whole; the scan stops once the answer
// is full.
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
	ids, err := s.searchLayers(ctx, r, c.Query("layers"))
	if err != nil {
		return err
	}
	hits := []searchHit{}
	more := false
	for _, id := range ids {
		// One more than the page says whether there is more.
		found, err := s.searchLayer(ctx, r, id, needle, limit+1-len(hits))
		if err != nil {
			return err
		}
		hits = append(hits, found...)
		if len(hits) > limit {
			hits, more = hits[:limit], true
			break
		}
	}
	// Names that start with the query first, then matches on the name
	// before matches on another name; the layers' order otherwise.
	slices.SortStableFunc(hits, func(a, b searchHit) int { return a.rank - b.rank })
	return c.JSON(struct {
		Query    string      `json:"query"`
		Features []searchHit `json:"features"`
		More     bool        `json:"more"`
	}{raw, hits, more})
}

// searchLayers is the layers a search covers: those named in list (which
// must exist), or every layer but the basemap, in the store's order.
func (s *Server) searchLayers(ctx context.Context, r layers.Reader, list string) ([]string, error) {
	all, err := r.Layers(ctx)
	if err != nil {
		return nil, err
	}
	known := make(map[string]bool, len(all))
	var ids []string
	for _, l := range all {
		if l.Kind == layers.KindBasemap {
			continue
		}
		known[l.ID] = true
		ids = append(ids, l.ID)
	}
	if list == "" {
		return ids, nil
	}
	var want []string
	for _, id := range strings.Split(list, ",") {
		id = strings.TrimSpace(id)
		if id == "" {
			continue
		}
		if !known[id] {
			return nil, badRequest("layers=%s: there is no layer %q to search", clipParam(list), id)
		}
		if !slices.Contains(want, id) {
			want = append(want, id)
		}
	}
	if len(want) == 0 {
		return nil, badRequest("layers= names no layer")
	}
	return want, nil
}

// searchLayer is up to max features of layer id whose names hold needle.
func (s *Server) searchLayer(ctx context.Context, r layers.Reader, id, needle string, max int) ([]searchHit, error) {
	var hits []searchHit
	try := func(fid string, bound []float64, props []byte) error {
		// Most features do not match: a quick look at the raw bytes before
		// decoding (a name with diacritics or escapes is decoded anyway).
		if !mayHold(props, needle) {
			return nil
		}
		var p map[string]any
		if err := json.Unmarshal(props, &p); err != nil {
			return fmt.Errorf("search %s/%s: decode properties: %w", id, fid, err)
		}
		h, ok := matchNames(p, needle)
		if !ok {
			return nil
		}
		h.Layer, h.ID, h.BBox = id, fid, bound
		hits = append(hits, h)
		if len(hits) >= max {
			return errEnough
		}
		return nil
	}
	var err error
	if ix, ok := r.(layers.Indexed); ok {
		plan := func(query.Result) (layers.Query, query.Page, error) {
			return layers.Query{}, query.Page{Offset: 0, Limit: math.MaxInt}, nil
		}
		_, err = query.Items(ctx, ix, id, plan, func(b layers.Body) error {
			return try(b.ID, bbox(b.Bound.Min[0], b.Bound.Min[1], b.Bound.Max[0], b.Bound.Max[1]), b.Properties)
		})
	} else {
		var sn *layers.Snapshot
		sn, err = s.collectionSnapshot(ctx, r, id)
		if err == nil {
			for i, f := range sn.Features {
				b := sn.Bounds[i]
				if err = try(f.ID, bbox(b.Min[0], b.Min[1], b.Max[0], b.Max[1]), sn.Props[i]); err != nil {
					break
				}
			}
		}
	}
	if err != nil && !errors.Is(err, errEnough) {
		return nil, err
	}
	return hits, nil
}

func bbox(a, b, c, d float64) []float64 { return []float64{a, b, c, d} }

// mayHold reports whether props could hold needle in a name: false only
// when the bytes, lower-cased, cannot.
func mayHold(props []byte, needle string) bool {
	for i, c := range props {
		if c >= 0x80 || c == '\\' || (c == ' ' && i > 0 && props[i-1] == ' ') {
			return true // non-ASCII, escaped or spaced-out text: fold it properly
		}
	}
	return strings.Contains(strings.ToLower(string(props)), needle)
}

// matchNames finds needle in the feature's name, its name_* and aliases
// (a ";"-separated list), as the map's search does.
func matchNames(p map[string]any, needle string) (searchHit, bool) {
	name, _ := p["name"].(string)
	h := searchHit{Name: name, rank: math.MaxInt}
	consider := func(text string, other bool) {
		at := strings.Index(foldSearch(text), needle)
		if at < 0 {
			return
		}
		rank := 0
		if other {
			rank += 10
		}
		if at > 0 {
			rank += 5
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
