package staticmap

import (
	"fmt"
	"image"
	"math"
	"sort"
	"strings"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/project"

	"github.com/citemap/citemap/layers"
)

// Rect is a box of pixels: X0 ≤ x < X1, Y0 ≤ y < Y1.
type Rect struct{ X0, Y0, X1, Y1 float64 }

// W is the width of r.
func (r Rect) W() float64 { return r.X1 - r.X0 }

// H is the height of r.
func (r Rect) H() float64 { return r.Y1 - r.Y0 }

// Empty reports whether r has no area.
func (r Rect) Empty() bool { return r.X1 <= r.X0 || r.Y1 <= r.Y0 }

// Intersects reports whether r and s share any area.
func (r Rect) Intersects(s Rect) bool {
	return !r.Empty() && !s.Empty() && r.X0 < s.X1 && s.X0 < r.X1 && r.Y0 < s.Y1 && s.Y0 < r.Y1
}

// Contains reports whether s lies inside r.
func (r Rect) Contains(s Rect) bool {
	return s.X0 >= r.X0 && s.X1 <= r.X1 && s.Y0 >= r.Y0 && s.Y1 <= r.Y1
}

func (r Rect) grow(d float64) Rect { return Rect{r.X0 - d, r.Y0 - d, r.X1 + d, r.Y1 + d} }

// Legend modes, by the picture's width.
const (
	LegendBox    = "box"    // title and one row per layer, in a corner or beside the map
	LegendLine   = "line"   // a title line and one line of symbols (narrow pictures)
	LegendNone   = "none"   // none: legend=0, narrower than MinLegendWidth, or nothing thematic to explain
	LegendBeside = "beside" // box mode in a strip of its own: no corner was free
)

// Widths at which the legend changes form.
const (
	MinLegendWidth = 360 // below: no legend, the credit line only
	BoxLegendWidth = 720 // below: a single line of symbols
)

// Label is one text the renderer placed.
type Label struct {
	Text string // the lines, joined by "\n"
	Kind string // focus, feature, country, region, place, water
	Box  Rect
	// Glyphs are the boxes of the letters of a name set along a line (a
	// river's), each bounding its turned letter; Box bounds them all.
	Glyphs []Rect

	lines      []string
	size       float64
	bold, caps bool
	color      string
	dot        [2]float64     // a town's dot, when Kind is place
	bare       bool           // a place named beside a thematic symbol on it: no dot
	own        [][][2]float64 // an area's outline (pixels): its name may cross it
	along      []glyph        // the letters of a name set along a line
}

// Layout is how a picture is laid out: what the renderer drew where.
type Layout struct {
	Width, Height int
	// Map is the part of the picture the map fills: all of it, unless the
	// legend stands beside the map.
	Map Rect
	// View is the lon/lat bound the map shows.
	View orb.Bound
	// LegendMode is one of LegendBox, LegendLine, LegendNone, LegendBeside.
	LegendMode string
	Legend     Rect // zero with LegendNone
	Title      []string
	// TitleBoxes are the boxes of the title's lines as drawn, one a line.
	TitleBoxes []Rect
	Credit     Rect
	Labels     []Label
	// Symbols are the boxes of the point symbols: thematic points and the
	// dots of labelled towns.
	Symbols []Rect
	// Focus is the pixel box of the focused feature (Options.Feature).
	Focus Rect
	// Features is the mask of the pixels the thematic layers draw.
	Features *image.Alpha

	view   view
	scale  float64 // line width and font factor: 1 at 1200×630
	beside bool
	rows   []legendRow
	font   float64
	credit string
}

type legendRow struct {
	label, kind string
	hist        bool
}

