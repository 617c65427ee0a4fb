package staticmap

import (
	"bytes"
	"encoding/xml"
	"flag"
	"fmt"
	"image"
	"image/color"
	stddraw "image/draw"
	"image/png"
	"io"
	"math"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/paulmach/orb"
	xdraw "golang.org/x/image/draw"

	"github.com/citemap/citemap/data"
	"github.com/citemap/citemap/layers"
)

var (
	update = flag.Bool("update", false, "rewrite the golden pictures in testdata/golden")
	sheet  = flag.String("sheet", "../../test-artifacts/pictures", "write contact sheets of the pictures to this folder (empty: none)")
)

// The picture sizes the product promises: social card, square card, small
// embed thumbnail, video frame, print.
var sizes = [][2]int{{600, 400}, {1080, 1080}, {1200, 630}, {1280, 720}, {2400, 1600}}

// fixture returns the basemap (bundled) and the thematic layers (a frozen
// copy in testdata), as snapshots.
func fixture(t testing.TB) (basemap *layers.Snapshot, shown []*layers.Snapshot) {
	t.Helper()
	d, err := layers.ReadFile(data.FS(), "layers/basemap.geojson", "")
	if err != nil {
		t.Fatal(err)
	}
	basemap, err = layers.NewSnapshot(d.Layers[0], d.Features["basemap"], nil)
	if err != nil {
		t.Fatal(err)
	}
	fsys := os.DirFS("testdata/layers")
	for _, id := range []string{"borders", "disputed", "corridors", "bases", "events"} {
		d, err := layers.ReadFile(fsys, id+".geojson", "")
		if err != nil {
			t.Fatal(err)
		}
		feats := d.Features[id]
		sort.Slice(feats, func(i, j int) bool { return feats[i].ID < feats[j].ID })
		sn, err := layers.NewSnapshot(d.Layers[0], feats, nil)
		if err != nil {
			t.Fatal(err)
		}
		shown = append(shown, sn)
	}
	return basemap, shown
}

func options(t testing.TB, w, h int) Options {
	basemap, shown := fixture(t)
	return Options{Width: w, Height: h, Basemap: basemap, Layers: shown,
		Title:   "Borders · Disputed and breakaway areas · Transport corridors · Russian military bases and deployments · Events",
		Sources: 5, Attribution: "Natural Earth · GeoNames (CC BY 4.0) · citemap"}
}

