package staticmap

import (
	"image"
	"math"
	"slices"
	"sort"
	"strings"
	"unicode"

	"github.com/paulmach/orb"

	"github.com/citemap/citemap/layers"
)

// placer places labels greedily, most important first: a label goes to the
// first of its candidate positions that stays inside the map and meets no
// label, no point symbol, the legend or the credit line.
type placer struct {
	strict    bool   // the focused feature's name: only off the data's lines
	reserved  []Rect // dots of the towns near the focus, kept free of its name
	themed    []Rect // the thematic point symbols
	m         canvas
	l         *Layout
	bounds    Rect
	obstacles []Rect
}

func (p *placer) free(r Rect, own Rect) bool {
	if !p.bounds.Contains(r) {
		return false
	}
	for _, o := range p.obstacles {
		if o != own && r.Intersects(o) {
			return false
		}
	}
	for _, lb := range p.l.Labels {
		if r.Intersects(lb.Box) {
			return false
		}
	}
	return true
}

// size is a label's box size for lines at font size s.
func (p *placer) size(lines []string, s float64, bold bool) (float64, float64) {
	w := 0.0
	for _, t := range lines {
		w = math.Max(w, p.m.textWidth(t, s, bold))
	}
	return w + 2*p.l.scale, float64(len(lines))*s*1.18 + p.l.scale
}

// try places lb at the first free box of the candidates (top-left corners).
func (p *placer) try(lb Label, w, h float64, own Rect, at ...[2]float64) bool {
	for _, c := range at {
		r := Rect{c[0], c[1], c[0] + w, c[1] + h}
		if p.free(r, own) {
			lb.Box = r
			lb.Text = strings.Join(lb.lines, "\n")
			p.l.Labels = append(p.l.Labels, lb)
			return true
		}
	}
	return false
}

// around are the places of a w×h label beside a symbol box s: right,
// left, above, below, then the diagonals.
func around(s Rect, w, h, gap float64) [][2]float64 {
	cy := (s.Y0+s.Y1)/2 - h/2
	cx := (s.X0+s.X1)/2 - w/2
	return [][2]float64{
		{s.X1 + gap, cy}, {s.X0 - gap - w, cy}, {cx, s.Y0 - gap - h}, {cx, s.Y1 + gap},
		{s.X1 + gap, s.Y0 - h}, {s.X1 + gap, s.Y1}, {s.X0 - gap - w, s.Y0 - h}, {s.X0 - gap - w, s.Y1},
	}
}

type themed struct {
	name   string
	kind   string
	focus  bool
	geom   orb.Geometry
	symbol Rect // for points
}

// maxTries is how many of the thematic features placeLabels tries to name
// besides the focused one.
const maxTries = 500