// MaskOverlap counts the feature pixels inside r.
func (l *Layout) MaskOverlap(r Rect) int {
	if l.Features == nil {
		return 0
	}
	n := 0
	b := l.Features.Bounds()
	for y := max(int(r.Y0), b.Min.Y); y < min(int(math.Ceil(r.Y1)), b.Max.Y); y++ {
		for x := max(int(r.X0), b.Min.X); x < min(int(math.Ceil(r.X1)), b.Max.X); x++ {
			if l.Features.AlphaAt(x, y).A > 24 {
				n++
			}
		}
	}
	return n
}

// StrokeOverlap counts the pixels inside r where the thematic layers draw a
// line, an outline or a point symbol (not the inside of an area).
func (l *Layout) StrokeOverlap(r Rect) int { return l.strokesExcept(r, nil) }

// strokesExcept is StrokeOverlap leaving out the pixels skip says are an
// area's own outline.
func (l *Layout) strokesExcept(r Rect, skip func(x, y float64) bool) int {
	if l.Features == nil {
		return 0
	}
	n := 0
	b := l.Features.Bounds()
	for y := max(int(r.Y0), b.Min.Y); y < min(int(math.Ceil(r.Y1)), b.Max.Y); y++ {
		for x := max(int(r.X0), b.Min.X); x < min(int(math.Ceil(r.X1)), b.Max.X); x++ {
			if l.Features.AlphaAt(x, y).A > 200 && (skip == nil || !skip(float64(x)+0.5, float64(y)+0.5)) {
				n++
			}
		}
	}
	return n
}

// scaleOf is the factor line widths and fonts follow: 1 at 1200×630,
// smaller on small pictures (but never unreadable), larger for print.
func scaleOf(w, h int) float64 {
	return math.Max(0.82, math.Min(2.6, math.Sqrt(float64(w)*float64(h))/870))
}

// layout lays a picture out. m measures text.
func layout(m canvas, o Options) *Layout {
	W, H := float64(o.Width), float64(o.Height)
	sc := scaleOf(o.Width, o.Height)
	l := &Layout{Width: o.Width, Height: o.Height, Map: Rect{0, 0, W, H}, scale: sc, font: 12.5 * sc}
	l.rows = legendRows(o)
	pad := 8 * sc

	// The legend's size: its place comes once the features are drawn.
	var lw, lh float64
	switch {
	case o.NoLegend || o.Width < MinLegendWidth || len(l.rows) == 0:
		// A basemap-only picture has nothing for a key to explain: a box
		// holding just a title would hide land for no reader's benefit.
		l.LegendMode = LegendNone
	case o.Width < BoxLegendWidth:
		l.LegendMode = LegendLine
		lw, lh = l.lineLegendSize(m, W-2*pad)
	default:
		l.LegendMode = LegendBox
		lw, lh = l.boxLegendSize(m, o, math.Min(W*0.34, 340*sc))
	}
	l.credit = creditText(o)

	l.view = newView(frame(o, l.Map), l.Map, 0)
	l.Features = featureMask(o, l.view, sc)
	if l.LegendMode != LegendNone {
		best, bestN := Rect{}, math.MaxInt
		for _, r := range corners(l.Map, lw, lh, pad) {
			if n := l.MaskOverlap(r); n < bestN {
				best, bestN = r, n
			}
		}
		l.Legend = best
		// More than a sliver of the features under the legend: give the
		// legend a strip of its own and fit the map into the rest.
		if float64(bestN) > 0.005*lw*lh {
			l.beside = true
			if l.LegendMode == LegendBox {
				l.LegendMode = LegendBeside
			}
			if W/H >= 1.2 && l.LegendMode == LegendBeside {
				l.Map = Rect{0, 0, W - lw - 2*pad, H}
				l.Legend = Rect{l.Map.X1 + pad, pad, l.Map.X1 + pad + lw, pad + lh}
			} else {
				l.Map = Rect{0, 0, W, H - lh - 2*pad}
				l.Legend = Rect{pad, l.Map.Y1 + pad, pad + lw, l.Map.Y1 + pad + lh}
			}
			l.view = newView(frame(o, l.Map), l.Map, 0)
			l.Features = featureMask(o, l.view, sc)
		}
	}
	l.View = l.view.bound

	// The credit line: a bottom corner of the map the legend does not take,
	// the emptier one.
	cs := l.font * 0.78
	cw, ch := m.textWidth(l.credit, cs, false)+pad, cs*1.5
	if cw > l.Map.W() {
		cw = l.Map.W()
	}
	var cands []Rect
	for _, r := range corners(l.Map, cw, ch, 0)[2:] {
		if !r.Intersects(l.Legend) {
			cands = append(cands, r)
		}
	}
	if len(cands) == 0 {
		cands = []Rect{{l.Map.X1 - cw, l.Map.Y1 - ch, l.Map.X1, l.Map.Y1}}
	}
	sort.SliceStable(cands, func(i, j int) bool { return l.MaskOverlap(cands[i]) < l.MaskOverlap(cands[j]) })
	l.Credit = cands[len(cands)-1]
	if l.MaskOverlap(cands[0]) < l.MaskOverlap(l.Credit) || len(cands) == 1 {
		l.Credit = cands[0]
	}
	// By default the credit sits bottom right, where readers look for it.
	for _, r := range cands {
		if r.X1 == l.Map.X1 && l.MaskOverlap(r) <= l.MaskOverlap(l.Credit) {
			l.Credit = r
		}
	}

	l.Focus = focusBox(o, l.view, sc)
	l.TitleBoxes = l.titleBoxes(m)
	placeLabels(m, o, l)
	return l
}