func renderer(t testing.TB) *Renderer {
	t.Helper()
	r, err := NewRenderer()
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// variant is one picture of the test matrix.
type variant struct {
	name string
	edit func(o *Options)
}

var variants = []variant{
	{"layers", func(o *Options) {}},
	{"nolegend", func(o *Options) { o.NoLegend = true }},
	{"basemap", func(o *Options) { o.Layers = nil; o.Title = "Basemap" }},
	{"gyumri", func(o *Options) {
		o.Feature = "bases/gyumri-102nd-base"
		o.Title = "Russian 102nd Military Base, Gyumri"
	}},
	{"tripp", func(o *Options) {
		o.Feature = "corridors/zangezur-corridor-tripp"
		o.Title = "Zangezur corridor / TRIPP (route via Meghri)"
	}},
	{"abkhazia-dark", func(o *Options) { o.Feature = "disputed/abkhazia"; o.Title = "Abkhazia"; o.Theme = "dark" }},
}

// checkLayout asserts what every picture must satisfy.
func checkLayout(t *testing.T, name string, o Options, l *Layout) {
	t.Helper()
	pic := Rect{0, 0, float64(o.Width), float64(o.Height)}
	if !l.Legend.Empty() {
		area := l.Legend.W() * l.Legend.H()
		if n := l.MaskOverlap(l.Legend); float64(n) > 0.02*area {
			t.Errorf("%s: the legend covers %d feature pixels, %.1f %% of it", name, n, 100*float64(n)/area)
		}
		if !pic.Contains(l.Legend) {
			t.Errorf("%s: legend %v is not inside the picture", name, l.Legend)
		}
		if l.Legend.Intersects(l.Credit) {
			t.Errorf("%s: legend and credit line overlap", name)
		}
	}
	if l.Credit.Empty() || !pic.Contains(l.Credit) {
		t.Errorf("%s: credit line at %v", name, l.Credit)
	}
	// The title as laid out: every line inside the legend box, shortened
	// (if at all) after a whole word.
	if len(l.TitleBoxes) != len(l.Title) && l.LegendMode != LegendLine && l.LegendMode != LegendNone {
		t.Errorf("%s: %d title lines, %d title boxes", name, len(l.Title), len(l.TitleBoxes))
	}
	for i, b := range l.TitleBoxes {
		if !l.Legend.Contains(b) {
			t.Errorf("%s: title line %q at %v leaves the legend %v", name, l.Title[i], b, l.Legend)
		}
	}
	if n := len(l.Title); n > 0 && strings.HasSuffix(l.Title[n-1], "…") {
		shown := strings.TrimSuffix(strings.Join(l.Title, " "), "…")
		words := strings.Fields(o.Title)
		if !strings.HasPrefix(strings.Join(words, " "), shown) {
			t.Errorf("%s: title %q is not the start of %q", name, l.Title, o.Title)
		} else if rest := strings.Join(words, " ")[len(shown):]; !strings.HasPrefix(rest, " ") && !strings.HasSuffix(shown, "–") {
			t.Errorf("%s: title %q is cut inside a word", name, l.Title)
		}
	}
	// Labels lie whole inside the picture, clear of its edge.
	inner := Rect{2, 2, float64(o.Width) - 2, float64(o.Height) - 2}
	for i, a := range l.Labels {
		if !inner.Contains(a.Box) {
			t.Errorf("%s: label %q at %v leaves the picture or touches its edge", name, a.Text, a.Box)
		}
		// Names never hide a line or outline of the data (an area's name
		// may cross its own outline; the focused feature's name only when
		// nowhere else is free; a town's beside the focus may cross one).
		if a.Kind != "focus" && (a.Kind != "place" || l.Focus.Empty()) {
			if n, area := a.strokes(l); float64(n) > math.Max(2, 0.02*area) {
				t.Errorf("%s: %s label %q at %v covers %d pixels of the data's lines", name, a.Kind, a.Text, a.Box, n)
			}
		}
		for _, b := range l.Labels[i+1:] {
			if a.Box.Intersects(b.Box) {
				t.Errorf("%s: labels %q %v and %q %v overlap", name, a.Text, a.Box, b.Text, b.Box)
			}
		}
		if a.Kind == "place" && !l.Focus.Empty() {
			if n := l.StrokeOverlap(a.Box); float64(n) > 0.08*a.Box.W()*a.Box.H() {
				t.Errorf("%s: town %q at %v lies along a line of the data (%d pixels)", name, a.Text, a.Box, n)
			}
		}
		for _, s := range l.Symbols {
			if a.Box.Intersects(s) {
				t.Errorf("%s: label %q %v covers a point symbol %v", name, a.Text, a.Box, s)
			}
		}
		if a.Box.Intersects(l.Legend) || a.Box.Intersects(l.Credit) {
			t.Errorf("%s: label %q under the legend or credit", name, a.Text)
		}
	}
}

// TestPictures renders every size and variant, checks each layout,
// compares it with its golden picture and puts all on contact sheets.
func TestPictures(t *testing.T) {
	r := renderer(t)
	shots := map[string][]image.Image{}
	for _, v := range variants {
		for _, size := range sizes {
			o := options(t, size[0], size[1])
			v.edit(&o)
			name := fmt.Sprintf("%s-%dx%d", v.name, size[0], size[1])
			img, l, err := r.Image(o)
			if err != nil {
				t.Fatal(err)
			}
			checkLayout(t, name, o, l)
			if len(labelsOf(l, "place")) < 2 {
				t.Errorf("%s: only towns %v are labelled", name, labelsOf(l, "place"))
			}
			if o.Layers != nil && len(labelsOf(l, "country")) < 2 {
				t.Errorf("%s: only countries %v are labelled", name, labelsOf(l, "country"))
			}
			switch {
			case o.NoLegend || o.Width < MinLegendWidth || o.Layers == nil:
				if l.LegendMode != LegendNone || !l.Legend.Empty() {
					t.Errorf("%s: legend %s at %v", name, l.LegendMode, l.Legend)
				}
			case o.Width < BoxLegendWidth:
				if l.LegendMode != LegendLine || len(l.Title) > 0 {
					t.Errorf("%s: a %s legend with title %q, want a single line of symbols", name, l.LegendMode, l.Title)
				}
			default:
				if l.LegendMode != LegendBox && l.LegendMode != LegendBeside {
					t.Errorf("%s: legend %s", name, l.LegendMode)
				}
			}
			golden(t, name, img)
			shots[v.name] = append(shots[v.name], img)
			if *sheet != "" {
				writePNG(t, filepath.Join(*sheet, name+".png"), img)
			}
		}
	}
	if *sheet != "" {
		for _, v := range variants {
			contactSheet(t, filepath.Join(*sheet, "sheet-"+v.name+".png"), shots[v.name])
		}
	}
}

// golden compares img with testdata/golden/name.png, or rewrites it with
// -update. Pictures are compared by pixels, allowing a few to differ (text
// anti-aliasing may move by a level between platforms).
func golden(t *testing.T, name string, img *image.RGBA) {
	t.Helper()
	path := filepath.Join("testdata", "golden", name+".png")
	if *update {
		var buf bytes.Buffer
		if err := png.Encode(&buf, img); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	f, err := os.Open(path)
	if err != nil {
		t.Errorf("%s: no golden picture (run go test -update and look at it): %v", name, err)
		return
	}
	defer f.Close()
	want, err := png.Decode(f)
	if err != nil {
		t.Fatal(err)
	}
	if want.Bounds() != img.Bounds() {
		t.Errorf("%s: size %v, golden %v", name, img.Bounds(), want.Bounds())
		return
	}
	diff := 0
	b := img.Bounds()
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			r1, g1, b1, _ := img.At(x, y).RGBA()
			r2, g2, b2, _ := want.At(x, y).RGBA()
			if absDiff(r1, r2)+absDiff(g1, g2)+absDiff(b1, b2) > 3*0x1000 {
				diff++
			}
		}
	}
	if frac := float64(diff) / float64(b.Dx()*b.Dy()); frac > 0.002 {
		t.Errorf("%s: %.2f %% of the pixels differ from %s; look at the picture and run go test -update if it is right", name, 100*frac, path)
	}
}