func placeLabels(m canvas, o Options, l *Layout) {
	pal := o.palette()
	sc, v := l.scale, l.view
	p := &placer{m: m, l: l, bounds: l.Map.grow(-3 * sc)}
	if !l.Legend.Empty() {
		p.obstacles = append(p.obstacles, l.Legend.grow(3*sc))
	}
	p.obstacles = append(p.obstacles, l.Credit)
	mg := v.margin()

	// Every thematic point symbol is an obstacle, labelled or not.
	var things []themed
	for _, sn := range o.Layers {
		for _, i := range sn.Search(mg) {
			if !visible(sn, i, o.Date) {
				continue
			}
			f := sn.Features[i]
			t := themed{name: f.Name(), kind: sn.Layer.Kind, focus: sn.Layer.ID+"/"+f.ID == o.Feature, geom: f.Geometry}
			if pt, ok := f.Geometry.(orb.Point); ok {
				q := v.project(pt)
				r := pointRadius(sc) + 1.5*sc
				t.symbol = Rect{q[0] - r, q[1] - r, q[0] + r, q[1] + r}
				if l.Map.Contains(t.symbol) {
					p.obstacles = append(p.obstacles, t.symbol)
					p.themed = append(p.themed, t.symbol)
					l.Symbols = append(l.Symbols, t.symbol)
				}
			}
			// Country areas are named by the basemap, once.
			if t.focus || !countryArea(sn.Layer.Kind, f.Geometry) || (o.Basemap == nil && sn.Layer.Kind != layers.KindCountries) {
				things = append(things, t)
			}
		}
	}
	sort.SliceStable(things, func(i, j int) bool { return things[i].focus && !things[j].focus })

	size := l.font
	// 0. The towns next to the focused feature say where it is: their dots
	// are kept free of the feature's label, and labelled right after it.
	near := o.Basemap != nil && !l.Focus.Empty()
	if near {
		placeTowns(p, o, size*0.88, townsReserve)
	}
	// 1. The focused feature.
	for _, t := range things {
		if !t.focus {
			continue
		}
		// Where the name crosses no line of the data: as set, then wrapped
		// narrower; only then anywhere free.
		lb := func(w float64) Label {
			return Label{Kind: "focus", lines: wrap(m, t.name, size*1.1, true, w*sc, 3), size: size * 1.1, bold: true, color: pal.text}
		}
		// On one line first, if it takes at most half the map's width: a
		// short name wrapped where it would fit reads as a layout fault.
		widths := []float64{230, 150, 110}
		if one := m.textWidth(t.name, size*1.1, true) / sc; one*sc <= l.Map.W()/2 {
			widths = append([]float64{one + 1}, widths...)
		}
		placed := false
		p.strict = true
		for _, w := range widths {
			if placed = placeThing(p, t, lb(w), true); placed {
				break
			}
		}
		if !placed && len(p.reserved) > 0 {
			// Still crossing lines: a town near the feature gives way
			// (its dot and name are left out) rather than the data.
			keep := p.obstacles
			p.obstacles = nil
			for _, o := range keep {
				if !slices.Contains(p.reserved, o) {
					p.obstacles = append(p.obstacles, o)
				}
			}
			for _, w := range widths {
				if placed = placeThing(p, t, lb(w), true); placed {
					break
				}
			}
			box := Rect{}
			if placed {
				box = p.l.Labels[len(p.l.Labels)-1].Box
			}
			p.obstacles = nil
			for _, o := range keep {
				if !o.Intersects(box) {
					p.obstacles = append(p.obstacles, o)
				}
			}
		}
		p.strict = false
		if !placed {
			placeThing(p, t, lb(widths[0]), true)
		}
	}
	if near {
		placeTowns(p, o, size*0.88, townsNear)
	}
	// 2. Capitals, then countries where they fit inside their own area (a
	// small country's name moves off its point rather than hide its capital,
	// as on the web map).
	if o.Basemap != nil {
		placeTowns(p, o, size*0.88, townsCapital)
		placeCountries(p, o, size*0.95)
	}
	// 3. The other thematic features, maxTries of them at most: a view of
	// a large layer holds thousands, and a picture has room for the names
	// of a few hundred.
	tries := 0
	for _, t := range things {
		if t.focus {
			continue
		}
		if tries++; tries > maxTries {
			break
		}
		color := styleOf(t.kind).color
		if t.kind == layers.KindContext {
			color = pal.muted
		}
		// Three lines at most; a name that needs more is left out rather
		// than cut short.
		lines := wrap(m, t.name, size*0.9, false, 150*sc, 3)
		if truncated(lines) {
			continue
		}
		placeThing(p, t, Label{Kind: "feature", lines: lines, size: size * 0.9, color: darker(color, pal)}, false)
	}
	// 4. Capitals with a thematic symbol on them (Baku's, Yerevan's,
	// Tehran's): the symbol marks the spot, and the name goes beside it,
	// without a dot, where the features' own names left room.
	if o.Basemap != nil {
		placeTowns(p, o, size*0.88, townsMarked)
	}
	// 5. Towns, then regions, from the basemap.
	if o.Basemap != nil {
		placeTowns(p, o, size*0.88, townsOther)
		placeTowns(p, o, size*0.88, townsRegions)
	}
	// 6. Water, last: every other label wins a contested spot.
	if o.Basemap != nil {
		placeWater(p, o, size*0.9)
	}
}

// placeWater names the seas at their open-water point and the rivers along
// their lines (alongline.go), or beside the straightest stretch where the
// line in view is too short or winding to follow. A water name never covers
// what the thematic layers draw: the corridors run along the Araks.
func placeWater(p *placer, o Options, size float64) {
	pal := o.palette()
	v, sc := p.l.view, p.l.scale
	bm := o.Basemap
	clear := func(r Rect) bool { return float64(p.l.MaskOverlap(r)) <= 0.02*r.W()*r.H() }
	try := func(lb Label, w, h float64, at [][2]float64) bool {
		var ok [][2]float64
		for _, c := range at {
			if clear(Rect{c[0], c[1], c[0] + w, c[1] + h}) {
				ok = append(ok, c)
			}
		}
		return p.try(lb, w, h, Rect{}, ok...)
	}
	named := map[string]bool{}
	for _, i := range bm.Search(v.bound) {
		r := role(bm.Flat[i])
		name := bm.Features[i].Name()
		if (r != "sea" && r != "river") || name == "" || named[name] || !p.m.covers(name) {
			continue
		}
		lb := Label{Kind: "water", size: size, color: pal.water}
		switch g := bm.Features[i].Geometry.(type) {
		case orb.Point:
			// Two lines, as a sea name is set: it stays inside the water.
			lb.lines = wrap(p.m, name, size, false, 60*sc, 2)
			w, h := p.size(lb.lines, size, false)
			q := v.project(g)
			var at [][2]float64
			for _, d := range [][2]float64{{0, 0}, {0, -0.8}, {0, 0.8}, {-0.4, 0}, {0.4, 0}, {0, -1.6}, {0, 1.6}} {
				at = append(at, [2]float64{q[0] - w/2 + d[0]*w, q[1] - h/2 + d[1]*h})
			}
			named[name] = try(lb, w, h, at)
		case orb.LineString, orb.MultiLineString:
			if placeAlong(p, g, name, lb) {
				named[name] = true
				continue
			}
			// Too short or too winding in view to follow: beside its
			// straightest stretch.
			lb.lines = []string{name}
			w, h := p.size(lb.lines, size, false)
			var at [][2]float64
			for _, s := range straightStretches(v, g, 2*sc, 2*w) {
				for _, f := range []float64{0.5, 0.3, 0.7} {
					q := [2]float64{s[0][0] + (s[1][0]-s[0][0])*f, s[0][1] + (s[1][1]-s[0][1])*f}
					mid := Rect{q[0] - 2*sc, q[1] - 2*sc, q[0] + 2*sc, q[1] + 2*sc}
					c := around(mid, w, h, 3*sc)
					// Beside a line that runs across the picture: above or
					// below it; beside one that runs down it: left or right.
					if math.Abs(s[1][0]-s[0][0]) >= math.Abs(s[1][1]-s[0][1]) {
						c[0], c[1], c[2], c[3] = c[2], c[3], c[0], c[1]
					}
					at = append(at, c[:4]...)
				}
			}
			named[name] = try(lb, w, h, at)
		}
	}
}