// titleBoxes are where drawLegend sets the title's lines: from the baseline,
// the font's ascent above and descent below.
func (l *Layout) titleBoxes(m canvas) []Rect {
	if l.LegendMode == LegendNone || l.LegendMode == LegendLine || l.Legend.Empty() {
		return nil
	}
	size := l.font * 1.08
	var out []Rect
	for i, t := range l.Title {
		x, y := l.titleAt(i)
		out = append(out, Rect{x, y - 0.95*size, x + m.textWidth(t, size, true), y + 0.25*size})
	}
	return out
}

// titleAt is the start of the baseline of the title's line i.
func (l *Layout) titleAt(i int) (float64, float64) {
	pad := 8 * l.scale
	return l.Legend.X0 + pad, l.Legend.Y0 + pad + l.font*0.9 + float64(i)*l.font*1.45
}

// corners are the four boxes of w×h in the corners of area, inset by pad:
// top left, top right, bottom left, bottom right.
func corners(area Rect, w, h, pad float64) []Rect {
	x0, x1 := area.X0+pad, area.X1-pad-w
	y0, y1 := area.Y0+pad, area.Y1-pad-h
	return []Rect{{x0, y0, x0 + w, y0 + h}, {x1, y0, x1 + w, y0 + h}, {x0, y1, x0 + w, y1 + h}, {x1, y1, x1 + w, y1 + h}}
}

func legendRows(o Options) []legendRow {
	var rows []legendRow
	for _, sn := range o.Layers {
		if sn.Layer.Kind == layers.KindBasemap {
			continue
		}
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
		switch {
		case len(sn.Features) >= sn.Layer.Count:
			label = fmt.Sprintf("%s (%d)", label, n)
		case o.Date == nil:
			// A large layer read only where the view lies: its count is the
			// layer's, not what the view holds. As of a date, how many it
			// held then would take reading it all: no count.
			label = fmt.Sprintf("%s (%d)", label, sn.Layer.Count)
		}
		rows = append(rows, legendRow{label: label, kind: sn.Layer.Kind})
	}
	return rows
}