func absDiff(a, b uint32) uint32 {
	if a > b {
		return a - b
	}
	return b - a
}

// contactSheet puts pictures side by side, each scaled to the same height,
// with their sizes, for a person to look at.
func contactSheet(t *testing.T, path string, imgs []image.Image) {
	const rowH = 360
	width := 0
	for _, img := range imgs {
		b := img.Bounds()
		width += b.Dx()*rowH/b.Dy() + 12
	}
	out := image.NewRGBA(image.Rect(0, 0, width+12, rowH+24))
	stddraw.Draw(out, out.Bounds(), image.NewUniform(color.RGBA{60, 60, 60, 255}), image.Point{}, stddraw.Src)
	x := 12
	for _, img := range imgs {
		b := img.Bounds()
		w := b.Dx() * rowH / b.Dy()
		xdraw.CatmullRom.Scale(out, image.Rect(x, 12, x+w, 12+rowH), img, b, stddraw.Over, nil)
		x += w + 12
	}
	writePNG(t, path, out)
}

// writePNG writes img to path, making its folder.
func writePNG(t *testing.T, path string, img image.Image) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
}

func TestLegendOff(t *testing.T) {
	r := renderer(t)
	for _, size := range sizes {
		o := options(t, size[0], size[1])
		with, err := r.PNG(o)
		if err != nil {
			t.Fatal(err)
		}
		o.NoLegend = true
		without, err := r.PNG(o)
		if err != nil {
			t.Fatal(err)
		}
		if bytes.Equal(with, without) {
			t.Errorf("%v: legend=0 draws the same picture", size)
		}
	}
}

