package server

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"html"
	"io/fs"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/paulmach/orb"

	"github.com/citemap/citemap/geo"
	"github.com/citemap/citemap/layers"
	"github.com/citemap/citemap/layers/staticmap"
)

// viewFlags are the render flags embeds, static images and oEmbed share.
type viewFlags struct {
	Layers  []string // collection ids, bottom first
	Bound   orb.Bound
	View    *geo.View
	Feature string // layer/id
	Date    *time.Time
	Theme   string // auto, light, dark
	Legend  bool
	Sources string // panel, count, none
	Static  bool
	Version int // 0 = latest
	Width   int
	Height  int
}

// flagNames are the parameters viewFlags reads.
var flagNames = []string{"layers", "bbox", "view", "feature", "date", "theme", "legend", "sources", "static", "v", "width", "height"}

// defaultOrder draws areas under lines under points.
var defaultOrder = []string{layers.KindBorders, layers.KindDisputed, layers.KindCorridors, layers.KindBases, layers.KindEvents}

// parseFlags reads render flags from q, checking layers and the version
// against the store. defW/defH are the picture size when none is asked for.
func (s *Server) parseFlags(c *fiber.Ctx, q url.Values, defW, defH int) (viewFlags, error) {
	f := viewFlags{Theme: "auto", Legend: true, Sources: "panel", Width: defW, Height: defH}
	ctx := c.UserContext()
	var err error
	if q.Has("width") {
		if f.Width, err = intParam("width", q.Get("width"), minSide, staticmap.MaxSide); err != nil {
			return f, err
		}
	}
	if q.Has("height") {
		if f.Height, err = intParam("height", q.Get("height"), minSide, staticmap.MaxSide); err != nil {
			return f, err
		}
	}
	var r layers.Reader = s.store
	if q.Has("v") {
		if f.Version, err = intParam("v", q.Get("v"), 1, maxVersion); err != nil {
			return f, err
		}
		if r, err = s.at(ctx, f.Version); err != nil {
			return f, err
		}
	}
	all, err := r.Layers(ctx)
	if err != nil {
		return f, err
	}
	known := map[string]layers.Layer{}
	for _, l := range collectionLayers(all) {
		known[l.ID] = l
	}
	if v := q.Get("layers"); v != "" {
		for _, id := range strings.Split(v, ",") {
			if _, ok := known[id]; !ok {
				return f, badRequest("layers: %q is not a layer; there are %s", id, strings.Join(sortedIDs(known), ", "))
			}
			f.Layers = append(f.Layers, id)
		}
	} else {
		for _, l := range collectionLayers(all) {
			f.Layers = append(f.Layers, l.ID)
		}
	}
	rank := map[string]int{}
	for i, k := range defaultOrder {
		rank[k] = i + 1
	}
	if v := q.Get("bbox"); v != "" {
		bs, err := geo.ParseBBox(v)
		if err != nil {
			return f, badRequest("%v", err)
		}
		if len(bs) != 1 || bs[0].Max[0] == bs[0].Min[0] || bs[0].Max[1] == bs[0].Min[1] {
			return f, badRequest("bbox must be a box with width and height, not crossing the antimeridian")
		}
		f.Bound = bs[0]
	}
	if v := q.Get("view"); v != "" {
		view, err := geo.ParseView(v)
		if err != nil {
			return f, badRequest("%v", err)
		}
		f.View = &view
		if f.Bound.IsZero() {
			f.Bound = view.Bound(f.Width, f.Height)
		}
	}
	if v := q.Get("feature"); v != "" {
		layer, id, ok := strings.Cut(v, "/")
		if !ok {
			return f, badRequest("feature=%s must be layer/id", v)
		}
		if _, ok := known[layer]; !ok {
			return f, badRequest("feature=%s: %q is not a layer; there are %s", v, layer, strings.Join(sortedIDs(known), ", "))
		}
		if _, err := r.Feature(ctx, layer, id); err != nil {
			if layers.ErrorCode(err) == layers.ENOTFOUND {
				return f, badRequest("feature=%s: layer %s has no feature %q", v, layer, id)
			}
			return f, err
		}
		f.Feature = v
		// The focused feature is drawn even when its layer was not asked for.
		if !slicesContains(f.Layers, layer) {
			f.Layers = append(f.Layers, layer)
		}
	}
	sort.SliceStable(f.Layers, func(i, j int) bool { return rank[known[f.Layers[i]].Kind] < rank[known[f.Layers[j]].Kind] })
	if v := q.Get("date"); v != "" {
		t, err := time.Parse("2006-01-02", v)
		if err != nil {
			return f, badRequest("date=%s must be YYYY-MM-DD", v)
		}
		f.Date = &t
	}
	choice := func(name string, options ...string) (string, error) {
		v := q.Get(name)
		for _, o := range options {
			if v == o {
				return v, nil
			}
		}
		return "", badRequest("%s=%s must be one of %s", name, v, strings.Join(options, ", "))
	}
	if q.Has("theme") {
		if f.Theme, err = choice("theme", "auto", "light", "dark"); err != nil {
			return f, err
		}
	}
	if q.Has("legend") {
		v, err := choice("legend", "0", "1")
		if err != nil {
			return f, err
		}
		f.Legend = v == "1"
	}
	if q.Has("sources") {
		if f.Sources, err = choice("sources", "panel", "count", "none"); err != nil {
			return f, err
		}
	}
	if q.Has("static") {
		v, err := choice("static", "0", "1")
		if err != nil {
			return f, err
		}
		f.Static = v == "1"
	}
	return f, nil
}