// straightStretches are the straight-ish stretches of a line in view, as
// pixel end points, longest first: runs of vertices that stay within tol of
// the chord between their ends, at least minLen long.
func straightStretches(v view, g orb.Geometry, tol, minLen float64) [][2][2]float64 {
	var out [][2][2]float64
	for _, ln := range lines(clipTo(v.bound, g)) {
		pts := make([][2]float64, len(ln))
		for i, q := range ln {
			pts[i] = v.project(q)
		}
		for i := 0; i+1 < len(pts); {
			j := i + 1
			for j+1 < len(pts) && withinChord(pts[i:j+2], tol) {
				j++
			}
			a, b := pts[i], pts[j]
			if math.Hypot(b[0]-a[0], b[1]-a[1]) >= minLen {
				out = append(out, [2][2]float64{a, b})
			}
			i = j
		}
	}
	sort.SliceStable(out, func(i, j int) bool {
		li := math.Hypot(out[i][1][0]-out[i][0][0], out[i][1][1]-out[i][0][1])
		lj := math.Hypot(out[j][1][0]-out[j][0][0], out[j][1][1]-out[j][0][1])
		return li > lj
	})
	return out
}

// withinChord reports whether every vertex of pts lies within tol of the
// segment from its first to its last.
func withinChord(pts [][2]float64, tol float64) bool {
	a, b := pts[0], pts[len(pts)-1]
	dx, dy := b[0]-a[0], b[1]-a[1]
	l := math.Hypot(dx, dy)
	if l == 0 {
		return false
	}
	for _, q := range pts[1 : len(pts)-1] {
		if math.Abs((q[0]-a[0])*dy-(q[1]-a[1])*dx)/l > tol {
			return false
		}
	}
	return true
}

// darker keeps a layer colour readable as text on the light theme.
func darker(c string, pal palette) string {
	if pal == dark {
		return pal.text
	}
	return c
}

// clear keeps the candidate boxes that cover at most a sliver of what the
// thematic layers draw, and with all, the others after them.
func (p *placer) clear(w, h float64, at [][2]float64, all bool) [][2]float64 {
	var clear, rest [][2]float64
	for _, c := range at {
		if float64(p.l.MaskOverlap(Rect{c[0], c[1], c[0] + w, c[1] + h})) <= 0.02*w*h {
			clear = append(clear, c)
		} else {
			rest = append(rest, c)
		}
	}
	if !all {
		return clear
	}
	return append(clear, rest...)
}

// truncated reports whether wrap had to cut the text short.
func truncated(lines []string) bool {
	return len(lines) > 0 && strings.HasSuffix(lines[len(lines)-1], "…")
}

