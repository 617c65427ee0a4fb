// Package staticmap draws a layer view as a picture, in Go with no browser:
// a PNG (rasterized with golang.org/x/image/vector) or an SVG. Embeds show
// it where scripts do not run: RSS readers, print, social cards, <noscript>.
//
// A picture is laid out first (Renderer.Layout: the view, the legend's
// place, every label's box, the pixels the features draw) and then painted
// from that layout, so the PNG and the SVG are the same picture and tests
// can check the layout the renderer actually used.
package staticmap

import (
	"math"
	"strings"
	"time"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/clip"
	"github.com/paulmach/orb/project"

	"github.com/citemap/citemap/geo"
	"github.com/citemap/citemap/layers"
)

// MaxSide bounds the picture, so a request cannot ask for a giant image.
const MaxSide = 2400

// DefaultBound is the region the sources speak of, the view when the
// requested layers have nothing to fit.
var DefaultBound = orb.Bound{Min: orb.Point{38, 36.5}, Max: orb.Point{51, 44.5}}

// Options says what to draw.
type Options struct {
	Width, Height int
	Bound         orb.Bound          // the view, lon/lat; zero: fit the features (or Feature)
	Layers        []*layers.Snapshot // in drawing order, bottom first
	Basemap       *layers.Snapshot   // drawn under everything, may be nil
	Feature       string             // "layer/id" to frame and highlight, or ""
	Date          *time.Time         // show what stood at this date, or nil for all
	Title         string
	Sources       int // sources cited by what is shown
	Attribution   string
	NoLegend      bool   // legend=0: no legend (the credit line stays)
	Theme         string // "dark", or light for anything else
}

// Style of one layer kind; the web map uses the same colours.
type style struct {
	color, fill string
	label       string // the legend's word when the layer has no title
	short       string // the compact legend's word
}

var kinds = map[string]style{
	layers.KindBorders:   {color: "#5b3f9f", label: "Borders", short: "Borders"},
	layers.KindCountries: {color: "#857657", fill: "#c9b98f", label: "Countries", short: "Countries"},
	layers.KindDisputed:  {color: "#c0392b", fill: "#c0392b", label: "Disputed areas", short: "Disputed"},
	layers.KindBases:     {color: "#9b1c1c", label: "Military bases", short: "Bases"},
	layers.KindCorridors: {color: "#d35400", label: "Transport corridors", short: "Corridors"},
	layers.KindEvents:    {color: "#1f6fb2", label: "Events", short: "Events"},
	layers.KindContext:   {color: "#8b8f94", fill: "#8b8f94", label: "Context (uncited)", short: "Context"},
}

// palette is the theme's colours of everything that is not a layer.
type palette struct {
	sea, land, border, historical, halo, text, muted, panel, townDot, countryText, textHalo, water, river string
}

var (
	light = palette{sea: "#d7e5ee", land: "#f5f2ea", border: "#a99f8b", historical: "#8b8f94", halo: "#ffd21f",
		text: "#1d2430", muted: "#5b6270", panel: "#ffffff", townDot: "#3d4350", countryText: "#7d745f", textHalo: "#ffffff", water: "#4f7391", river: "#86aacb"}
	dark = palette{sea: "#18222d", land: "#2a2e35", border: "#5d6470", historical: "#8b8f94", halo: "#ffd21f",
		text: "#e9e7e3", muted: "#aab0ba", panel: "#1d2229", townDot: "#d0d4da", countryText: "#b3aa94", textHalo: "#11151a", water: "#8fb3cf", river: "#4d7394"}
)

func (o Options) palette() palette {
	if o.Theme == "dark" {
		return dark
	}
	return light
}

func styleOf(kind string) style {
	if s, ok := kinds[kind]; ok {
		return s
	}
	return style{color: "#2e7d32", label: "Features", short: "Features"}
}

