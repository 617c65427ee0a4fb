package server

import (
	"bytes"
	"embed"
	"fmt"
	"html/template"
	"io/fs"
	"path"
	"sort"
	"strings"

	"github.com/gofiber/fiber/v2"

	"github.com/citemap/citemap/layers"
)

//go:embed templates/*.tmpl
var templateFiles embed.FS

//go:embed ui
var uiFiles embed.FS

// htmlPage is what every template gets.
type htmlPage struct {
	Title    string
	JSONHref string
	Head     []link   // extra <link> elements
	Scripts  []string // same-origin scripts
	Data     any
}

// templates parses one template set per page, each with the layout.
func parseTemplates() (map[string]*template.Template, error) {
	pages, err := fs.Glob(templateFiles, "templates/*.tmpl")
	if err != nil {
		return nil, err
	}
	out := map[string]*template.Template{}
	for _, p := range pages {
		name := strings.TrimSuffix(path.Base(p), ".tmpl")
		if name == "layout" {
			continue
		}
		t, err := template.ParseFS(templateFiles, "templates/layout.tmpl", p)
		if err != nil {
			return nil, fmt.Errorf("parse %s: %w", p, err)
		}
		out[name] = t
	}
	return out, nil
}

// renderHTML renders a page; every value reaching it is escaped by
// html/template, so text from sources can never become markup.
func (s *Server) renderHTML(c *fiber.Ctx, name string, p htmlPage) error {
	t, ok := s.templates[name]
	if !ok {
		return fmt.Errorf("no template %q", name)
	}
	if p.JSONHref == "" {
		u := *c.Request().URI()
		args := u.QueryArgs()
		args.Set("f", "json")
		p.JSONHref = string(u.Path()) + "?" + string(args.QueryString())
	}
	var buf bytes.Buffer
	if err := t.ExecuteTemplate(&buf, "layout", p); err != nil {
		return fmt.Errorf("render %s: %w", name, err)
	}
	return sendTagged(c, fiber.MIMETextHTMLCharsetUTF8, buf.Bytes())
}

func (s *Server) handleUI(c *fiber.Ctx) error {
	name := path.Clean("ui/" + c.Params("*"))
	b, err := fs.ReadFile(uiFiles, name)
	if err != nil || !strings.HasPrefix(name, "ui/") {
		return layers.Errorf(layers.ENOTFOUND, "no file %q", c.Params("*"))
	}
	c.Set(fiber.HeaderContentType, contentType(name))
	c.Set(fiber.HeaderCacheControl, "public, max-age=3600")
	return c.Send(b)
}

// itemsPage is the HTML view of a page of items.
type itemsPage struct {
	Layer      layers.Layer
	Matched    int
	Offset     int
	Features   []pageFeature
	Prev, Next string
}

type pageFeature struct {
	ID, Layer, Name, Status, Dates string
	SourceCount                    any
	Props                          [][2]string
	Evidence                       []evidenceJSON
}

func newPageFeature(sn *layers.Snapshot, i int) pageFeature {
	f := sn.Features[i]
	return pageFeatureOf(f.Layer, f.ID, sn.Flat[i])
}

// pageFeatureOf is a feature's row in a page from its flat properties.
func pageFeatureOf(layer, id string, flat map[string]any) pageFeature {
	str := func(k string) string { v, _ := flat[k].(string); return v }
	name := str("name")
	if name == "" {
		name = id
	}
	pf := pageFeature{ID: id, Layer: layer, Name: name, Status: str("status"), SourceCount: flat["source_count"]}
	if from, to := str("valid_from"), str("valid_to"); from != "" || to != "" {
		pf.Dates = from + " – " + to
	}
	keys := make([]string, 0, len(flat))
	for k := range flat {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		pf.Props = append(pf.Props, [2]string{k, fmt.Sprint(flat[k])})
	}
	return pf
}

func pageFeatures(sn *layers.Snapshot, idx []int) []pageFeature {
	out := make([]pageFeature, len(idx))
	for n, i := range idx {
		out[n] = newPageFeature(sn, i)
	}
	return out
}

// readerPage is the source reader: the text cut into segments at every
// passage boundary, each segment knowing the passages that cover it.
type readerPage struct {
	Source     layers.Source
	Passages   []layers.Passage
	Paragraphs [][]segment
}

type segment struct {
	Text     string
	Passages string       // space-separated ids of the passages covering it
	Starts   []string     // ids of the passages starting here (for #passage-ID)
	Backs    []passageEnd // passages ending here, with the features they back
}

type passageEnd struct {
	Passage  string
	Features []backRef
}

// backRef is a feature a passage backs: inferred when every claim it makes
// on the passage is only inferred (Note says how).
type backRef struct {
	layers.FeatureRef
	Inferred bool
	Note     string
}

// backRefs turns the features a passage backs into backRefs, explicit ones
// first, from the claims on it.
func backRefs(refs []layers.FeatureRef, claims []layers.Claim) []backRef {
	out := make([]backRef, 0, len(refs))
	for _, r := range refs {
		b := backRef{FeatureRef: r}
		var notes []string
		explicit, inferred := false, false
		for _, c := range claims {
			if c.Layer != r.Layer || c.Feature != r.Feature {
				continue
			}
			if c.Basis == layers.Inferred {
				inferred = true
				notes = append(notes, c.Note)
			} else {
				explicit = true
			}
		}
		b.Inferred = inferred && !explicit
		if b.Inferred {
			b.Note = strings.Join(notes, " ")
		}
		out = append(out, b)
	}
	sort.SliceStable(out, func(i, j int) bool { return !out[i].Inferred && out[j].Inferred })
	return out
}

func newReaderPage(src layers.Source, ps []layers.Passage, backs map[string][]backRef) readerPage {
	text := []rune(src.Text)
	cuts := map[int]bool{0: true, len(text): true}
	for _, p := range ps {
		cuts[p.Start], cuts[p.End] = true, true
	}
	for i, r := range text {
		if r == '\n' {
			cuts[i], cuts[i+1] = true, true
		}
	}
	points := make([]int, 0, len(cuts))
	for k := range cuts {
		if k >= 0 && k <= len(text) {
			points = append(points, k)
		}
	}
	sort.Ints(points)

	page := readerPage{Source: src, Passages: ps}
	para := []segment{}
	for n := 0; n+1 < len(points); n++ {
		a, b := points[n], points[n+1]
		if b-a == 1 && text[a] == '\n' {
			page.Paragraphs = append(page.Paragraphs, para)
			para = []segment{}
			continue
		}
		seg := segment{Text: string(text[a:b])}
		var ids []string
		for _, p := range ps {
			if p.Start <= a && p.End >= b {
				ids = append(ids, p.ID)
			}
			if p.Start == a {
				seg.Starts = append(seg.Starts, p.ID)
			}
			if p.End == b {
				seg.Backs = append(seg.Backs, passageEnd{Passage: p.ID, Features: backs[p.ID]})
			}
		}
		seg.Passages = strings.Join(ids, " ")
		para = append(para, seg)
	}
	page.Paragraphs = append(page.Paragraphs, para)
	return page
}