// placeThing places the label of a thematic feature: beside a point, along
// a line, inside an area.
func placeThing(p *placer, t themed, lb Label, must bool) bool {
	v, sc := p.l.view, p.l.scale
	w, h := p.size(lb.lines, lb.size, lb.bold)
	switch g := t.geom.(type) {
	case orb.Point:
		if !p.l.Map.Contains(t.symbol) {
			return false
		}
		if !must {
			return p.try(lb, w, h, t.symbol, p.clear(w, h, around(t.symbol, w, h, 3*sc), false)...)
		}
		// The focused point is always named: beside its symbol, then a
		// little further out, first where the name crosses no line of the
		// data, and only then where it does (it may cover other features).
		var at [][2]float64
		for _, gap := range []float64{3, 10, 20} {
			at = append(at, around(t.symbol, w, h, gap*sc)...)
		}
		return p.try(lb, w, h, t.symbol, p.offStrokes(w, h, p.clear(w, h, at, true), !p.strict)...)
	case orb.LineString, orb.MultiLineString:
		var at [][2]float64
		for _, ln := range lines(clipTo(v.bound, g)) {
			pts := make([][2]float64, len(ln))
			for i, q := range ln {
				pts[i] = v.project(q)
			}
			// A line barely in view (a stub at the picture's edge) is not
			// named: the name would stand for something the reader cannot
			// see.
			if !must && pixelLength(pts) < math.Min(w, 120*sc) {
				continue
			}
			for _, f := range []float64{0.5, 0.35, 0.65, 0.2, 0.8} {
				q := along(pts, f)
				s := Rect{q[0] - 3*sc, q[1] - 3*sc, q[0] + 3*sc, q[1] + 3*sc}
				at = append(at, around(s, w, h, 4*sc)...)
			}
		}
		if must && p.strict {
			return p.try(lb, w, h, Rect{}, p.offStrokes(w, h, at, false)...)
		}
		return p.try(lb, w, h, Rect{}, p.clear(w, h, at, must)...)
	case orb.Polygon, orb.MultiPolygon:
		q, rings, _, ok := interiorOf(v, g)
		if !ok {
			return false
		}
		lb.own = outline(v, g)
		at := [][2]float64{{q[0] - w/2, q[1] - h/2}, {q[0] - w/2, q[1] - h*1.3}, {q[0] - w/2, q[1] + h*0.3}, {q[0] - w*0.9, q[1] - h/2}, {q[0] - w*0.1, q[1] - h/2}}
		// Then the other deep points of the area, for when a line of the
		// data crosses its middle.
		for _, d := range deepPoints(rings, 8) {
			at = append(at, [2]float64{d[0] - w/2, d[1] - h/2})
		}
		if must {
			// The focused area is always named: further tries around.
			for _, d := range [][2]float64{{0, -2.5}, {0, 2.5}, {-1.2, -1.3}, {1.2, -1.3}, {-1.2, 1.3}, {1.2, 1.3}, {0, -4}, {0, 4}} {
				at = append(at, [2]float64{q[0] - w/2 + d[0]*w, q[1] - h/2 + d[1]*h})
			}
			return p.try(lb, w, h, Rect{}, p.offStrokesBut(w, h, at, !p.strict, lb.own)...)
		}
		// An area mostly outside the picture (Crimea in a corner) is named
		// only where its whole name fits inside the part in view: a name on
		// a sliver at the edge reads as cut off.
		if visibleShare(v, g) < 0.5 {
			var in [][2]float64
			for _, c := range at {
				if insideAll(rings, c[0], c[1], w, h) {
					in = append(in, c)
				}
			}
			at = in
		}
		// Another area's name never hides a line or outline of the data.
		return p.try(lb, w, h, Rect{}, p.offStrokesBut(w, h, at, false, lb.own)...)
	}
	return false
}

// ownOutline says which pixels of region lie on an area's own outline
// (rings in pixels), or nil for none. The pixels of the region within
// reach of an edge are marked once, the first time they are asked for,
// edge by edge over the pixels around it: measuring each stroke pixel of
// each candidate box against every edge took a picture of Armenia over a
// layer of 100,000 polygons 10 s. The marks are exactly
// edgeDist(own, x, y) <= tol at the pixels' centres; other points are
// measured.
func (l *Layout) ownOutline(own [][][2]float64, region Rect) func(x, y float64) bool {
	if own == nil {
		return nil
	}
	tol := 2.5 * l.scale
	measure := func(x, y float64) bool { return edgeDist(own, x, y) <= tol }
	if l.Features == nil {
		return measure
	}
	b := l.Features.Bounds().Intersect(image.Rect(int(math.Floor(region.X0)), int(math.Floor(region.Y0)), int(math.Ceil(region.X1)), int(math.Ceil(region.Y1))))
	if b.Empty() {
		return measure
	}
	var near []bool
	mark := func() {
		near = make([]bool, b.Dx()*b.Dy())
		// span is the pixels (inclusive) whose centres lie within tol of
		// [lo, hi], inside [min, max); empty when a > z.
		span := func(lo, hi float64, min, max int) (int, int) {
			a := math.Max(float64(min), math.Floor(lo-tol-0.5))
			z := math.Min(float64(max-1), math.Ceil(hi+tol-0.5))
			return int(a), int(z)
		}
		for _, r := range own {
			for i := 0; i+1 < len(r); i++ {
				a, c := r[i], r[i+1]
				x0, x1 := span(math.Min(a[0], c[0]), math.Max(a[0], c[0]), b.Min.X, b.Max.X)
				y0, y1 := span(math.Min(a[1], c[1]), math.Max(a[1], c[1]), b.Min.Y, b.Max.Y)
				for y := y0; y <= y1; y++ {
					row := (y - b.Min.Y) * b.Dx()
					for x := x0; x <= x1; x++ {
						if !near[row+x-b.Min.X] && segDist(a, c, float64(x)+0.5, float64(y)+0.5) <= tol {
							near[row+x-b.Min.X] = true
						}
					}
				}
			}
		}
	}
	return func(x, y float64) bool {
		ix, iy := int(math.Floor(x)), int(math.Floor(y))
		if ix < b.Min.X || ix >= b.Max.X || iy < b.Min.Y || iy >= b.Max.Y || x != float64(ix)+0.5 || y != float64(iy)+0.5 {
			return measure(x, y)
		}
		if near == nil {
			mark()
		}
		return near[(iy-b.Min.Y)*b.Dx()+ix-b.Min.X]
	}
}

// outline is every ring of an area, in pixels, unclipped.
func outline(v view, g orb.Geometry) [][][2]float64 {
	var polys orb.MultiPolygon
	switch g := g.(type) {
	case orb.Polygon:
		polys = orb.MultiPolygon{g}
	case orb.MultiPolygon:
		polys = g
	}
	var out [][][2]float64
	for _, poly := range polys {
		for _, r := range poly {
			pr := make([][2]float64, len(r))
			for i, q := range r {
				pr[i] = v.project(q)
			}
			out = append(out, pr)
		}
	}
	return out
}

