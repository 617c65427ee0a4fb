// Package staticmap draws a layer view as a picture, in Go with no browser:
// a PNG (rasterized with golang.org/x/image/vector) or an SVG. Embeds show
// it where scripts do not run: RSS readers, print, social cards, <noscript>.
package staticmap

import (
	"fmt"
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

// DefaultBound is the region the sources speak of.
var DefaultBound = orb.Bound{Min: orb.Point{26, 34}, Max: orb.Point{76, 50}}

// Options says what to draw.
type Options struct {
	Width, Height int
	Bound         orb.Bound          // the view, lon/lat
	Layers        []*layers.Snapshot // in drawing order, bottom first
	Basemap       *layers.Snapshot   // drawn under everything, may be nil
	Feature       string             // "layer/id" to highlight, or ""
	Date          *time.Time         // show what stood at this date, or nil for all
	Title         string
	Sources       int // sources cited by what is shown
	Attribution   string
}

// Style of one layer kind; the web map uses the same colours.
type style struct {
	color, fill string
	label       string
}

var kinds = map[string]style{
	layers.KindBorders:   {color: "#5b3f9f", fill: "", label: "Countries and borders"},
	layers.KindDisputed:  {color: "#c0392b", fill: "#c0392b", label: "Disputed areas"},
	layers.KindBases:     {color: "#9b1c1c", label: "Military bases"},
	layers.KindCorridors: {color: "#d35400", label: "Transport corridors"},
	layers.KindEvents:    {color: "#1f6fb2", label: "Events"},
}

const (
	colorSea        = "#d7e5ee"
	colorLand       = "#f5f2ea"
	colorLandBorder = "#b3aa98"
	colorHistorical = "#8b8f94"
	colorHalo       = "#ffd21f"
	colorText       = "#1d2430"
	colorPanel      = "#ffffff"
)

func styleOf(kind string) style {
	if s, ok := kinds[kind]; ok {
		return s
	}
	return style{color: "#2e7d32", label: "Features"}
}

// canvas is what a picture is drawn on: a PNG raster or an SVG document.
type canvas interface {
	fillRect(x, y, w, h float64, color string, alpha float64)
	polygon(rings [][][2]float64, fill string, fillAlpha float64, stroke string, width float64, dash bool)
	line(pts [][2]float64, stroke string, width float64, dash bool)
	circle(x, y, r float64, fill, stroke string, width float64)
	text(x, y float64, s string, size float64, color string, bold bool)
	textWidth(s string, size float64) float64
}

// view maps lon/lat to picture pixels through Web Mercator.
type view struct {
	minX, maxY, scale float64
	offX, offY        float64
	bound             orb.Bound // what is visible, lon/lat, with a margin
}

func newView(b orb.Bound, w, h int) view {
	lo := project.WGS84.ToMercator(b.Min)
	hi := project.WGS84.ToMercator(b.Max)
	dx, dy := hi[0]-lo[0], hi[1]-lo[1]
	scale := math.Min(float64(w)/dx, float64(h)/dy)
	v := view{minX: lo[0], maxY: hi[1], scale: scale,
		offX: (float64(w) - dx*scale) / 2, offY: (float64(h) - dy*scale) / 2}
	// What the picture shows, which may be wider than b on one axis.
	tl := v.unproject(0, 0)
	br := v.unproject(float64(w), float64(h))
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

// Validate checks the options a request can set.
func (o *Options) Validate() error {
	if o.Width < 16 || o.Height < 16 || o.Width > MaxSide || o.Height > MaxSide {
		return layers.Errorf(layers.EINVALID, "width and height must be between 16 and %d pixels, got %dx%d", MaxSide, o.Width, o.Height)
	}
	if o.Bound.IsZero() {
		o.Bound = DefaultBound
	}
	if o.Bound.Max[0] <= o.Bound.Min[0] || o.Bound.Max[1] <= o.Bound.Min[1] {
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

// draw paints the whole picture on c.
func draw(c canvas, o Options) {
	v := newView(o.Bound, o.Width, o.Height)
	W, H := float64(o.Width), float64(o.Height)
	c.fillRect(0, 0, W, H, colorSea, 1)
	margin := orb.Bound{Min: orb.Point{v.bound.Min[0] - 1, v.bound.Min[1] - 1}, Max: orb.Point{v.bound.Max[0] + 1, v.bound.Max[1] + 1}}
	px := math.Max(1, W/900) // line widths grow a little with the picture

	if o.Basemap != nil {
		for _, i := range o.Basemap.Search(margin) {
			drawArea(c, v, margin, o.Basemap.Features[i].Geometry, colorLand, 1, colorLandBorder, 0.8*px, false)
		}
	}
	var highlight func()
	for _, sn := range o.Layers {
		st := styleOf(sn.Layer.Kind)
		for _, i := range sn.Search(margin) {
			if !visible(sn, i, o.Date) {
				continue
			}
			f := sn.Features[i]
			color, dash := st.color, false
			if historical(sn.Layer.Kind, sn.Flat[i], o.Date) {
				color, dash = colorHistorical, true
			}
			if sn.Layer.ID+"/"+f.ID == o.Feature {
				g := f.Geometry
				highlight = func() { drawGeometry(c, v, margin, g, colorHalo, "", px, false, true) }
			}
			w := px
			if sn.Layer.Kind == layers.KindBorders {
				if _, area := f.Geometry.(orb.MultiPolygon); area {
					w = px * 0.6 // country outlines stay under the borders the sources discuss
				}
			}
			drawGeometry(c, v, margin, f.Geometry, color, st.fill, w, dash || sn.Layer.Kind == layers.KindDisputed, false)
		}
	}
	if highlight != nil {
		highlight()
	}
	drawLegend(c, o, px)
}

// drawGeometry draws one feature in its layer's style.
func drawGeometry(c canvas, v view, b orb.Bound, g orb.Geometry, color, fill string, px float64, dash, halo bool) {
	switch g := g.(type) {
	case orb.Point:
		if !b.Contains(g) {
			return
		}
		p := v.project(g)
		if halo {
			c.circle(p[0], p[1], 9*px, "", color, 3*px)
			return
		}
		c.circle(p[0], p[1], 5*px, color, "#ffffff", 1.5*px)
	case orb.MultiPoint:
		for _, p := range g {
			drawGeometry(c, v, b, p, color, fill, px, dash, halo)
		}
	case orb.LineString, orb.MultiLineString:
		w := 2.5 * px
		if halo {
			w = 7 * px
		}
		for _, l := range lines(clip.Geometry(b, orb.Clone(g))) {
			pts := make([][2]float64, len(l))
			for i, p := range l {
				pts[i] = v.project(p)
			}
			c.line(pts, color, w, dash && !halo)
		}
	case orb.Polygon, orb.MultiPolygon:
		alpha := 0.0
		if fill != "" {
			alpha = 0.22
		}
		if halo {
			drawArea(c, v, b, g, "", 0, color, 4*px, false)
			return
		}
		drawArea(c, v, b, g, fill, alpha, color, 1.6*px, dash)
	case orb.Collection:
		for _, x := range g {
			drawGeometry(c, v, b, x, color, fill, px, dash, halo)
		}
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

func drawArea(c canvas, v view, b orb.Bound, g orb.Geometry, fill string, alpha float64, stroke string, width float64, dash bool) {
	var polys orb.MultiPolygon
	switch g := clip.Geometry(b, orb.Clone(g)).(type) {
	case orb.Polygon:
		polys = orb.MultiPolygon{g}
	case orb.MultiPolygon:
		polys = g
	default:
		return
	}
	for _, p := range polys {
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

// drawLegend draws the title, a legend of the layers shown, the number of
// sources and the attribution.
func drawLegend(c canvas, o Options, px float64) {
	size := 13 * px
	pad := 8 * px
	rows := []struct {
		label, kind string
		count       int
	}{}
	for _, sn := range o.Layers {
		n := 0
		for i := range sn.Features {
			if visible(sn, i, o.Date) {
				n++
			}
		}
		label := sn.Layer.Title
		if label == "" {
			label = styleOf(sn.Layer.Kind).label
		}
		rows = append(rows, struct {
			label, kind string
			count       int
		}{label, sn.Layer.Kind, n})
	}
	lines := []string{}
	if o.Title != "" {
		lines = append(lines, o.Title)
	}
	width := 0.0
	for _, l := range lines {
		width = math.Max(width, c.textWidth(l, size*1.1))
	}
	for _, r := range rows {
		width = math.Max(width, 22*px+c.textWidth(fmt.Sprintf("%s (%d)", r.label, r.count), size))
	}
	footer := fmt.Sprintf("%d sources cited", o.Sources)
	if o.Sources == 1 {
		footer = "1 source cited"
	}
	if o.Date != nil {
		footer += " · as of " + o.Date.Format("2 Jan 2006")
	}
	width = math.Max(width, c.textWidth(footer, size))
	lh := size * 1.45
	h := pad*2 + lh*float64(len(lines)+len(rows)+1)
	x, y := pad, float64(o.Height)-h-pad-size
	c.fillRect(x, y, width+pad*2, h, colorPanel, 0.9)
	ty := y + pad + size
	for _, l := range lines {
		c.text(x+pad, ty, l, size*1.1, colorText, true)
		ty += lh
	}
	for _, r := range rows {
		st := styleOf(r.kind)
		sx, sy := x+pad+7*px, ty-size*0.35
		switch r.kind {
		case layers.KindBorders, layers.KindDisputed:
			fill := st.fill
			c.polygon([][][2]float64{{{sx - 6*px, sy - 5*px}, {sx + 6*px, sy - 5*px}, {sx + 6*px, sy + 5*px}, {sx - 6*px, sy + 5*px}, {sx - 6*px, sy - 5*px}}},
				fill, 0.22, st.color, 1.5*px, r.kind == layers.KindDisputed)
		case layers.KindCorridors:
			c.line([][2]float64{{sx - 7*px, sy}, {sx + 7*px, sy}}, st.color, 2.5*px, false)
		default:
			c.circle(sx, sy, 5*px, st.color, "#ffffff", 1.5*px)
		}
		c.text(x+pad+22*px, ty, fmt.Sprintf("%s (%d)", r.label, r.count), size, colorText, false)
		ty += lh
	}
	c.text(x+pad, ty, footer, size, colorText, false)
	if o.Attribution != "" {
		as := size * 0.8
		aw := c.textWidth(o.Attribution, as)
		c.fillRect(float64(o.Width)-aw-2*pad, float64(o.Height)-as-pad, aw+2*pad, as+pad, colorPanel, 0.75)
		c.text(float64(o.Width)-aw-pad, float64(o.Height)-pad*0.7, o.Attribution, as, colorText, false)
	}
}
