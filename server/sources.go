package server

import (
	"net/url"

	"github.com/gofiber/fiber/v2"

	"github.com/citemap/citemap/layers"
)

type sourceJSON struct {
	ID           string `json:"id"`
	Label        string `json:"label"`
	Title        string `json:"title"`
	Publisher    string `json:"publisher"`
	Author       string `json:"author"`
	Language     string `json:"language"`
	Published    string `json:"published"`
	URL          string `json:"url"`
	Retrieved    string `json:"retrieved"`
	SHA256       string `json:"sha256"`
	Note         string `json:"note"`
	PassageCount int    `json:"passage_count"`
	Links        []link `json:"links"`
}

func sourceSummary(base string, src layers.Source, passages int) sourceJSON {
	return sourceJSON{
		ID: src.ID, Label: src.Label(), Title: src.Title, Publisher: src.Publisher, Author: src.Author,
		Language: src.Language, Published: src.Published, URL: src.URL, Retrieved: src.Retrieved,
		SHA256: src.SHA256, Note: src.Note, PassageCount: passages,
		Links: []link{{Href: base + "/sources/" + src.ID + "?f=json", Rel: "self", Type: "application/json"}},
	}
}

func (s *Server) handleSources(c *fiber.Ctx) error {
	f, err := formatOf(c, "f", "v")
	if err != nil {
		return err
	}
	r, err := s.reader(c)
	if err != nil {
		return err
	}
	ctx := c.UserContext()
	srcs, err := r.Sources(ctx)
	if err != nil {
		return err
	}
	ps, err := r.Passages(ctx, "")
	if err != nil {
		return err
	}
	count := map[string]int{}
	for _, p := range ps {
		count[p.Source]++
	}
	base := s.baseURL(c)
	out := struct {
		Sources []sourceJSON `json:"sources"`
		Links   []link       `json:"links"`
	}{Sources: []sourceJSON{}, Links: []link{{Href: base + "/sources?f=json", Rel: "self", Type: "application/json"}}}
	for _, src := range srcs {
		out.Sources = append(out.Sources, sourceSummary(base, src, count[src.ID]))
	}
	if f == formatHTML {
		return s.renderHTML(c, "sources", htmlPage{Title: "Sources", Data: out.Sources})
	}
	return sendJSON(c, out)
}

type passageJSON struct {
	ID     string `json:"id"`
	Source string `json:"source"`
	layers.Selector
	Verified string        `json:"verified"`
	Features []featureLink `json:"features"`
	Links    []link        `json:"links"`
}

type featureLink struct {
	Layer   string         `json:"layer"`
	Feature string         `json:"feature"`
	Name    string         `json:"name"`
	Href    string         `json:"href"`
	Claims  []layers.Claim `json:"claims"`
}

// passage describes p with every feature it backs and how.
func (s *Server) passage(c *fiber.Ctx, base string, p layers.Passage) (passageJSON, error) {
	ctx := c.UserContext()
	r, err := s.reader(c) // the features a passage backs depend on the data version
	if err != nil {
		return passageJSON{}, err
	}
	out := passageJSON{
		ID: p.ID, Source: p.Source, Selector: p.Selector, Verified: p.Verified,
		Features: []featureLink{},
		Links: []link{
			{Href: base + "/passages/" + p.ID + "?f=json", Rel: "self", Type: "application/json"},
			{Href: base + "/sources/" + p.Source + "#passage-" + p.ID, Rel: "via", Type: "text/html", Title: "Read in context"},
		},
	}
	refs, err := r.PassageFeatures(ctx, p.ID)
	if err != nil {
		return out, err
	}
	for _, ref := range refs {
		f, err := r.Feature(ctx, ref.Layer, ref.Feature)
		if err != nil {
			return out, err
		}
		fl := featureLink{Layer: ref.Layer, Feature: ref.Feature, Name: f.Name(), Href: base + "/collections/" + ref.Layer + "/items/" + ref.Feature, Claims: []layers.Claim{}}
		for _, cl := range f.Claims {
			if cl.Passage == p.ID {
				fl.Claims = append(fl.Claims, cl)
			}
		}
		out.Features = append(out.Features, fl)
	}
	return out, nil
}