// offStrokes keeps the candidate boxes (top-left corners of w×h) that cross
// no line, outline or point of the thematic layers (a pixel row's worth at
// most), and with all, the others after them.
func (p *placer) offStrokes(w, h float64, at [][2]float64, all bool) [][2]float64 {
	return p.offStrokesBut(w, h, at, all, nil)
}

// offStrokesBut is offStrokes for an area's name, which may cross the
// area's own outline (rings, in pixels).
func (p *placer) offStrokesBut(w, h float64, at [][2]float64, all bool, own [][][2]float64) [][2]float64 {
	var region Rect
	for i, c := range at {
		if r := (Rect{c[0], c[1], c[0] + w, c[1] + h}); i == 0 {
			region = r
		} else {
			region = Rect{math.Min(region.X0, r.X0), math.Min(region.Y0, r.Y0), math.Max(region.X1, r.X1), math.Max(region.Y1, r.Y1)}
		}
	}
	skip := p.l.ownOutline(own, region)
	var clear, rest [][2]float64
	for _, c := range at {
		if float64(p.l.strokesExcept(Rect{c[0], c[1], c[0] + w, c[1] + h}, skip)) <= math.Max(2, 0.01*w*h) {
			clear = append(clear, c)
		} else {
			rest = append(rest, c)
		}
	}
	if !all {
		return clear
	}
	return append(clear, rest...)
}

// insideAll reports whether the box of w×h at x,y has its corners inside
// the rings.
func insideAll(rings [][][2]float64, x, y, w, h float64) bool {
	return inside(rings, x, y) && inside(rings, x+w, y) && inside(rings, x, y+h) && inside(rings, x+w, y+h)
}

// visibleShare is the share of an area's pixels (in Web Mercator, all its
// parts) that the view shows.
func visibleShare(v view, g orb.Geometry) float64 {
	whole, shown := 0.0, 0.0
	for _, rings := range pixelPolys(v, g) {
		shown += ringArea(rings[0])
	}
	var all orb.MultiPolygon
	switch g := g.(type) {
	case orb.Polygon:
		all = orb.MultiPolygon{g}
	case orb.MultiPolygon:
		all = g
	}
	for _, poly := range all {
		if len(poly) == 0 {
			continue
		}
		pr := make([][2]float64, len(poly[0]))
		for i, q := range poly[0] {
			pr[i] = v.project(q)
		}
		whole += ringArea(pr)
	}
	if whole == 0 {
		return 0
	}
	return shown / whole
}

func clipTo(b orb.Bound, g orb.Geometry) orb.Geometry {
	return clipGeometry(b, g)
}

// pixelLength is the length of a polyline in pixels.
func pixelLength(pts [][2]float64) float64 {
	total := 0.0
	for i := 1; i < len(pts); i++ {
		total += math.Hypot(pts[i][0]-pts[i-1][0], pts[i][1]-pts[i-1][1])
	}
	return total
}

// along is the point at fraction f of a polyline's length.
func along(pts [][2]float64, f float64) [2]float64 {
	total := 0.0
	for i := 1; i < len(pts); i++ {
		total += math.Hypot(pts[i][0]-pts[i-1][0], pts[i][1]-pts[i-1][1])
	}
	want := total * f
	for i := 1; i < len(pts); i++ {
		d := math.Hypot(pts[i][0]-pts[i-1][0], pts[i][1]-pts[i-1][1])
		if want <= d && d > 0 {
			t := want / d
			return [2]float64{pts[i-1][0] + (pts[i][0]-pts[i-1][0])*t, pts[i-1][1] + (pts[i][1]-pts[i-1][1])*t}
		}
		want -= d
	}
	return pts[len(pts)-1]
}

// pixelPolys projects the visible part of g.
func pixelPolys(v view, g orb.Geometry) [][][][2]float64 {
	var out [][][][2]float64
	for _, poly := range polygons(v.bound, g) {
		var rings [][][2]float64
		for _, r := range poly {
			pr := make([][2]float64, len(r))
			for i, q := range r {
				pr[i] = v.project(q)
			}
			rings = append(rings, pr)
		}
		out = append(out, rings)
	}
	return out
}

func ringArea(r [][2]float64) float64 {
	a := 0.0
	for i := 0; i+1 < len(r); i++ {
		a += r[i][0]*r[i+1][1] - r[i+1][0]*r[i][1]
	}
	return math.Abs(a) / 2
}

func inside(rings [][][2]float64, x, y float64) bool {
	in := false
	for _, r := range rings {
		for i, j := 0, len(r)-1; i < len(r); j, i = i, i+1 {
			if (r[i][1] > y) != (r[j][1] > y) && x < (r[j][0]-r[i][0])*(y-r[i][1])/(r[j][1]-r[i][1])+r[i][0] {
				in = !in
			}
		}
	}
	return in
}

func edgeDist(rings [][][2]float64, x, y float64) float64 {
	d := math.Inf(1)
	for _, r := range rings {
		for i := 0; i+1 < len(r); i++ {
			d = math.Min(d, segDist(r[i], r[i+1], x, y))
		}
	}
	return d
}