func sortedIDs(m map[string]layers.Layer) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// query returns the flags as a query string, for links that keep the state.
func (f viewFlags) query(withSize bool) url.Values {
	q := url.Values{}
	q.Set("layers", strings.Join(f.Layers, ","))
	if f.View != nil {
		q.Set("view", f.View.String())
	} else if !f.Bound.IsZero() {
		b := f.Bound
		q.Set("bbox", fmt.Sprintf("%g,%g,%g,%g", b.Min[0], b.Min[1], b.Max[0], b.Max[1]))
	}
	if f.Feature != "" {
		q.Set("feature", f.Feature)
	}
	if f.Date != nil {
		q.Set("date", f.Date.Format("2006-01-02"))
	}
	if f.Version > 0 {
		q.Set("v", strconv.Itoa(f.Version))
	}
	if !f.Legend {
		q.Set("legend", "0")
	}
	if f.Theme != "" && f.Theme != "auto" {
		q.Set("theme", f.Theme)
	}
	if withSize {
		q.Set("width", strconv.Itoa(f.Width))
		q.Set("height", strconv.Itoa(f.Height))
	}
	return q
}

// picture is what the flags show: the layers to draw, their title and the
// sources they cite. A layer over the whole-layer limit is read from the
// store's levels for the view, and its features are held until the
// picture is drawn: such pictures take a slot of their own limiter
// (Config.Expensive of them at once: 32 distinct pictures at once over
// bench's 1M polygons took the process to 1.6 GiB without it, 0.4 GiB
// with it), which release frees. The caller calls release once it is done
// with the options, error or not.
func (s *Server) picture(ctx context.Context, f viewFlags) (o staticmap.Options, release func(), err error) {
	o = staticmap.Options{Width: f.Width, Height: f.Height, Bound: f.Bound, Feature: f.Feature, Date: f.Date,
		NoLegend: !f.Legend, Theme: f.Theme,
		Attribution: "Natural Earth · GeoNames (CC BY 4.0) · citemap"}
	release = func() {}
	var r layers.Reader = s.store
	if f.Version > 0 {
		if r, err = s.at(ctx, f.Version); err != nil {
			return o, release, err
		}
	}
	for _, id := range f.Layers {
		l, err := s.layerOf(ctx, r, id)
		if err != nil {
			return o, release, err
		}
		forView, err := s.readForView(ctx, r, l)
		if err != nil {
			return o, release, err
		}
		if forView {
			if release, err = s.views.acquire(ctx); err != nil {
				return o, func() {}, err
			}
			break
		}
	}
	defer func() {
		if err != nil {
			release()
		}
	}()
	sources := map[string]bool{}
	ps, err := layers.PassageSources(ctx, s.store)
	if err != nil {
		return o, release, err
	}
	var titles []string
	for _, id := range f.Layers {
		sn, passages, err := s.viewSnapshot(ctx, r, id, f)
		if err != nil {
			return o, release, err
		}
		o.Layers = append(o.Layers, sn)
		titles = append(titles, sn.Layer.Title)
		for i, feat := range sn.Features {
			if f.Date != nil && !sn.Times[i].Overlaps(geo.Interval{Start: *f.Date, End: *f.Date}) {
				continue
			}
			var srcs []string
			if passages != nil { // read for the view, without its claims
				for _, p := range passages[feat.ID] {
					srcs = append(srcs, ps[p])
				}
			} else {
				_, srcs = feat.Evidence(ps)
			}
			for _, src := range srcs {
				if src != "" {
					sources[src] = true
				}
			}
		}
	}
	o.Sources = len(sources)
	o.Title = strings.Join(titles, " · ")
	if f.Feature != "" {
		layer, id, _ := strings.Cut(f.Feature, "/")
		for _, sn := range o.Layers {
			if sn.Layer.ID == layer {
				if i := sn.Index(id); i >= 0 {
					o.Title = sn.Features[i].Name()
				}
			}
		}
	}
	if base, err := s.snapshotOf(ctx, r, "basemap"); err == nil {
		o.Basemap = base
	}
	return o, release, nil
}