// TestFeatureFraming: a feature view is centred on the feature, which
// spans at least a fifth of the shorter side (a point: a regional view of
// at most a few hundred km), and is labelled.
func TestFeatureFraming(t *testing.T) {
	r := renderer(t)
	for _, tc := range []struct {
		feature string
		point   bool
	}{
		{"bases/gyumri-102nd-base", true},
		{"corridors/zangezur-corridor-tripp", false},
		{"disputed/abkhazia", false},
		{"disputed/vorukh-exclave", false},
	} {
		for _, size := range sizes {
			o := options(t, size[0], size[1])
			o.Feature = tc.feature
			l, err := r.Layout(o)
			if err != nil {
				t.Fatal(err)
			}
			name := fmt.Sprintf("%s %dx%d", tc.feature, size[0], size[1])
			if l.Focus.Empty() {
				t.Fatalf("%s: no focus box", name)
			}
			cx, cy := (l.Focus.X0+l.Focus.X1)/2, (l.Focus.Y0+l.Focus.Y1)/2
			mx, my := (l.Map.X0+l.Map.X1)/2, (l.Map.Y0+l.Map.Y1)/2
			if math.Abs(cx-mx) > 0.1*l.Map.W() || math.Abs(cy-my) > 0.1*l.Map.H() {
				t.Errorf("%s: feature centred at %.0f,%.0f, the map at %.0f,%.0f", name, cx, cy, mx, my)
			}
			short := math.Min(l.Map.W(), l.Map.H())
			if span := math.Max(l.Focus.W(), l.Focus.H()); !tc.point && span < short/5 {
				t.Errorf("%s: the feature spans %.0f px of %.0f", name, span, short)
			}
			if tc.point {
				// Regional: a few hundred km across, never the whole region.
				if w := l.View.Max[1] - l.View.Min[1]; w > 6 || w < 0.8 {
					t.Errorf("%s: %.1f° of latitude in view", name, w)
				}
			}
			if len(labelsOf(l, "focus")) != 1 {
				t.Errorf("%s: focus label %q", name, labelsOf(l, "focus"))
			}
		}
	}
	// The TRIPP corridor has named towns on it and on both sides.
	o := options(t, 1200, 630)
	o.Feature = "corridors/zangezur-corridor-tripp"
	l, err := r.Layout(o)
	if err != nil {
		t.Fatal(err)
	}
	places := strings.Join(labelsOf(l, "place"), ",")
	for _, want := range []string{"Meghri", "Ordubad"} {
		if !strings.Contains(places, want) {
			t.Errorf("TRIPP picture labels towns %s, not %s", places, want)
		}
	}
	if c := strings.Join(labelsOf(l, "country"), ","); !strings.Contains(c, "IRAN") || !strings.Contains(c, "ARMENIA") {
		t.Errorf("TRIPP picture names countries %s", c)
	}
}

// TestDefaultFit: with no bbox, view or feature, the picture fits the
// features' core (the South Caucasus), not the world events reach.
func TestDefaultFit(t *testing.T) {
	r := renderer(t)
	l, err := r.Layout(options(t, 1200, 630))
	if err != nil {
		t.Fatal(err)
	}
	caucasus := orb.Point{44.5, 40.5}
	if !l.View.Contains(caucasus) || l.View.Max[0]-l.View.Min[0] > 40 || l.View.Min[0] < 20 {
		t.Errorf("default view %v", l.View)
	}
	o := options(t, 1200, 630)
	o.Bound = orb.Bound{Min: orb.Point{43, 39}, Max: orb.Point{47, 42}}
	if l, err = r.Layout(o); err != nil {
		t.Fatal(err)
	}
	if l.View.Min[0] > 43 || l.View.Max[0] < 47 || l.View.Min[1] > 39.01 || l.View.Max[1] < 41.99 {
		t.Errorf("bbox view %v does not show %v", l.View, o.Bound)
	}
}