// segDist is the distance from x,y to the segment from a to b.
func segDist(a, b [2]float64, x, y float64) float64 {
	dx, dy := b[0]-a[0], b[1]-a[1]
	t := 0.0
	if l := dx*dx + dy*dy; l > 0 {
		t = math.Max(0, math.Min(1, ((x-a[0])*dx+(y-a[1])*dy)/l))
	}
	return math.Hypot(x-a[0]-t*dx, y-a[1]-t*dy)
}

// interior is a point well inside the largest visible part of an area: the
// best of a grid of samples by distance to the edge.
func interior(v view, g orb.Geometry) ([2]float64, bool) {
	q, _, _, ok := interiorOf(v, g)
	return q, ok
}

// interiorOf also returns the part's rings and its pixel area.
func interiorOf(v view, g orb.Geometry) ([2]float64, [][][2]float64, float64, bool) {
	var best [][][2]float64
	bestA := 0.0
	for _, rings := range pixelPolys(v, g) {
		if a := ringArea(rings[0]); a > bestA {
			best, bestA = rings, a
		}
	}
	if best == nil || bestA < 30 {
		return [2]float64{}, nil, 0, false
	}
	minX, minY, maxX, maxY := boundsOf(0, best[0])
	var at [2]float64
	bestD := -1.0
	const n = 14
	for i := 0; i <= n; i++ {
		for j := 0; j <= n; j++ {
			x := minX + (maxX-minX)*(float64(i)+0.5)/(n+1)
			y := minY + (maxY-minY)*(float64(j)+0.5)/(n+1)
			if !inside(best, x, y) {
				continue
			}
			if d := edgeDist(best, x, y); d > bestD {
				at, bestD = [2]float64{x, y}, d
			}
		}
	}
	return at, best, bestA, bestD > 0
}

// deepPoints are up to n points of a grid over the rings, inside them, the
// farthest from their edge first.
func deepPoints(rings [][][2]float64, n int) [][2]float64 {
	type pt struct {
		q [2]float64
		d float64
	}
	var pts []pt
	minX, minY, maxX, maxY := boundsOf(0, rings[0])
	const k = 10
	for i := 0; i <= k; i++ {
		for j := 0; j <= k; j++ {
			x := minX + (maxX-minX)*(float64(i)+0.5)/(k+1)
			y := minY + (maxY-minY)*(float64(j)+0.5)/(k+1)
			if inside(rings, x, y) {
				pts = append(pts, pt{[2]float64{x, y}, edgeDist(rings, x, y)})
			}
		}
	}
	sort.SliceStable(pts, func(i, j int) bool { return pts[i].d > pts[j].d })
	var out [][2]float64
	for i := 0; i < len(pts) && i < n; i++ {
		out = append(out, pts[i].q)
	}
	return out
}

// placeCountries labels the countries whose name fits inside their visible
// area, the largest first.
func placeCountries(p *placer, o Options, size float64) {
	pal := o.palette()
	v := p.l.view
	type cand struct {
		name  string
		at    [2]float64
		rings [][][2]float64
		area  float64
	}
	var cands []cand
	bm := o.Basemap
	for _, i := range bm.Search(v.bound) {
		if role(bm.Flat[i]) != "country" {
			continue
		}
		name := bm.Features[i].Name()
		if name == "" || noLabel[name] {
			continue
		}
		at, rings, area, ok := interiorOf(v, bm.Features[i].Geometry)
		if ok {
			cands = append(cands, cand{name, at, rings, area})
		}
	}
	sort.SliceStable(cands, func(i, j int) bool { return cands[i].area > cands[j].area })
	// A country with a part beyond the 1:10m extent (beyond: true) has two
	// features: it is named once, on the part that shows more of it where
	// the name fits.
	named := map[string]bool{}
	for _, c := range cands {
		if named[c.name] {
			continue
		}
		lb := Label{Kind: "country", lines: []string{strings.ToUpper(c.name)}, size: size, caps: true, color: pal.countryText}
		w, h := p.size(lb.lines, size, false)
		if w*h*2.5 > c.area {
			continue
		}
		var at [][2]float64
		for _, d := range [][2]float64{{0, 0}, {0, -1.2}, {0, 1.2}, {-0.4, 0}, {0.4, 0}, {0, -2.4}, {0, 2.4}} {
			x, y := c.at[0]-w/2+d[0]*w, c.at[1]-h/2+d[1]*h
			// The whole name inside the country.
			if insideAll(c.rings, x, y, w, h) {
				at = append(at, [2]float64{x, y})
			}
		}
		named[c.name] = p.try(lb, w, h, Rect{}, p.offStrokes(w, h, at, false)...)
	}
}

// noLabel are basemap units too small or too odd to name at these scales.
var noLabel = map[string]bool{"Baikonur": true, "Dhekelia": true, "Akrotiri": true, "Cyprus U.N. Buffer Zone": true}

// placeTowns labels regions (on regional views) and towns, capitals first
// and then by population, at most a number that fits the picture's area.
// Passes of placeTowns.
const (
	townsReserve = iota
	townsNear
	townsCapital
	townsMarked // capitals under a thematic symbol
	townsOther
	townsRegions
)

