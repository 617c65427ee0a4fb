package staticmap

import (
	"math"
	"strings"
	"testing"
)

// TestRiverNamesAlongTheirLines: the Kura is named in the default South
// Caucasus picture and the Araks in the TRIPP picture, letter by letter
// along the river: every letter within a few pixels of the line, inside the
// picture, clear of every other label and point symbol; the SVG keeps the
// name as one word.
func TestRiverNamesAlongTheirLines(t *testing.T) {
	r := renderer(t)
	for _, tc := range []struct {
		name, feature, river string
		w, h                 int
	}{
		{"layers", "", "Kura", 1200, 630},
		{"layers", "", "Kura", 2400, 1600},
		{"tripp", "corridors/zangezur-corridor-tripp", "Araks", 1200, 630},
	} {
		o := options(t, tc.w, tc.h)
		o.Feature = tc.feature
		l, err := r.Layout(o)
		if err != nil {
			t.Fatal(err)
		}
		checkLayout(t, tc.name, o, l)
		var lb *Label
		for i := range l.Labels {
			if l.Labels[i].Text == tc.river {
				lb = &l.Labels[i]
			}
		}
		if lb == nil {
			t.Errorf("%s %dx%d: %s is not named", tc.name, tc.w, tc.h, tc.river)
			continue
		}
		if len(lb.Glyphs) != len([]rune(tc.river)) {
			t.Errorf("%s: %s has %d letter boxes, want one a letter (set along its line)", tc.name, tc.river, len(lb.Glyphs))
			continue
		}
		pic := Rect{2, 2, float64(o.Width) - 2, float64(o.Height) - 2}
		for i, g := range lb.Glyphs {
			if !lb.Box.Contains(g) || !pic.Contains(g) {
				t.Errorf("%s: letter %d of %s at %v lies outside its label box %v or the picture", tc.name, i, tc.river, g, lb.Box)
			}
			// Along the river: each letter's box within a few pixels of it.
			if d := fromRiver(o, l, tc.river, g); d > 9*l.scale {
				t.Errorf("%s: letter %d of %s at %v is %.1f px from the river", tc.name, i, tc.river, g, d)
			}
			for _, s := range l.Symbols {
				if g.Intersects(s) {
					t.Errorf("%s: letter %d of %s covers the symbol at %v", tc.name, i, tc.river, s)
				}
			}
		}
		svg, err := r.SVG(o)
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(string(svg), `rotate="`) || !strings.Contains(string(svg), ">"+tc.river+"</text>") {
			t.Errorf("%s: the SVG does not set %s as one turned text", tc.name, tc.river)
		}
	}
}

// fromRiver is the distance in pixels from box b to the river named name.
func fromRiver(o Options, l *Layout, name string, b Rect) float64 {
	near := math.Inf(1)
	for _, i := range o.Basemap.Search(l.View) {
		if role(o.Basemap.Flat[i]) != "river" || o.Basemap.Features[i].Name() != name {
			continue
		}
		for _, ln := range lines(o.Basemap.Features[i].Geometry) {
			for k := 1; k < len(ln); k++ {
				a, c := l.view.project(ln[k-1]), l.view.project(ln[k])
				n := int(math.Hypot(c[0]-a[0], c[1]-a[1])) + 1
				for j := 0; j <= n; j++ {
					f := float64(j) / float64(n)
					x, y := a[0]+(c[0]-a[0])*f, a[1]+(c[1]-a[1])*f
					dx := math.Max(0, math.Max(b.X0-x, x-b.X1))
					dy := math.Max(0, math.Max(b.Y0-y, y-b.Y1))
					near = math.Min(near, math.Hypot(dx, dy))
				}
			}
		}
	}
	return near
}

// strokes counts the pixels of the data's lines under a label and the area
// it was counted on: its box, or for a name set along a line its letters'
// boxes (the bound of a slanted name holds the line beside it).
func (a Label) strokes(l *Layout) (int, float64) {
	if len(a.Glyphs) == 0 {
		return l.strokesExcept(a.Box, l.ownOutline(a.own, a.Box)), a.Box.W() * a.Box.H()
	}
	var n int
	var area float64
	for _, g := range a.Glyphs {
		n += l.StrokeOverlap(g)
		area += g.W() * g.H()
	}
	return n, area
}

// mask counts the feature pixels under a label, as strokes does.
func (a Label) mask(l *Layout) (int, float64) {
	boxes := a.Glyphs
	if len(boxes) == 0 {
		boxes = []Rect{a.Box}
	}
	var n int
	var area float64
	for _, g := range boxes {
		n += l.MaskOverlap(g)
		area += g.W() * g.H()
	}
	return n, area
}
