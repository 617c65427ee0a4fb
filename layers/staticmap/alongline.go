package staticmap

import (
	"encoding/xml"
	"fmt"
	"image"
	"math"
	"strings"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/simplify"
	xdraw "golang.org/x/image/draw"
	"golang.org/x/image/math/f64"
)

// A name set along a line (a river's) is drawn glyph by glyph: each letter
// sits on the line beside it, turned to the line's direction there. The
// label's Box, which the layout's collision test uses, is the bound of
// every glyph's turned box; Glyphs holds those boxes one by one.

// glyph is one letter of a name set along a line: its baseline starts at
// X, Y and runs at Angle radians (clockwise, as pixels go down).
type glyph struct {
	R           string
	X, Y, Angle float64
	Box         Rect
}

// Limits of a name along a line: the turn from one letter to the next and
// over the whole name, so that it stays readable.
const (
	maxGlyphTurn = 25 * math.Pi / 180
	maxNameTurn  = 70 * math.Pi / 180
	// Steeper than this, small letters turned on a raster stop reading.
	maxSlope = 40 * math.Pi / 180
)

// placeAlong sets name along g (a line or lines in the view), beside the
// line, at the first free place from the middle of the longest stretch in
// view outward. It reports whether it placed the name.
func placeAlong(p *placer, g orb.Geometry, name string, lb Label) bool {
	v, sc := p.l.view, p.l.scale
	size := lb.size
	// Text follows the line's course, not the wiggles of 1:10m data.
	tol := 0.35 * size
	var paths [][][2]float64
	for _, ln := range lines(clipTo(v.bound, g)) {
		px := make(orb.LineString, len(ln))
		for i, q := range ln {
			x := v.project(q)
			px[i] = orb.Point{x[0], x[1]}
		}
		px = simplify.DouglasPeucker(tol).LineString(px)
		pts := make([][2]float64, len(px))
		for i, q := range px {
			pts[i] = [2]float64{q[0], q[1]}
		}
		if len(pts) > 1 {
			paths = append(paths, pts)
		}
	}
	// Longest first.
	for i := 1; i < len(paths); i++ {
		for j := i; j > 0 && lengthOf(paths[j]) > lengthOf(paths[j-1]); j-- {
			paths[j], paths[j-1] = paths[j-1], paths[j]
		}
	}
	runes := strings.Split(name, "")
	adv := make([]float64, len(runes))
	var width float64
	for i := range runes {
		// Each letter's advance within the word, kerning included, and a
		// little letter spacing, as water names are set on the map.
		prefix := strings.Join(runes[:i+1], "")
		adv[i] = p.m.textWidth(prefix, size, false) - p.m.textWidth(prefix[:len(prefix)-len(runes[i])], size, false) + 0.06*size
		width += adv[i]
	}
	// Close beside the line, then a little further off: where the
	// thematic layers draw along the river (Iran's border, the corridors on
	// the Araks), the name moves off their strokes.
	gaps := []float64{1.5 * sc, 4.5 * sc, 7.5 * sc}
	for _, pts := range paths {
		total := lengthOf(pts)
		if total < width*1.1 {
			continue
		}
		// Read left to right: run the path the way most of it goes.
		if pts[len(pts)-1][0] < pts[0][0] {
			pts = reversed(pts)
		}
		step := math.Max(4*sc, width/6)
		mid := (total - width) / 2
		for k := 0; ; k++ {
			off := float64((k+1)/2) * step
			if k%2 == 1 {
				off = -off
			}
			start := mid + off
			if math.Abs(off) > mid+step {
				break
			}
			if start < 0 || start+width > total {
				continue
			}
			for _, gs := range sides(pts, runes, adv, start, size, gaps) {
				if !p.alongFree(gs) {
					continue
				}
				lb.lines = []string{name}
				lb.Text = name
				lb.Box = gs[0].Box
				for _, gl := range gs[1:] {
					lb.Box = union(lb.Box, gl.Box)
				}
				lb.along = gs
				for _, gl := range gs {
					lb.Glyphs = append(lb.Glyphs, gl.Box)
				}
				p.l.Labels = append(p.l.Labels, lb)
				return true
			}
		}
	}
	return false
}