func placeTowns(p *placer, o Options, size float64, pass int) {
	pal := o.palette()
	v, sc := p.l.view, p.l.scale
	bm := o.Basemap
	spanDeg := v.bound.Max[0] - v.bound.Min[0]
	type town struct {
		name    string
		at      orb.Point
		pop     float64
		capital float64
	}
	var towns []town
	for _, i := range bm.Search(v.bound) {
		props := bm.Flat[i]
		pt, ok := bm.Features[i].Geometry.(orb.Point)
		if !ok {
			continue
		}
		switch role(props) {
		case "region":
			if spanDeg < 9 && pass == townsRegions {
				lb := Label{Kind: "region", lines: []string{strings.ToUpper(bm.Features[i].Name())}, size: size * 0.9, caps: true, color: pal.muted}
				w, h := p.size(lb.lines, lb.size, false)
				q := v.project(pt)
				p.try(lb, w, h, Rect{}, p.offStrokes(w, h, [][2]float64{{q[0] - w/2, q[1] - h/2}, {q[0] - w/2, q[1] - h*1.6}, {q[0] - w/2, q[1] + h*0.6}}, false)...)
			}
		case "place":
			pop, _ := props["population"].(float64)
			capital, _ := props["capital"].(float64)
			towns = append(towns, town{bm.Features[i].Name(), pt, pop, capital})
		}
	}
	near := func(t town) bool {
		if p.l.Focus.Empty() {
			return false
		}
		q := v.project(t.at)
		d := math.Min(p.l.Map.W(), p.l.Map.H()) * 0.2
		return p.l.Focus.grow(d).Contains(Rect{q[0], q[1], q[0], q[1]})
	}
	sort.SliceStable(towns, func(i, j int) bool { return towns[i].pop > towns[j].pop })
	if pass == townsNear || pass == townsReserve {
		// Nearest the feature first: on a corridor, the towns it passes.
		dist := func(t town) float64 {
			q := v.project(t.at)
			f := p.l.Focus
			dx := math.Max(0, math.Max(f.X0-q[0], q[0]-f.X1))
			dy := math.Max(0, math.Max(f.Y0-q[1], q[1]-f.Y1))
			return math.Hypot(dx, dy)
		}
		sort.SliceStable(towns, func(i, j int) bool { return dist(towns[i]) < dist(towns[j]) })
		// A town the feature is named by comes first: the TRIPP route "via
		// Meghri" shows Meghri, even beside the larger Agarak.
		_, props := focusGeometry(o)
		own := func(t town) bool { return namedIn(props, t.name) }
		sort.SliceStable(towns, func(i, j int) bool { return own(towns[i]) && !own(towns[j]) })
	}
	limit := int(math.Max(4, math.Min(40, p.l.Map.W()*p.l.Map.H()/(22000*sc*sc))))
	n := len(labelsOf(p.l, "place"))
	if pass == townsNear || pass == townsReserve {
		limit = n + 5
	}
	for _, t := range towns {
		if n >= limit {
			break
		}
		switch {
		case pass == townsRegions, !p.m.covers(t.name),
			(pass == townsNear || pass == townsReserve) && !near(t),
			(pass == townsCapital || pass == townsMarked) && t.capital != 1:
			continue
		}
		q := v.project(t.at)
		r := 2.4 * sc
		dot := Rect{q[0] - r, q[1] - r, q[0] + r, q[1] + r}
		own := Rect{}
		if pass == townsNear {
			own = dot // reserved in the first pass
		}
		bare := pass == townsMarked
		if free := p.free(dot, own); bare == free {
			continue
		}
		if bare {
			m, ok := p.marker(dot)
			if !ok {
				continue
			}
			dot = m
		}
		if pass == townsReserve {
			p.obstacles = append(p.obstacles, dot)
			p.reserved = append(p.reserved, dot)
			n++
			continue
		}
		lb := Label{Kind: "place", lines: []string{t.name}, size: size, bold: t.capital == 1, color: pal.text, dot: q, bare: bare}
		w, h := p.size(lb.lines, size, lb.bold)
		// A town's name stays off the data's lines. A town beside the
		// focused feature has all eight places round its dot, and may cross
		// a line where nothing else is free, but never lie along one.
		at := p.offStrokes(w, h, around(dot, w, h, 2*sc)[:4], false)
		if pass == townsNear {
			at = p.offStrokes(w, h, around(dot, w, h, 2*sc), false)
			for _, c := range around(dot, w, h, 2*sc) {
				if float64(p.l.StrokeOverlap(Rect{c[0], c[1], c[0] + w, c[1] + h})) <= 0.08*w*h {
					at = append(at, c)
				}
			}
		}
		if p.try(lb, w, h, own, at...) {
			if !bare {
				p.obstacles = append(p.obstacles, dot)
				p.l.Symbols = append(p.l.Symbols, dot)
			}
			n++
		}
	}
}