// canvas is what a picture is drawn on: a PNG raster or an SVG document.
type canvas interface {
	fillRect(x, y, w, h float64, color string, alpha float64)
	polygon(rings [][][2]float64, fill string, fillAlpha float64, stroke string, width float64, dash bool)
	line(pts [][2]float64, stroke string, width float64, dash bool)
	circle(x, y, r float64, fill, stroke string, width float64)
	// text draws s with its baseline at y, from x; a halo (a colour, or "")
	// keeps it readable over the map.
	text(x, y float64, s string, size float64, color string, bold bool, halo string)
	textWidth(s string, size float64, bold bool) float64
	// glyphs draws a name set letter by letter along a line (alongline.go).
	glyphs(gs []glyph, size float64, color, halo string)
	// covers reports whether the font draws every letter of s.
	covers(s string) bool
}

// view maps lon/lat to picture pixels through Web Mercator.
type view struct {
	minX, maxY, scale float64
	offX, offY        float64
	bound             orb.Bound // what is visible, lon/lat
	area              Rect      // the pixels the map occupies
}

// newView fits b into area, pad pixels inside its edges, centred.
func newView(b orb.Bound, area Rect, pad float64) view {
	lo := project.WGS84.ToMercator(b.Min)
	hi := project.WGS84.ToMercator(b.Max)
	dx, dy := hi[0]-lo[0], hi[1]-lo[1]
	w, h := area.W()-2*pad, area.H()-2*pad
	scale := math.Min(w/dx, h/dy)
	v := view{minX: lo[0], maxY: hi[1], scale: scale, area: area,
		offX: area.X0 + pad + (w-dx*scale)/2, offY: area.Y0 + pad + (h-dy*scale)/2}
	tl := v.unproject(area.X0, area.Y0)
	br := v.unproject(area.X1, area.Y1)
	v.bound = orb.Bound{Min: orb.Point{tl[0], br[1]}, Max: orb.Point{br[0], tl[1]}}
	return v
}

func (v view) project(p orb.Point) [2]float64 {
	m := project.WGS84.ToMercator(p)
	return [2]float64{v.offX + (m[0]-v.minX)*v.scale, v.offY + (v.maxY-m[1])*v.scale}
}

func (v view) unproject(x, y float64) orb.Point {
	m := orb.Point{(x-v.offX)/v.scale + v.minX, v.maxY - (y-v.offY)/v.scale}
	p := project.Mercator.ToWGS84(m)
	return orb.Point{math.Max(-180, math.Min(180, p[0])), math.Max(-85, math.Min(85, p[1]))}
}

// margin is the visible bound widened a little, for clipping.
func (v view) margin() orb.Bound {
	d := math.Max(v.bound.Max[0]-v.bound.Min[0], v.bound.Max[1]-v.bound.Min[1]) * 0.05
	return orb.Bound{Min: orb.Point{v.bound.Min[0] - d, math.Max(-85, v.bound.Min[1]-d)},
		Max: orb.Point{v.bound.Max[0] + d, math.Min(85, v.bound.Max[1]+d)}}
}

// Validate checks the options a request can set.
func (o *Options) Validate() error {
	if o.Width < 16 || o.Height < 16 || o.Width > MaxSide || o.Height > MaxSide {
		return layers.Errorf(layers.EINVALID, "width and height must be between 16 and %d pixels, got %dx%d", MaxSide, o.Width, o.Height)
	}
	if !o.Bound.IsZero() && (o.Bound.Max[0] <= o.Bound.Min[0] || o.Bound.Max[1] <= o.Bound.Min[1]) {
		return layers.Errorf(layers.EINVALID, "the view is empty")
	}
	return nil
}

// visible reports whether feature i of sn stood at the date.
func visible(sn *layers.Snapshot, i int, date *time.Time) bool {
	if date == nil {
		return true
	}
	return sn.Times[i].Overlaps(geo.Interval{Start: *date, End: *date})
}

// historical reports whether a feature no longer stands (at the date, or
// now): withdrawn, or valid until a day that has passed. Events are dated by
// nature and never drawn as historical.
func historical(kind string, props map[string]any, date *time.Time) bool {
	if kind == layers.KindEvents {
		return false
	}
	status, _ := props["status"].(string)
	if s := strings.ToLower(status); strings.HasPrefix(s, "historical") || strings.HasPrefix(s, "withdrawn") {
		return true
	}
	to, _ := props["valid_to"].(string)
	if to == "" {
		return false
	}
	_, end, err := geo.DateSpan(to)
	now := time.Now()
	if date != nil {
		now = *date
	}
	return err == nil && end.Before(now)
}