// description is what a page or oEmbed says of a view.
type description struct {
	title   string
	sources int // the sources its features cite
}

// describe is the title and source count of the picture the flags ask
// for, kept per data version: every visit of a page asks for them, and
// reading a large layer for the view took 0.1 s and tens of megabytes a
// time over bench's 1M polygons. Concurrent first visits share one reading.
func (s *Server) describe(ctx context.Context, f viewFlags) (description, error) {
	// The current version keys a pinned view too (its query names the
	// pin): the count reads the current passages' sources.
	v, _ := s.store.Version(ctx)
	key := strconv.Itoa(v) + "|" + f.query(true).Encode()
	return s.described.getOr(ctx, key, func(ctx context.Context) (description, error) {
		o, release, err := s.picture(ctx, f)
		release()
		return description{title: o.Title, sources: o.Sources}, err
	})
}

// handleStaticMap serves /static/map.png and /static/map.svg: the view
// drawn in Go, for feeds, print, social cards and <noscript>.
func (s *Server) handleStaticMap(c *fiber.Ctx) error {
	if err := allowParams(c, flagNames...); err != nil {
		return err
	}
	ext := c.Params("ext")
	if ext != "png" && ext != "svg" {
		return layers.Errorf(layers.ENOTFOUND, "no /static/map.%s: static maps are map.png and map.svg", ext)
	}
	q, _ := url.ParseQuery(string(c.Context().QueryArgs().QueryString()))
	f, err := s.parseFlags(c, q, 1200, 630)
	if err != nil {
		return err
	}
	v, _ := s.store.Version(c.UserContext())
	if f.Version > 0 {
		v = f.Version
	}
	h := sha256.Sum256([]byte(fmt.Sprintf("%d|%s|%s", v, ext, f.query(true).Encode())))
	etag := `"` + hex.EncodeToString(h[:10]) + `"`
	c.Set(fiber.HeaderETag, etag)
	c.Set(fiber.HeaderCacheControl, "public, max-age=300")
	if etagMatch(c.Get(fiber.HeaderIfNoneMatch), strings.Trim(etag, `"`)) {
		return c.SendStatus(fiber.StatusNotModified)
	}
	contentType := "image/png"
	if ext == "svg" {
		contentType = "image/svg+xml"
	}
	key := strings.Trim(etag, `"`) + "|" + s.baseURL(c)
	if b, ok := s.pictures.get(key); ok {
		c.Set(fiber.HeaderContentType, contentType)
		return c.Send(b)
	}
	// Prepared before taking a slot: the layers' snapshots take their own.
	o, release, err := s.picture(c.UserContext(), f)
	defer release()
	if err != nil {
		return err
	}
	return s.expensive.do(c, func() error {
		b, ok := s.pictures.get(key) // drawn while this request waited
		if !ok {
			var err error
			if ext == "png" {
				b, err = s.renderer.PNG(o)
			} else {
				b, err = s.renderer.SVG(o)
			}
			if err != nil {
				return err
			}
			s.pictures.put(key, b)
		}
		c.Set(fiber.HeaderContentType, contentType)
		return c.Send(b)
	})
}