// TestTitleFits: a long title wraps (up to four lines), then shortens after
// a whole word, inside the legend.
func TestTitleFits(t *testing.T) {
	r := renderer(t)
	m := r.measure()
	for _, size := range sizes {
		o := options(t, size[0], size[1])
		o.Title = strings.Repeat("A very long title of many layers · ", 8)
		l, err := r.Layout(o)
		if err != nil {
			t.Fatal(err)
		}
		if l.LegendMode != LegendBox && l.LegendMode != LegendBeside {
			continue
		}
		if len(l.Title) == 0 || len(l.Title) > 4 || !strings.HasSuffix(l.Title[len(l.Title)-1], "…") {
			t.Errorf("%v: title %q", size, l.Title)
		}
		for _, line := range l.Title {
			if w := m.textWidth(line, l.font*1.08, true); w > l.Legend.W() {
				t.Errorf("%v: title line %q is %.0f px in a %.0f px legend", size, line, w, l.Legend.W())
			}
		}
	}
}

func TestSVG(t *testing.T) {
	r := renderer(t)
	o := options(t, 1200, 630)
	o.Feature = "bases/gyumri-102nd-base"
	o.Title = `<script>alert(1)</script> & "quotes"`
	b, err := r.SVG(o)
	if err != nil {
		t.Fatal(err)
	}
	dec := xml.NewDecoder(bytes.NewReader(b))
	for {
		if _, err := dec.Token(); err == io.EOF {
			break
		} else if err != nil {
			t.Fatalf("SVG is not well-formed XML: %v", err)
		}
	}
	s := string(b)
	if strings.Contains(s, "<script>") || !strings.Contains(s, "&lt;script&gt;") {
		t.Error("title not escaped")
	}
	l, err := r.Layout(o)
	if err != nil {
		t.Fatal(err)
	}
	// The same picture: every label the layout placed is real text.
	for _, lb := range l.Labels {
		for _, line := range strings.Split(lb.Text, "\n") {
			var esc bytes.Buffer
			xml.EscapeText(&esc, []byte(line))
			if !strings.Contains(s, ">"+esc.String()+"</text>") {
				t.Errorf("SVG lacks the label %q", line)
			}
		}
	}
	for _, w := range []string{`width="1200"`, "<path", "<circle", "<polyline", "5 sources", "Natural Earth"} {
		if !strings.Contains(s, w) {
			t.Errorf("SVG lacks %q", w)
		}
	}
	o.Theme = "dark"
	d, err := r.SVG(o)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(d), dark.sea) || strings.Contains(string(d), light.sea) {
		t.Error("the dark SVG does not use the dark palette")
	}
}

func TestDarkPNG(t *testing.T) {
	r := renderer(t)
	o := options(t, 600, 400)
	o.Theme = "dark"
	img, _, err := r.Image(o)
	if err != nil {
		t.Fatal(err)
	}
	// The top-left pixel is sea or land: dark in the dark theme.
	c := img.RGBAAt(1, 1)
	if int(c.R)+int(c.G)+int(c.B) > 3*90 {
		t.Errorf("dark picture has a light corner %v", c)
	}
}

func TestDateFilter(t *testing.T) {
	r := renderer(t)
	o := options(t, 1200, 630)
	before := time.Date(2019, 1, 1, 0, 0, 0, 0, time.UTC)
	o.Date = &before
	b, err := r.SVG(o)
	if err != nil {
		t.Fatal(err)
	}
	// In 2019 only the one undated event (open-ended) shows.
	if !strings.Contains(string(b), "Events (1)") || !strings.Contains(string(b), "as of 1 Jan 2019") {
		t.Errorf("date filter not applied: %s", b[len(b)-600:])
	}
}

func TestValidate(t *testing.T) {
	r := renderer(t)
	for _, o := range []Options{
		{Width: 0, Height: 100}, {Width: 100, Height: 10}, {Width: MaxSide + 1, Height: 100}, {Width: 100, Height: 1000000},
		{Width: 100, Height: 100, Bound: orb.Bound{Min: orb.Point{40, 40}, Max: orb.Point{40, 41}}},
	} {
		_, err := r.PNG(o)
		if layers.ErrorCode(err) != layers.EINVALID {
			t.Errorf("%+v: %v, want invalid", o, err)
		}
	}
}