// role is a basemap feature's part: country (the default), land, border,
// place, region, sea or river.
func role(props map[string]any) string {
	r, _ := props["role"].(string)
	if r == "" {
		return "country"
	}
	return r
}

// draw paints the picture laid out in l on c.
func draw(c canvas, o Options, l *Layout) {
	p := o.palette()
	v := l.view
	W, H := float64(o.Width), float64(o.Height)
	c.fillRect(0, 0, W, H, p.sea, 1)
	m := v.margin()
	if o.Basemap != nil {
		var borders, rivers []orb.Geometry
		for _, i := range o.Basemap.Search(m) {
			g := o.Basemap.Features[i].Geometry
			if beyond, _ := o.Basemap.Flat[i]["beyond"].(bool); beyond {
				continue // a country's part beyond the 1:10m extent: the land under it is drawn
			}
			switch role(o.Basemap.Flat[i]) {
			case "country", "land":
				drawArea(c, v, m, g, p.land, 1, "", 0, false)
			case "border":
				borders = append(borders, g)
			case "river":
				rivers = append(rivers, g)
			}
		}
		for _, g := range borders {
			drawLines(c, v, m, g, p.border, 0.9*l.scale, false)
		}
		// Rivers over the borders: where a river is the border (the Araks
		// with Iran), the reader still sees the river.
		for _, g := range rivers {
			drawLines(c, v, m, g, p.river, 0.8*l.scale, false)
		}
	}
	drawFeatures(c, o, v, l.scale, false)
	if l.beside {
		// The legend's own strip: the map stops at its edge.
		c.fillRect(l.Map.X1, 0, W-l.Map.X1, H, p.panel, 1)
		if l.Map.Y1 < H {
			c.fillRect(0, l.Map.Y1, W, H-l.Map.Y1, p.panel, 1)
		}
	}
	drawLabels(c, o, l)
	drawLegend(c, o, l)
	drawCredit(c, o, l)
}

// drawFeatures draws the thematic layers and the focus highlight. With
// maskOnly, everything is drawn in one colour: the feature pixel mask.
func drawFeatures(c canvas, o Options, v view, px float64, maskOnly bool) {
	p := o.palette()
	m := v.margin()
	// The focused feature's highlight goes under everything, so the
	// feature itself stays visible on it.
	if g, _ := focusGeometry(o); g != nil && !maskOnly {
		drawGeometry(c, v, m, g, p.halo, "", 0, px, false, true)
	}
	for _, sn := range o.Layers {
		st := styleOf(sn.Layer.Kind)
		for _, i := range sn.Search(m) {
			if !visible(sn, i, o.Date) {
				continue
			}
			f := sn.Features[i]
			color, fill, dash := st.color, st.fill, sn.Layer.Kind == layers.KindDisputed
			w := px
			alpha := 0.22
			if historical(sn.Layer.Kind, sn.Flat[i], o.Date) {
				color, dash, alpha = p.historical, true, 0.12
				if fill != "" {
					fill = p.historical
				}
			}
			switch {
			case countryArea(sn.Layer.Kind, f.Geometry):
				// Country areas are the stage, not the subject, and the
				// basemap draws the land: neither fill nor outline, which
				// would both show the data's clip edges as straight lines
				// (and leave the countries outside the layer paler). Shown
				// alone, they get the faint fill, so the picture shows them.
				if maskOnly || !onlyCountries(o) {
					continue
				}
				drawGeometry(c, v, m, f.Geometry, "", kinds[layers.KindCountries].fill, 0.14, w, false, false)
				continue
			case sn.Layer.Kind == layers.KindContext:
				alpha, dash = 0.12, true
			}
			if maskOnly {
				// Lines and outlines opaque, fills at a fixed faint alpha:
				// the mask tells strokes (which a label must not hide) from
				// the inside of an area (where its own name may stand).
				color, fill, alpha = "#000000", "#000000", maskFillAlpha
			}
			drawGeometry(c, v, m, f.Geometry, color, fill, alpha, w, dash, false)
		}
	}
}