// oembedDefault is the embed's size when the consumer sets no maximum.
const oembedW, oembedH = 640, 480

// handleOEmbed answers oEmbed for map and embed URLs of this server.
func (s *Server) handleOEmbed(c *fiber.Ctx) error {
	if err := allowParams(c, "url", "maxwidth", "maxheight", "format"); err != nil {
		return err
	}
	if f := c.Query("format"); f != "" && f != "json" {
		return fiber.NewError(fiber.StatusNotImplemented, "format="+f+" is not implemented: oEmbed is served as JSON")
	}
	raw := c.Query("url")
	if raw == "" {
		return badRequest("url is required: the address of a citemap map or embed")
	}
	u, err := url.Parse(raw)
	base, _ := url.Parse(s.baseURL(c))
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || !strings.EqualFold(u.Host, base.Host) {
		return layers.Errorf(layers.ENOTFOUND, "%q is not an address on %s", raw, base.Host)
	}
	var source *layers.Source
	switch {
	case u.Path == "/" || u.Path == "" || u.Path == "/embed":
	case strings.HasPrefix(u.Path, "/sources/"):
		// A source page embeds as the map of everything, titled by it.
		src, err := s.store.Source(c.UserContext(), strings.TrimPrefix(u.Path, "/sources/"))
		if err != nil {
			return err
		}
		source = &src
	default:
		return layers.Errorf(layers.ENOTFOUND, "%q is not a citemap map, embed or source address", raw)
	}
	// Map permalinks keep their state in the fragment; embeds in the query.
	q := u.Query()
	if frag, err := url.ParseQuery(u.Fragment); err == nil {
		if v := frag.Get("map"); v != "" && !q.Has("view") {
			q.Set("view", v)
		}
		for _, k := range []string{"layers", "feature", "date", "v"} {
			if v := frag.Get(k); v != "" && !q.Has(k) {
				q.Set(k, v)
			}
		}
	}
	for k := range q {
		if !slicesContains(flagNames, k) {
			q.Del(k) // the consumer's own tracking parameters, say
		}
	}
	w, h := oembedW, oembedH
	maxDim := func(name string, cur int) (int, error) {
		v := c.Query(name)
		if v == "" {
			return cur, nil
		}
		// A picture smaller than the smallest map cannot be offered.
		return cappedParam(name, v, minSide, cur)
	}
	if w, err = maxDim("maxwidth", w); err != nil {
		return err
	}
	if h, err = maxDim("maxheight", h); err != nil {
		return err
	}
	q.Del("width")
	q.Del("height")
	f, err := s.parseFlags(c, q, w, h)
	if err != nil {
		return err
	}
	d, err := s.describe(c.UserContext(), f)
	if err != nil {
		return err
	}
	title := d.title
	if source != nil && f.Version > 0 {
		// A pinned map is titled by the source as that version held it.
		r, err := s.at(c.UserContext(), f.Version)
		if err != nil {
			return err
		}
		src, err := r.Source(c.UserContext(), source.ID)
		if err != nil {
			return err
		}
		source = &src
	}
	if source != nil {
		title = "Map of the places in " + source.Label()
	}
	embed := s.baseURL(c) + "/embed?" + f.query(false).Encode()
	thumb := f
	thumb.Width, thumb.Height = w, h
	snippet := fmt.Sprintf(`<iframe src="%s" title="%s" width="%d" height="%d" loading="lazy" allowfullscreen style="border:0;max-width:100%%"></iframe>`,
		html.EscapeString(embed), html.EscapeString("Map: "+title), w, h)
	return c.JSON(fiber.Map{
		"type":             "rich",
		"version":          "1.0",
		"title":            title,
		"provider_name":    "citemap",
		"provider_url":     s.baseURL(c) + "/",
		"html":             snippet,
		"width":            w,
		"height":           h,
		"thumbnail_url":    s.baseURL(c) + "/static/map.png?" + thumb.query(true).Encode(),
		"thumbnail_width":  w,
		"thumbnail_height": h,
		"cache_age":        3600,
	})
}