// TestWaterNames: the seas are named in open water, the Araks beside its
// line and off the corridor that runs along it, in the PNG and the SVG.
func TestWaterNames(t *testing.T) {
	r := renderer(t)
	for _, tc := range []struct {
		name, feature string
		layers        bool
		want          []string
	}{
		{"basemap", "", false, []string{"Caspian", "Black Sea"}},
		{"tripp", "corridors/zangezur-corridor-tripp", true, []string{"Araks"}},
	} {
		o := options(t, 1200, 630)
		o.Feature = tc.feature
		if !tc.layers {
			o.Layers = nil
		}
		l, err := r.Layout(o)
		if err != nil {
			t.Fatal(err)
		}
		checkLayout(t, tc.name, o, l)
		water := map[string]Label{}
		for _, lb := range l.Labels {
			if lb.Kind == "water" {
				water[strings.ReplaceAll(lb.Text, "\n", " ")] = lb
			}
		}
		svg, err := r.SVG(o)
		if err != nil {
			t.Fatal(err)
		}
		for _, w := range tc.want {
			var lb Label
			var found bool
			for text, x := range water {
				if strings.Contains(text, w) {
					lb, found = x, true
				}
			}
			if !found {
				t.Errorf("%s: %s is not named; water labels %v", tc.name, w, water)
				continue
			}
			if n, area := lb.mask(l); float64(n) > 0.02*area {
				t.Errorf("%s: %q covers %d feature pixels", tc.name, lb.Text, n)
			}
			if !strings.Contains(string(svg), ">"+strings.Split(lb.Text, "\n")[0]+"</text>") {
				t.Errorf("%s: the SVG lacks %q as text", tc.name, lb.Text)
			}
			if w != "Araks" {
				continue
			}
			// Beside the river: its box within a few pixels of the line.
			var near float64 = math.Inf(1)
			for _, i := range o.Basemap.Search(l.View) {
				if role(o.Basemap.Flat[i]) != "river" {
					continue
				}
				for _, ln := range lines(o.Basemap.Features[i].Geometry) {
					for k := 1; k < len(ln); k++ {
						a, b := l.view.project(ln[k-1]), l.view.project(ln[k])
						// Points along the segment, a pixel apart.
						n := int(math.Hypot(b[0]-a[0], b[1]-a[1])) + 1
						for j := 0; j <= n; j++ {
							f := float64(j) / float64(n)
							x, y := a[0]+(b[0]-a[0])*f, a[1]+(b[1]-a[1])*f
							dx := math.Max(0, math.Max(lb.Box.X0-x, x-lb.Box.X1))
							dy := math.Max(0, math.Max(lb.Box.Y0-y, y-lb.Box.Y1))
							near = math.Min(near, math.Hypot(dx, dy))
						}
					}
				}
			}
			if near > 12*l.scale {
				t.Errorf("%s: %q at %v is %.0f px from the river", tc.name, lb.Text, lb.Box, near)
			}
		}
	}
}

// TestFocusNameOnOneLineWhereItFits: the Gyumri base's name takes well
// under half the map's width at every size, so it is set on one line (it
// was wrapped after "Base," at every size).
func TestFocusNameOnOneLineWhereItFits(t *testing.T) {
	r := renderer(t)
	for _, size := range sizes {
		o := options(t, size[0], size[1])
		o.Feature = "bases/gyumri-102nd-base"
		l, err := r.Layout(o)
		if err != nil {
			t.Fatal(err)
		}
		var focus []Label
		for _, lb := range l.Labels {
			if lb.Kind == "focus" {
				focus = append(focus, lb)
			}
		}
		if len(focus) != 1 {
			t.Fatalf("%v: %d focus labels", size, len(focus))
		}
		if got := focus[0].lines; len(got) != 1 || got[0] != "Russian 102nd Military Base, Gyumri" {
			t.Errorf("%v: focus name set as %q, want one line", size, got)
		}
	}
}