// sides are the ways of setting a name at start: above the line, then
// below it, at each gap.
func sides(pts [][2]float64, runes []string, adv []float64, start, size float64, gaps []float64) [][]glyph {
	var out [][]glyph
	for _, g := range gaps {
		for _, side := range []float64{1, -1} {
			if gs, ok := setAlong(pts, runes, adv, start, size, side*g); ok {
				out = append(out, gs)
			}
		}
	}
	return out
}

// alongFree reports whether a name's glyphs stay inside the map and clear
// of every label, symbol and obstacle (by the bound of all its glyphs, so
// the layout's box test holds), and its letters together cover at most a
// sliver of what the thematic layers draw (the letters' own boxes: the
// bound of a slanted name holds the line it follows).
func (p *placer) alongFree(gs []glyph) bool {
	box := gs[0].Box
	for _, g := range gs[1:] {
		box = union(box, g.Box)
	}
	if !p.free(box, Rect{}) {
		return false
	}
	var mask, strokes int
	var area float64
	for _, g := range gs {
		mask += p.l.MaskOverlap(g.Box)
		strokes += p.l.StrokeOverlap(g.Box)
		area += g.Box.W() * g.Box.H()
	}
	if float64(mask) > 0.02*area || float64(strokes) > math.Max(2, 0.02*area) {
		return false
	}
	return true
}

// setAlong lays the runes out along pts from arc length start, on a copy
// of the line shifted by offset pixels to its left (above it, for text
// running right; below it for a negative offset, the text's top then at
// that distance): each letter starts where the one before ends on that
// shifted line and is turned along the chord it spans, so letters neither
// gape nor crowd where the line bends. It fails where the line turns too
// sharply or steeply for the name to read.
func setAlong(pts [][2]float64, runes []string, adv []float64, start, size, offset float64) ([]glyph, bool) {
	shift := offset
	if offset < 0 {
		shift = offset - 0.75*size
	}
	path := shifted(pts, shift)
	// The shifted line is shorter or longer than the line where it bends:
	// start at the same place along it, proportionally.
	at := start * lengthOf(path) / lengthOf(pts)
	out := make([]glyph, 0, len(runes))
	var first, prev float64
	for i, r := range runes {
		p0, _ := pointAt(path, at)
		p1, _ := pointAt(path, at+adv[i])
		a := math.Atan2(p1[1]-p0[1], p1[0]-p0[0])
		if i == 0 {
			first, prev = a, a
		}
		if math.Abs(angleDiff(a, prev)) > maxGlyphTurn || math.Abs(angleDiff(a, first)) > maxNameTurn || math.Abs(a) > maxSlope {
			return nil, false
		}
		prev = a
		out = append(out, glyph{R: r, X: p0[0], Y: p0[1], Angle: a, Box: turnedBox(p0[0], p0[1], a, adv[i], size)})
		at += adv[i]
	}
	if at > lengthOf(path) {
		return nil, false
	}
	return out, true
}

// shifted moves every vertex of pts d pixels to the line's left, along the
// mean of the normals of the segments that meet there.
func shifted(pts [][2]float64, d float64) [][2]float64 {
	normal := func(a, b [2]float64) [2]float64 {
		l := math.Hypot(b[0]-a[0], b[1]-a[1])
		if l == 0 {
			return [2]float64{}
		}
		return [2]float64{(b[1] - a[1]) / l, -(b[0] - a[0]) / l}
	}
	out := make([][2]float64, len(pts))
	for i, q := range pts {
		var n [2]float64
		if i > 0 {
			m := normal(pts[i-1], q)
			n = [2]float64{n[0] + m[0], n[1] + m[1]}
		}
		if i+1 < len(pts) {
			m := normal(q, pts[i+1])
			n = [2]float64{n[0] + m[0], n[1] + m[1]}
		}
		if l := math.Hypot(n[0], n[1]); l > 0 {
			n = [2]float64{n[0] / l, n[1] / l}
		}
		out[i] = [2]float64{q[0] + n[0]*d, q[1] + n[1]*d}
	}
	return out
}

func lengthOf(pts [][2]float64) float64 {
	var n float64
	for i := 1; i < len(pts); i++ {
		n += math.Hypot(pts[i][0]-pts[i-1][0], pts[i][1]-pts[i-1][1])
	}
	return n
}