func creditText(o Options) string {
	var parts []string
	switch {
	case o.Sources == 1:
		parts = append(parts, "1 source")
	case o.Sources > 1 || len(legendRows(o)) > 0:
		parts = append(parts, fmt.Sprintf("%d sources", o.Sources))
	}
	// A basemap-only picture cites nothing: "0 sources" would read as a
	// fault, so the credit names only the basemap's attribution.
	if o.Date != nil {
		parts = append(parts, "as of "+o.Date.Format("2 Jan 2006"))
	}
	if o.Attribution != "" {
		parts = append(parts, o.Attribution)
	}
	return strings.Join(parts, " · ")
}

// boxLegendSize sets the title lines and returns the legend box's size.
func (l *Layout) boxLegendSize(m canvas, o Options, maxW float64) (float64, float64) {
	sc, size := l.scale, l.font
	pad := 8 * sc
	inner := maxW - 2*pad
	w := 0.0
	for _, r := range l.rows {
		w = math.Max(w, 24*sc+m.textWidth(r.label, size, false))
	}
	if w > inner {
		// Long layer titles: shorten them rather than widen the box.
		for i := range l.rows {
			l.rows[i].label = fitText(m, l.rows[i].label, size, false, inner-24*sc)
		}
		w = inner
	}
	// The title wraps to as many lines as the layer rows (at least two, at
	// most four) before it is shortened, and then after a whole word.
	l.Title = wrap(m, o.Title, size*1.08, true, math.Max(w, math.Min(inner, m.textWidth(o.Title, size*1.08, true))), max(2, min(4, len(l.rows))))
	for _, t := range l.Title {
		w = math.Max(w, m.textWidth(t, size*1.08, true))
	}
	lh := size * 1.45
	h := lh*float64(len(l.Title)+len(l.rows)) + 2*pad - size*0.3
	return w + 2*pad, h
}

// lineLegendSize sets the title line and returns the compact legend's size:
// the title (shortened) over one line of symbols with short words, as many
// as fit.
func (l *Layout) lineLegendSize(m canvas, maxW float64) (float64, float64) {
	sc, size := l.scale, l.font*0.92
	pad := 6 * sc
	w := 0.0
	var rows []legendRow
	for _, r := range l.rows {
		item := 20*sc + m.textWidth(styleOf(r.kind).short, size, false) + 10*sc
		if w+item > maxW-2*pad {
			break
		}
		w += item
		rows = append(rows, legendRow{label: styleOf(r.kind).short, kind: r.kind})
	}
	l.rows = rows
	return w + 2*pad - 10*sc, size*1.5 + 2*pad - size*0.3
}

// fitText shortens s with an ellipsis until it is at most w wide.
func fitText(m canvas, s string, size float64, bold bool, w float64) string {
	if m.textWidth(s, size, bold) <= w {
		return s
	}
	r := []rune(s)
	for len(r) > 1 {
		r = r[:len(r)-1]
		t := strings.TrimRight(string(r), " ,·–-") + "…"
		if m.textWidth(t, size, bold) <= w {
			return t
		}
	}
	return "…"
}

// fitWords shortens s with an ellipsis after its last whole word (or a
// dash) that fits in w: a reader sees "bases and…", never "bases an…". A
// first word longer than w is cut by letters, as nothing else fits.
func fitWords(m canvas, s string, size float64, bold bool, w float64) string {
	if m.textWidth(s, size, bold) <= w {
		return s
	}
	best := ""
	for i, r := range s {
		if i == 0 || (r != ' ' && !strings.HasSuffix(s[:i], "–")) {
			continue
		}
		t := strings.TrimRight(s[:i], " ,·–-:;/")
		if t == "" {
			continue
		}
		if m.textWidth(t+"…", size, bold) > w {
			break
		}
		best = t + "…"
	}
	if best == "" {
		return fitText(m, s, size, bold, w)
	}
	return best
}

