package server

import (
	"net/url"
	"strconv"

	"github.com/gofiber/fiber/v2"
)

// annotationPageSize bounds one page of the annotation export.
const annotationPageSize = 500

type annotation struct {
	ID         string           `json:"id"`
	Type       string           `json:"type"`
	Motivation string           `json:"motivation"`
	Body       annotationBody   `json:"body"`
	Target     annotationTarget `json:"target"`
	// citemap's own terms: which aspect of the feature the passage backs,
	// whether it supports or contradicts it, and how directly: "explicit"
	// (the passage names the feature and states it) or "inferred" (the
	// note says how).
	Aspect     string `json:"citemap:aspect"`
	Relation   string `json:"citemap:relation"`
	Basis      string `json:"citemap:basis"`
	Confidence string `json:"citemap:confidence,omitempty"`
	Note       string `json:"citemap:note,omitempty"`
}

type annotationBody struct {
	ID     string `json:"id"`
	Type   string `json:"type"`
	Format string `json:"format"`
	Title  string `json:"title,omitempty"`
}

type annotationTarget struct {
	Source   string `json:"source"`
	Selector []any  `json:"selector"`
}

type quoteSelector struct {
	Type   string `json:"type"`
	Exact  string `json:"exact"`
	Prefix string `json:"prefix"`
	Suffix string `json:"suffix"`
}

type positionSelector struct {
	Type  string `json:"type"`
	Start int    `json:"start"`
	End   int    `json:"end"`
}

type annotationPage struct {
	Context    any          `json:"@context,omitempty"`
	ID         string       `json:"id"`
	Type       string       `json:"type"`
	PartOf     string       `json:"partOf,omitempty"`
	StartIndex int          `json:"startIndex"`
	Next       string       `json:"next,omitempty"`
	Prev       string       `json:"prev,omitempty"`
	Items      []annotation `json:"items"`
}

const mimeAnnotations = `application/ld+json; profile="http://www.w3.org/ns/anno.jsonld"`

// handleAnnotations exports every claim as a W3C Web Annotation: the body is
// the feature, the target the passage in its source. Without `page` it is the
// AnnotationCollection with its first page embedded; `page=N` is page N.
func (s *Server) handleAnnotations(c *fiber.Ctx) error {
	if _, err := formatOf(c, "f", "page", "v"); err != nil {
		return err
	}
	r, err := s.reader(c)
	if err != nil {
		return err
	}
	page := -1
	if v := c.Query("page"); v != "" {
		n, err := intParam("page", v, 0, maxOffset)
		if err != nil {
			return err
		}
		page = n
	}
	ctx := c.UserContext()
	claims, err := r.Claims(ctx)
	if err != nil {
		return err
	}
	ps, err := r.Passages(ctx, "")
	if err != nil {
		return err
	}
	byID := make(map[string]int, len(ps))
	for i, p := range ps {
		byID[p.ID] = i
	}
	base := s.baseURL(c)
	collID, pinned := base+"/annotations", ""
	if v := c.Query("v"); v != "" {
		// A pinned collection is a collection of its own.
		pinned = "&v=" + v
		collID += "?v=" + v
	}
	pages := max(1, (len(claims)+annotationPageSize-1)/annotationPageSize)
	pageURL := func(n int) string { return base + "/annotations?page=" + strconv.Itoa(n) + pinned }
	build := func(n int) annotationPage {
		pg := annotationPage{ID: pageURL(n), Type: "AnnotationPage", PartOf: collID, StartIndex: n * annotationPageSize, Items: []annotation{}}
		if n+1 < pages {
			pg.Next = pageURL(n + 1)
		}
		if n > 0 {
			pg.Prev = pageURL(n - 1)
		}
		end := min(len(claims), (n+1)*annotationPageSize)
		for _, cl := range claims[min(len(claims), n*annotationPageSize):end] {
			p := ps[byID[cl.Passage]]
			feature := base + "/collections/" + cl.Layer + "/items/" + cl.Feature
			pg.Items = append(pg.Items, annotation{
				ID:         feature + "#claim-" + cl.Passage + "-" + url.PathEscape(cl.Aspect),
				Type:       "Annotation",
				Motivation: "identifying",
				Body:       annotationBody{ID: feature, Type: "Dataset", Format: "application/geo+json"},
				Target: annotationTarget{
					Source: base + "/sources/" + p.Source,
					Selector: []any{
						quoteSelector{Type: "TextQuoteSelector", Exact: p.Exact, Prefix: p.Prefix, Suffix: p.Suffix},
						positionSelector{Type: "TextPositionSelector", Start: p.Start, End: p.End},
					},
				},
				Aspect: cl.Aspect, Relation: cl.Relation, Basis: cl.Basis, Confidence: cl.Confidence, Note: cl.Note,
			})
		}
		return pg
	}
	ctxs := []any{"http://www.w3.org/ns/anno.jsonld", map[string]string{"citemap": base + "/ns#"}}
	if page >= 0 {
		if page >= pages {
			return badRequest("page=%d is past the last page (%d)", page, pages-1)
		}
		pg := build(page)
		pg.Context = ctxs
		return sendJSONAs(c, mimeAnnotations, pg)
	}
	first := build(0)
	out := map[string]any{
		"@context": ctxs,
		"id":       collID,
		"type":     "AnnotationCollection",
		"label":    "Evidence behind every citemap feature",
		"total":    len(claims),
		"first":    first,
		"last":     pageURL(pages - 1),
	}
	return sendJSONAs(c, mimeAnnotations, out)
}