// turnedBox is the bound of a glyph's box (advance w, from 0.78 size above
// the baseline to 0.22 below) turned by a about its baseline start.
func turnedBox(x, y, a, w, size float64) Rect {
	cos, sin := math.Cos(a), math.Sin(a)
	r := Rect{math.Inf(1), math.Inf(1), math.Inf(-1), math.Inf(-1)}
	for _, q := range [][2]float64{{0, -0.78 * size}, {w, -0.78 * size}, {w, 0.22 * size}, {0, 0.22 * size}} {
		px, py := x+q[0]*cos-q[1]*sin, y+q[0]*sin+q[1]*cos
		r = Rect{math.Min(r.X0, px), math.Min(r.Y0, py), math.Max(r.X1, px), math.Max(r.Y1, py)}
	}
	return r
}

// pointAt is the point at arc length d along pts and the direction of the
// segment it lies on.
func pointAt(pts [][2]float64, d float64) ([2]float64, float64) {
	for i := 1; i < len(pts); i++ {
		a, b := pts[i-1], pts[i]
		l := math.Hypot(b[0]-a[0], b[1]-a[1])
		if d <= l || i == len(pts)-1 {
			f := 0.0
			if l > 0 {
				f = math.Min(1, d/l)
			}
			return [2]float64{a[0] + (b[0]-a[0])*f, a[1] + (b[1]-a[1])*f}, math.Atan2(b[1]-a[1], b[0]-a[0])
		}
		d -= l
	}
	return pts[0], 0
}

func angleDiff(a, b float64) float64 {
	d := a - b
	for d > math.Pi {
		d -= 2 * math.Pi
	}
	for d < -math.Pi {
		d += 2 * math.Pi
	}
	return d
}

func reversed(pts [][2]float64) [][2]float64 {
	out := make([][2]float64, len(pts))
	for i, q := range pts {
		out[len(pts)-1-i] = q
	}
	return out
}

func union(a, b Rect) Rect {
	return Rect{math.Min(a.X0, b.X0), math.Min(a.Y0, b.Y0), math.Max(a.X1, b.X1), math.Max(a.Y1, b.Y1)}
}

// glyphs draws a name set along a line, letter by letter, turned.
func (c *raster) glyphs(gs []glyph, size float64, col, halo string) {
	if c.img == nil {
		return
	}
	for _, g := range gs {
		// The letter upright in a small picture of its own, then turned
		// into place.
		pad := math.Ceil(size * 0.4)
		w := int(math.Ceil(c.textWidth(g.R, size, false) + 2*pad))
		h := int(math.Ceil(size + 2*pad))
		ox, oy := pad, pad+0.78*size
		tmp := &raster{img: image.NewRGBA(image.Rect(0, 0, w, h)), fonts: c.fonts, faces: c.faces}
		tmp.text(ox, oy, g.R, size, col, false, halo)
		cos, sin := math.Cos(g.Angle), math.Sin(g.Angle)
		m := f64.Aff3{
			cos, -sin, g.X - (cos*ox - sin*oy),
			sin, cos, g.Y - (sin*ox + cos*oy),
		}
		xdraw.BiLinear.Transform(c.img, m, tmp.img, tmp.img.Bounds(), xdraw.Over, nil)
	}
}

// glyphs writes a name set along a line as one text element, each letter
// placed and turned with x, y and rotate, so the name stays one word to
// select, search and translate.
func (c *svg) glyphs(gs []glyph, size float64, color, halo string) {
	var xs, ys, rs, text []string
	for _, g := range gs {
		xs = append(xs, f1(g.X))
		ys = append(ys, f1(g.Y))
		rs = append(rs, f1(g.Angle*180/math.Pi))
		text = append(text, g.R)
	}
	fmt.Fprintf(&c.buf, `<text x="%s" y="%s" rotate="%s" font-size="%s" fill="%s"`, strings.Join(xs, " "), strings.Join(ys, " "), strings.Join(rs, " "), f1(size), color)
	if halo != "" {
		fmt.Fprintf(&c.buf, ` stroke="%s" stroke-width="%s" stroke-opacity="0.85" stroke-linejoin="round" paint-order="stroke"`, halo, f1(size/5))
	}
	c.buf.WriteString(">")
	xml.EscapeText(&c.buf, []byte(strings.Join(text, "")))
	c.buf.WriteString("</text>")
}