// wrap breaks s into at most n lines of width w, the last shortened with
// an ellipsis if need be. A line may also break after a dash, so a route
// named by its stops (Ordubad–Julfa–Nakhchivan) wraps instead of being cut.
func wrap(m canvas, s string, size float64, bold bool, w float64, n int) []string {
	// Tokens, each with the separator that joins it to the one before.
	type token struct{ sep, text string }
	var toks []token
	for _, word := range strings.Fields(s) {
		sep := " "
		for word != "" {
			i := strings.Index(word, "–")
			part := word
			if i >= 0 && i+len("–") < len(word) {
				part = word[:i+len("–")]
			}
			toks = append(toks, token{sep, part})
			word = word[len(part):]
			sep = ""
		}
	}
	rest := func(cur string, from int) string {
		for _, t := range toks[from:] {
			cur += t.sep + t.text
		}
		return cur
	}
	var out []string
	cur := ""
	for i, t := range toks {
		try := t.text
		if cur != "" {
			try = cur + t.sep + t.text
		}
		if cur == "" || m.textWidth(try, size, bold) <= w {
			cur = try
			continue
		}
		if len(out) == n-1 {
			out = append(out, fitWords(m, rest(cur, i), size, bold, w))
			return out
		}
		out = append(out, cur)
		cur = t.text
	}
	if cur != "" {
		out = append(out, fitText(m, cur, size, bold, w))
	}
	return out
}

// frame is the lon/lat bound the map shows in area: the requested bound,
// or the focused feature with its neighbourhood, or the features fitted.
func frame(o Options, area Rect) orb.Bound {
	if !o.Bound.IsZero() {
		return o.Bound
	}
	if g, props := focusGeometry(o); g != nil {
		return frameFeature(g, props, area)
	}
	return fitFeatures(o)
}

// focusGeometry is the focused feature's geometry and properties, or nil.
func focusGeometry(o Options) (orb.Geometry, map[string]any) {
	if o.Feature == "" {
		return nil, nil
	}
	layer, id, _ := strings.Cut(o.Feature, "/")
	for _, sn := range o.Layers {
		if sn.Layer.ID == layer {
			if i := sn.Index(id); i >= 0 {
				return sn.Features[i].Geometry, sn.Flat[i]
			}
		}
	}
	return nil, nil
}

// Regional spans: how much ground (km across the shorter side) a feature
// view shows at least, by the feature's geo_precision. A point placed at a
// town is not shown closer than a region around that town.
var minSpanKm = map[string]float64{"exact": 160, "town": 260, "region": 420, "": 320}

// frameFeature frames g so that it takes about half the shorter side, or,
// when small, sits in a regional view (but still spans at least a fifth of
// the shorter side, unless it is a point).
func frameFeature(g orb.Geometry, props map[string]any, area Rect) orb.Bound {
	b := g.Bound()
	lo, hi := project.WGS84.ToMercator(b.Min), project.WGS84.ToMercator(b.Max)
	c := orb.Point{(lo[0] + hi[0]) / 2, (lo[1] + hi[1]) / 2}
	// Mercator metres per ground metre at this latitude.
	k := 1 / math.Cos(b.Center()[1]*math.Pi/180)
	prec, _ := props["geo_precision"].(string)
	minSpan := minSpanKm[prec] * 1000 * k
	if _, ok := minSpanKm[prec]; !ok {
		minSpan = minSpanKm[""] * 1000 * k
	}
	short := math.Min(area.W(), area.H())
	// Metres per pixel needed to show the geometry in half the picture.
	mpp := math.Max((hi[0]-lo[0])/(area.W()*0.5), (hi[1]-lo[1])/(area.H()*0.5))
	ext := math.Max(hi[0]-lo[0], hi[1]-lo[1])
	regional := minSpan / short
	if ext > 0 {
		// At least a fifth of the shorter side (a quarter, for margin).
		regional = math.Min(regional, ext/(short*0.25))
	}
	mpp = math.Max(mpp, regional)
	hw, hh := area.W()*mpp/2, area.H()*mpp/2
	return orb.Bound{Min: project.Mercator.ToWGS84(orb.Point{c[0] - hw, c[1] - hh}), Max: project.Mercator.ToWGS84(orb.Point{c[0] + hw, c[1] + hh})}
}