// onlyCountries reports whether every layer shown is of country areas.
func onlyCountries(o Options) bool {
	for _, sn := range o.Layers {
		if sn.Layer.Kind != layers.KindCountries {
			return false
		}
	}
	return len(o.Layers) > 0
}

// maskFillAlpha is the alpha of an area's fill in the feature mask; strokes
// are opaque there (see Layout.StrokeOverlap).
const maskFillAlpha = 0.3

// countryArea reports whether a feature is a country's area: a polygon of
// the countries layer, or of a borders layer from before the split.
func countryArea(kind string, g orb.Geometry) bool {
	switch g.(type) {
	case orb.Polygon, orb.MultiPolygon:
		return kind == layers.KindCountries || kind == layers.KindBorders
	}
	return false
}

// pointRadius is the radius of a thematic point symbol at line scale px.
func pointRadius(px float64) float64 { return 5 * px }

// drawGeometry draws one feature in its layer's style.
func drawGeometry(c canvas, v view, b orb.Bound, g orb.Geometry, color, fill string, alpha, px float64, dash, halo bool) {
	switch g := g.(type) {
	case orb.Point:
		if !b.Contains(g) {
			return
		}
		p := v.project(g)
		if halo {
			c.circle(p[0], p[1], pointRadius(px)+5*px, "", color, 3*px)
			return
		}
		c.circle(p[0], p[1], pointRadius(px), color, "#ffffff", 1.5*px)
	case orb.MultiPoint:
		for _, p := range g {
			drawGeometry(c, v, b, p, color, fill, alpha, px, dash, halo)
		}
	case orb.LineString, orb.MultiLineString:
		w := 2.5 * px
		if halo {
			w = 8 * px
		}
		drawLines(c, v, b, g, color, w, dash && !halo)
	case orb.Polygon, orb.MultiPolygon:
		if halo {
			drawArea(c, v, b, g, "", 0, color, 4*px, false)
			return
		}
		if fill == "" {
			alpha = 0
		}
		drawArea(c, v, b, g, fill, alpha, color, 1.6*px, dash)
	case orb.Collection:
		for _, x := range g {
			drawGeometry(c, v, b, x, color, fill, alpha, px, dash, halo)
		}
	}
}

func drawLines(c canvas, v view, b orb.Bound, g orb.Geometry, color string, w float64, dash bool) {
	for _, l := range lines(clip.Geometry(b, orb.Clone(g))) {
		pts := make([][2]float64, len(l))
		for i, p := range l {
			pts[i] = v.project(p)
		}
		c.line(pts, color, w, dash)
	}
}

func lines(g orb.Geometry) []orb.LineString {
	switch g := g.(type) {
	case orb.LineString:
		return []orb.LineString{g}
	case orb.MultiLineString:
		return g
	}
	return nil
}

// polygons returns g clipped to b as polygons, or nil.
func polygons(b orb.Bound, g orb.Geometry) orb.MultiPolygon {
	switch g := clip.Geometry(b, orb.Clone(g)).(type) {
	case orb.Polygon:
		return orb.MultiPolygon{g}
	case orb.MultiPolygon:
		return g
	}
	return nil
}

func drawArea(c canvas, v view, b orb.Bound, g orb.Geometry, fill string, alpha float64, stroke string, width float64, dash bool) {
	for _, p := range polygons(b, g) {
		rings := make([][][2]float64, len(p))
		for i, r := range p {
			rings[i] = make([][2]float64, len(r))
			for j, pt := range r {
				rings[i][j] = v.project(pt)
			}
		}
		c.polygon(rings, fill, alpha, stroke, width, dash)
	}
}

func clipGeometry(b orb.Bound, g orb.Geometry) orb.Geometry { return clip.Geometry(b, orb.Clone(g)) }