func (s *Server) handleSource(c *fiber.Ctx) error {
	f, err := formatOf(c, "f", "v")
	if err != nil {
		return err
	}
	r, err := s.reader(c)
	if err != nil {
		return err
	}
	ctx := c.UserContext()
	src, err := r.Source(ctx, c.Params("source"))
	if layers.ErrorCode(err) == layers.ENOTFOUND && s.cfg.Editor != nil && f == formatJSON && c.Query("v") == "" {
		// A draft source: its author and reviewers read it.
		return s.draftSource(c)
	}
	if err != nil {
		return err
	}
	ps, err := r.Passages(ctx, src.ID)
	if err != nil {
		return err
	}
	base := s.baseURL(c)
	if f == formatHTML {
		claims, err := r.Claims(ctx)
		if err != nil {
			return err
		}
		onPassage := map[string][]layers.Claim{}
		for _, cl := range claims {
			onPassage[cl.Passage] = append(onPassage[cl.Passage], cl)
		}
		backs := map[string][]backRef{}
		for _, p := range ps {
			refs, err := r.PassageFeatures(ctx, p.ID)
			if err != nil {
				return err
			}
			backs[p.ID] = backRefs(refs, onPassage[p.ID])
		}
		self := base + "/sources/" + src.ID
		return s.renderHTML(c, "source", htmlPage{
			Title: src.Label(), Data: newReaderPage(src, ps, backs), Scripts: []string{"/ui/reader.js"},
			Head: []link{{Rel: "alternate", Type: "application/json+oembed", Title: src.Label(),
				Href: base + "/oembed?format=json&url=" + url.QueryEscape(self)}},
		})
	}
	out := struct {
		sourceJSON
		BodyEnd  int           `json:"body_end"`
		Text     string        `json:"text"`
		Passages []passageJSON `json:"passages"`
	}{sourceJSON: sourceSummary(base, src, len(ps)), BodyEnd: src.BodyEnd, Text: src.Text, Passages: []passageJSON{}}
	for _, p := range ps {
		pj, err := s.passage(c, base, p)
		if err != nil {
			return err
		}
		out.Passages = append(out.Passages, pj)
	}
	return sendJSON(c, out)
}

func (s *Server) handlePassage(c *fiber.Ctx) error {
	if _, err := formatOf(c, "f", "v"); err != nil {
		return err
	}
	r, err := s.reader(c)
	if err != nil {
		return err
	}
	ctx := c.UserContext()
	p, err := r.Passage(ctx, c.Params("passage"))
	if err != nil {
		return err
	}
	src, err := r.Source(ctx, p.Source)
	if err != nil {
		return err
	}
	base := s.baseURL(c)
	pj, err := s.passage(c, base, p)
	if err != nil {
		return err
	}
	out := struct {
		passageJSON
		SourceInfo sourceJSON `json:"source_info"`
	}{passageJSON: pj, SourceInfo: sourceSummary(base, src, 0)}
	return sendJSON(c, out)
}

// handlePassages lists every passage with the features it backs: what the
// map's search runs over.
func (s *Server) handlePassages(c *fiber.Ctx) error {
	if _, err := formatOf(c, "f", "v"); err != nil {
		return err
	}
	r, err := s.reader(c)
	if err != nil {
		return err
	}
	ctx := c.UserContext()
	ps, err := r.Passages(ctx, "")
	if err != nil {
		return err
	}
	base := s.baseURL(c)
	out := struct {
		Passages []passageJSON `json:"passages"`
	}{Passages: make([]passageJSON, 0, len(ps))}
	for _, p := range ps {
		pj, err := s.passage(c, base, p)
		if err != nil {
			return err
		}
		out.Passages = append(out.Passages, pj)
	}
	return sendJSON(c, out)
}