// TestNoLegendForTheBasemapAlone: a picture of the basemap alone (no
// layers, or layers=basemap) has nothing for a key to explain, so none is
// drawn at any size; the credit line stays.
func TestNoLegendForTheBasemapAlone(t *testing.T) {
	r := renderer(t)
	basemap, _ := fixture(t)
	for _, alone := range [][]*layers.Snapshot{nil, {basemap}} {
		for _, size := range sizes {
			o := options(t, size[0], size[1])
			o.Layers, o.Title = alone, "Basemap"
			l, err := r.Layout(o)
			if err != nil {
				t.Fatal(err)
			}
			if l.LegendMode != LegendNone || !l.Legend.Empty() || len(l.TitleBoxes) != 0 {
				t.Errorf("%v with %d layers: legend %s at %v, title %q", size, len(alone), l.LegendMode, l.Legend, l.Title)
			}
			if l.Credit.Empty() {
				t.Errorf("%v: no credit line", size)
			}
			o.Sources = 0
			if got := creditText(o); got != o.Attribution {
				t.Errorf("%v: basemap-only credit %q, want %q", size, got, o.Attribution)
			}
		}
	}
	// The thematic layers still get their key.
	o := options(t, 1200, 630)
	l, err := r.Layout(o)
	if err != nil {
		t.Fatal(err)
	}
	if l.LegendMode == LegendNone {
		t.Error("1200x630 with layers: no legend")
	}
}

// The capitals of the region are named in every picture of the region,
// though a thematic symbol sits on Baku (an event) and beside Yerevan (an
// air base and an event): the name goes beside the symbol, without a dot,
// and the event keeps its own label.
func TestCapitalsNamedBesideSymbols(t *testing.T) {
	r := renderer(t)
	for _, size := range sizes {
		name := fmt.Sprintf("layers-%dx%d", size[0], size[1])
		_, l, err := r.Image(options(t, size[0], size[1]))
		if err != nil {
			t.Fatal(err)
		}
		places := labelsOf(l, "place")
		for _, c := range []string{"Tbilisi", "Yerevan", "Baku"} {
			if !slices.Contains(places, c) {
				t.Errorf("%s: %s is not named; towns: %v", name, c, places)
			}
		}
		var baku Label
		for _, lb := range l.Labels {
			if lb.Kind == "place" && lb.Text == "Baku" {
				baku = lb
			}
		}
		if !baku.bare {
			t.Errorf("%s: Baku has a dot of its own under the event's symbol", name)
		}
		for _, s := range l.Symbols {
			if s.Intersects(baku.Box) {
				t.Errorf("%s: Baku's name %v covers a symbol %v", name, baku.Box, s)
			}
		}
		event := "Raid on the Sputnik Azerbaijan office, Baku"
		if !slices.ContainsFunc(labelsOf(l, "feature"), func(s string) bool { return strings.ReplaceAll(s, "\n", " ") == event }) {
			t.Errorf("%s: the event at Baku lost its label to the city: %q", name, labelsOf(l, "feature"))
		}
	}
}

// A country's part beyond the basemap's 1:10m extent (beyond: true) is not
// drawn (the land under it is), and the country is named once, on the part
// that shows more of it: in a view over both parts (the extent ends at
// 50°N), and in a view of the part beyond alone (Yekaterinburg's), which
// once named no country.
func TestCountryNamedOnce(t *testing.T) {
	r := renderer(t)
	for _, b := range []orb.Bound{
		{Min: orb.Point{36, 44}, Max: orb.Point{60, 58}},
		{Min: orb.Point{58, 55.5}, Max: orb.Point{63.5, 58.5}},
	} {
		o := options(t, 1200, 630)
		o.Layers, o.Title = nil, "Basemap"
		o.Bound = b
		l, err := r.Layout(o)
		if err != nil {
			t.Fatal(err)
		}
		russia := 0
		for _, lb := range labelsOf(l, "country") {
			if lb == "RUSSIA" {
				russia++
			}
		}
		if russia != 1 {
			t.Errorf("RUSSIA named %d times in %v; want once (countries named: %v)", russia, b, labelsOf(l, "country"))
		}
	}
}
