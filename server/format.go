package server

import (
	"math"
	"strconv"
	"strings"

	"github.com/gofiber/fiber/v2"
)

const (
	formatJSON = "json"
	formatHTML = "html"
)

// format picks the response format: the f parameter first, then Accept.
// No Accept, or */*, means JSON: GIS clients often send nothing.
func format(c *fiber.Ctx) (string, error) {
	// The answer depends on Accept whenever f is absent, and caches must
	// key on it either way: the same URL is HTML for a browser, JSON for QGIS.
	c.Vary(fiber.HeaderAccept)
	switch f := c.Query("f"); f {
	case "json", "geojson":
		return formatJSON, nil
	case "html":
		return formatHTML, nil
	case "":
	default:
		return "", badRequest("f=%s is not a known format: use f=json or f=html", f)
	}
	return negotiate(c.Get(fiber.HeaderAccept)), nil
}

// negotiate picks JSON or HTML for an Accept header (RFC 9110 12.5.1): each
// format gets the q-value of the most specific media range that matches one
// of its types; the higher wins, then the one matched more specifically,
// then the one listed first; JSON when nothing decides.
func negotiate(accept string) string {
	type score struct {
		q           float64
		specificity int // 0 none, 1 */*, 2 type/*, 3 type/subtype
		pos         int
	}
	types := map[string][]string{
		formatHTML: {"text/html", "application/xhtml+xml"},
		formatJSON: {"application/geo+json", "application/json"},
	}
	best := map[string]score{}
	for f, mts := range types {
		var sc score
		for _, mt := range mts {
			// The most specific range matching mt sets its q-value.
			var m score
			for pos, part := range strings.Split(accept, ",") {
				r, q, ok := mediaRange(part)
				if !ok {
					continue
				}
				spec := 0
				switch {
				case r == mt:
					spec = 3
				case strings.HasSuffix(r, "/*") && strings.HasPrefix(mt, strings.TrimSuffix(r, "*")):
					spec = 2
				case r == "*/*":
					spec = 1
				}
				if spec > m.specificity {
					m = score{q: q, specificity: spec, pos: pos}
				}
			}
			if m.specificity > 0 && (m.q > sc.q || (m.q == sc.q && m.specificity > sc.specificity)) {
				sc = m
			}
		}
		best[f] = sc
	}
	h, j := best[formatHTML], best[formatJSON]
	switch {
	case h.q <= 0:
		return formatJSON
	case h.q > j.q,
		h.q == j.q && h.specificity > j.specificity,
		h.q == j.q && h.specificity == j.specificity && h.pos < j.pos:
		return formatHTML
	}
	return formatJSON
}

// mediaRange splits one element of an Accept header into its lower-case
// media range and q-value (1 when absent; an unreadable q is 0).
func mediaRange(part string) (string, float64, bool) {
	r, params, _ := strings.Cut(part, ";")
	r = strings.ToLower(strings.TrimSpace(r))
	if !strings.Contains(r, "/") {
		return "", 0, false
	}
	q := 1.0
	for _, p := range strings.Split(params, ";") {
		k, v, _ := strings.Cut(strings.TrimSpace(p), "=")
		if strings.EqualFold(strings.TrimSpace(k), "q") {
			f, err := strconv.ParseFloat(strings.TrimSpace(v), 64)
			if err != nil || f < 0 || f > 1 || math.IsNaN(f) {
				f = 0
			}
			q = f
		}
	}
	return r, q, true
}

// formatOf checks the query parameters against those the resource takes,
// then picks the response format.
func formatOf(c *fiber.Ctx, known ...string) (string, error) {
	if err := allowParams(c, known...); err != nil {
		return "", err
	}
	return format(c)
}

// allowParams answers 400 naming the first query parameter the route does
// not know: a typo should not silently return everything.
func allowParams(c *fiber.Ctx, known ...string) error {
	var bad string
	c.Context().QueryArgs().VisitAll(func(k, _ []byte) {
		if bad != "" {
			return
		}
		for _, n := range known {
			if string(k) == n {
				return
			}
		}
		bad = string(k)
	})
	if bad != "" {
		return badRequest("unknown query parameter %q; this resource takes %s", bad, strings.Join(known, ", "))
	}
	return nil
}