// fitFeatures fits the features of the layers, leaving out the few far
// from the rest (an event in Washington does not make a map of the world):
// those further from the median centre than twice the median distance.
// Country areas are the stage, not the subject, and are not fitted.
func fitFeatures(o Options) orb.Bound {
	var items []orb.Bound
	for _, sn := range o.Layers {
		for i, f := range sn.Features {
			if visible(sn, i, o.Date) && !countryArea(sn.Layer.Kind, f.Geometry) {
				items = append(items, sn.Bounds[i])
			}
		}
	}
	if len(items) == 0 {
		for _, sn := range o.Layers {
			items = append(items, sn.Bounds...)
		}
	}
	if len(items) == 0 {
		return DefaultBound
	}
	xs, ys := make([]float64, len(items)), make([]float64, len(items))
	for i, b := range items {
		xs[i], ys[i] = b.Center()[0], b.Center()[1]
	}
	med := func(s []float64) float64 {
		c := append([]float64(nil), s...)
		sort.Float64s(c)
		return c[len(c)/2]
	}
	mc := orb.Point{med(xs), med(ys)}
	ds := make([]float64, len(items))
	for i := range items {
		ds[i] = math.Hypot(xs[i]-mc[0], ys[i]-mc[1])
	}
	r := math.Max(2*med(ds), 1.5)
	keep := orb.Bound{Min: orb.Point{mc[0] - r*1.3, mc[1] - r}, Max: orb.Point{mc[0] + r*1.3, mc[1] + r}}
	var out orb.Bound
	for i, b := range items {
		if ds[i] <= r {
			if out.IsZero() {
				out = b
			} else {
				out = out.Union(b)
			}
		}
	}
	// Long lines or large areas reaching far out do not widen the view
	// beyond the kept box.
	out = orb.Bound{Min: orb.Point{math.Max(out.Min[0], keep.Min[0]), math.Max(out.Min[1], keep.Min[1])},
		Max: orb.Point{math.Min(out.Max[0], keep.Max[0]), math.Min(out.Max[1], keep.Max[1])}}
	// Padding: 8 % each side, and never narrower than a region.
	px, py := math.Max((out.Max[0]-out.Min[0])*0.08, 0.3), math.Max((out.Max[1]-out.Min[1])*0.08, 0.3)
	return orb.Bound{Min: orb.Point{out.Min[0] - px, math.Max(-80, out.Min[1]-py)}, Max: orb.Point{out.Max[0] + px, math.Min(80, out.Max[1]+py)}}
}

// featureMask draws the thematic features alone into an alpha mask.
func featureMask(o Options, v view, px float64) *image.Alpha {
	c := newRaster(o.Width, o.Height, nil)
	drawFeatures(c, o, v, px, true)
	a := image.NewAlpha(c.img.Bounds())
	for i := 0; i < len(a.Pix); i++ {
		a.Pix[i] = c.img.Pix[4*i+3]
	}
	return a
}

// focusBox is the pixel box of the focused feature, clipped to the picture.
func focusBox(o Options, v view, sc float64) Rect {
	g, _ := focusGeometry(o)
	if g == nil {
		return Rect{}
	}
	b := g.Bound()
	a, z := v.project(orb.Point{b.Min[0], b.Max[1]}), v.project(orb.Point{b.Max[0], b.Min[1]})
	r := Rect{a[0], a[1], z[0], z[1]}
	if _, ok := g.(orb.Point); ok {
		r = r.grow(pointRadius(sc))
	}
	return Rect{math.Max(r.X0, 0), math.Max(r.Y0, 0), math.Min(r.X1, float64(o.Width)), math.Min(r.Y1, float64(o.Height))}
}