// marker is the box of the thematic point symbols on a town's dot, when
// they are all that covers it.
func (p *placer) marker(dot Rect) (Rect, bool) {
	if !p.bounds.Contains(dot) {
		return Rect{}, false
	}
	var box Rect
	for _, s := range p.themed {
		if !s.Intersects(dot) {
			continue
		}
		if box.Empty() {
			box = s
		} else {
			box = Rect{min(box.X0, s.X0), min(box.Y0, s.Y0), max(box.X1, s.X1), max(box.Y1, s.Y1)}
		}
	}
	if box.Empty() {
		return Rect{}, false
	}
	for _, o := range p.obstacles {
		if o.Intersects(dot) && !slices.Contains(p.themed, o) {
			return Rect{}, false
		}
	}
	for _, lb := range p.l.Labels {
		if dot.Intersects(lb.Box) {
			return Rect{}, false
		}
	}
	return box, true
}

// namedIn reports whether a feature's name or aliases name the town, as a
// whole word.
func namedIn(props map[string]any, town string) bool {
	if town == "" {
		return false
	}
	for _, k := range []string{"name", "aliases"} {
		s, _ := props[k].(string)
		for _, w := range strings.FieldsFunc(s, func(r rune) bool { return !unicode.IsLetter(r) && r != '’' && r != '\'' && r != '-' }) {
			if strings.EqualFold(w, town) {
				return true
			}
		}
	}
	return false
}

// drawLabels draws the labels and the towns' dots.
func drawLabels(c canvas, o Options, l *Layout) {
	pal := o.palette()
	for _, lb := range l.Labels {
		if lb.Kind == "place" && !lb.bare {
			c.circle(lb.dot[0], lb.dot[1], 2.4*l.scale, pal.townDot, pal.textHalo, 0.9*l.scale)
		}
	}
	for _, lb := range l.Labels {
		if len(lb.along) > 0 {
			c.glyphs(lb.along, lb.size, lb.color, pal.textHalo)
			continue
		}
		lh := lb.size * 1.18
		for i, t := range lb.lines {
			w := c.textWidth(t, lb.size, lb.bold)
			x := lb.Box.X0 + (lb.Box.W()-w)/2
			if lb.Kind == "place" || lb.Kind == "feature" || lb.Kind == "focus" {
				if len(lb.lines) == 1 {
					x = lb.Box.X0 + l.scale
				}
			}
			c.text(x, lb.Box.Y0+lb.size*0.92+float64(i)*lh, t, lb.size, lb.color, lb.bold, pal.textHalo)
		}
	}
}

// drawLegend draws the title and a key of the layers in the legend's box.
func drawLegend(c canvas, o Options, l *Layout) {
	if l.LegendMode == LegendNone || l.Legend.Empty() {
		return
	}
	pal := o.palette()
	sc, r := l.scale, l.Legend
	if !l.beside {
		c.fillRect(r.X0, r.Y0, r.W(), r.H(), pal.panel, 0.92)
	}
	if l.LegendMode == LegendLine {
		size := l.font * 0.92
		pad := 6 * sc
		x, y := r.X0+pad, r.Y0+pad+size*0.85
		for _, row := range l.rows {
			legendSymbol(c, row.kind, x+8*sc, y-size*0.32, sc)
			c.text(x+20*sc, y, row.label, size, pal.text, false, "")
			x += 20*sc + c.textWidth(row.label, size, false) + 10*sc
		}
		return
	}
	size := l.font
	pad := 8 * sc
	lh := size * 1.45
	y := r.Y0 + pad + size*0.9
	for i, t := range l.Title {
		x, ty := l.titleAt(i)
		c.text(x, ty, t, size*1.08, pal.text, true, "")
		y = ty + lh
	}
	for _, row := range l.rows {
		legendSymbol(c, row.kind, r.X0+pad+8*sc, y-size*0.33, sc)
		c.text(r.X0+pad+24*sc, y, row.label, size, pal.text, false, "")
		y += lh
	}
}

func legendSymbol(c canvas, kind string, x, y, sc float64) {
	st := styleOf(kind)
	switch kind {
	case layers.KindDisputed, layers.KindCountries, layers.KindContext:
		c.polygon([][][2]float64{{{x - 7*sc, y - 5*sc}, {x + 7*sc, y - 5*sc}, {x + 7*sc, y + 5*sc}, {x - 7*sc, y + 5*sc}, {x - 7*sc, y - 5*sc}}},
			st.fill, 0.25, st.color, 1.5*sc, kind != layers.KindCountries)
	case layers.KindCorridors, layers.KindBorders:
		c.line([][2]float64{{x - 8*sc, y}, {x + 8*sc, y}}, st.color, 2.5*sc, false)
	default:
		c.circle(x, y, pointRadius(sc), st.color, "#ffffff", 1.5*sc)
	}
}

// drawCredit draws the sources count and attribution.
func drawCredit(c canvas, o Options, l *Layout) {
	pal := o.palette()
	r := l.Credit
	size := l.font * 0.78
	c.fillRect(r.X0, r.Y0, r.W(), r.H(), pal.panel, 0.8)
	text := fitText(c, l.credit, size, false, r.W()-6*l.scale)
	c.text(r.X0+3*l.scale, r.Y1-size*0.45, text, size, pal.muted, false, "")
}

func labelsOf(l *Layout, kind string) []string {
	var out []string
	for _, lb := range l.Labels {
		if lb.Kind == kind {
			out = append(out, lb.Text)
		}
	}
	return out
}