func slicesContains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// handleEmbed serves /embed: the map without site chrome. The front end
// reads the render flags from the URL; the server checks them first, so a
// bad flag is a clear error page rather than a broken frame.
func (s *Server) handleEmbed(c *fiber.Ctx) error {
	if err := allowParams(c, flagNames...); err != nil {
		return err
	}
	q, _ := url.ParseQuery(string(c.Context().QueryArgs().QueryString()))
	f, err := s.parseFlags(c, q, 1200, 630)
	if err != nil {
		return err
	}
	return s.sendApp(c, f, true)
}

// sendApp serves the front end's index.html with the page's discovery and
// sharing tags: oEmbed, OpenGraph and Twitter cards with a static picture.
func (s *Server) sendApp(c *fiber.Ctx, f viewFlags, embed bool) error {
	if s.cfg.Assets == nil {
		return layers.Errorf(layers.ENOTFOUND, "no front end is built into this server")
	}
	page, err := fs.ReadFile(s.cfg.Assets, "index.html")
	if err != nil {
		return err
	}
	d, err := s.describe(c.UserContext(), f)
	if err != nil {
		return err
	}
	base := s.baseURL(c)
	self := base + c.OriginalURL()
	card := f
	card.Width, card.Height = 1200, 630
	image := base + "/static/map.png?" + card.query(true).Encode()
	desc := fmt.Sprintf("%s: a map of the South Caucasus and Central Asia in which every feature cites the passages behind it (%d sources).", d.title, d.sources)
	var head bytes.Buffer
	e := html.EscapeString
	fmt.Fprintf(&head, `<link rel="alternate" type="application/json+oembed" href="%s" title="%s">`+"\n",
		e(base+"/oembed?format=json&url="+url.QueryEscape(self)), e(d.title))
	fmt.Fprintf(&head, `<meta property="og:type" content="website"><meta property="og:site_name" content="citemap">`+"\n")
	fmt.Fprintf(&head, `<meta property="og:title" content="%s"><meta property="og:description" content="%s">`+"\n", e(d.title), e(desc))
	fmt.Fprintf(&head, `<meta property="og:url" content="%s"><meta property="og:image" content="%s">`+"\n", e(self), e(image))
	fmt.Fprintf(&head, `<meta property="og:image:width" content="1200"><meta property="og:image:height" content="630"><meta property="og:image:alt" content="%s">`+"\n", e("Map: "+d.title))
	fmt.Fprintf(&head, `<meta name="twitter:card" content="summary_large_image"><meta name="twitter:title" content="%s"><meta name="twitter:image" content="%s">`+"\n", e(d.title), e(image))
	if embed {
		head.WriteString(`<meta name="citemap:mode" content="embed">` + "\n")
	}
	c.Set(fiber.HeaderContentType, fiber.MIMETextHTMLCharsetUTF8)
	return c.Send(injectHead(page, head.Bytes()))
}

// injectHead puts tags at the end of a page's head: before </head>, or,
// in a page that leaves its head implicit, right after the doctype.
func injectHead(page, tags []byte) []byte {
	if i := bytes.Index(page, []byte("</head>")); i >= 0 {
		return append(append(append([]byte{}, page[:i]...), tags...), page[i:]...)
	}
	i := 0
	if bytes.HasPrefix(bytes.ToLower(page), []byte("<!doctype html>")) {
		i = len("<!doctype html>")
	}
	return append(append(append([]byte{}, page[:i]...), tags...), page[i:]...)
}
