package staticmap

import (
	"bytes"
	"encoding/xml"
	"flag"
	"image"
	"image/png"
	"io"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/paulmach/orb"

	"github.com/citemap/citemap/data"
	"github.com/citemap/citemap/layers"
)

var keep = flag.String("keep", "", "write the rendered pictures to this folder, to look at them")

// bundled returns the bundled layers as snapshots.
func bundled(t *testing.T) (basemap *layers.Snapshot, shown []*layers.Snapshot) {
	t.Helper()
	d, err := layers.ReadDir(data.FS(), ".")
	if err != nil {
		t.Fatal(err)
	}
	ps := map[string]string{}
	for _, p := range d.Passages {
		ps[p.ID] = p.Source
	}
	for _, id := range []string{"basemap", "borders", "disputed", "corridors", "bases", "events"} {
		for _, l := range d.Layers {
			if l.ID != id {
				continue
			}
			sn, err := layers.NewSnapshot(l, d.Features[id], ps)
			if err != nil {
				t.Fatal(err)
			}
			if id == "basemap" {
				basemap = sn
			} else {
				shown = append(shown, sn)
			}
		}
	}
	return basemap, shown
}

func options(t *testing.T, w, h int) Options {
	basemap, shown := bundled(t)
	return Options{Width: w, Height: h, Basemap: basemap, Layers: shown,
		Bound: orb.Bound{Min: orb.Point{38, 37}, Max: orb.Point{51, 44.5}},
		Title: "South Caucasus", Sources: 5, Feature: "bases/gyumri-102nd-base",
		Attribution: "Natural Earth · GeoNames (CC BY 4.0)"}
}

func TestPNG(t *testing.T) {
	r, err := NewRenderer()
	if err != nil {
		t.Fatal(err)
	}
	for _, size := range [][2]int{{1200, 630}, {600, 400}, {1280, 720}} {
		b, err := r.PNG(options(t, size[0], size[1]))
		if err != nil {
			t.Fatal(err)
		}
		img, err := png.Decode(bytes.NewReader(b))
		if err != nil {
			t.Fatal(err)
		}
		if got := img.Bounds().Size(); got != (image.Point{size[0], size[1]}) {
			t.Errorf("size %v, want %v", got, size)
		}
		if n := colours(img); n < 20 {
			t.Errorf("%dx%d: only %d colours: a blank picture?", size[0], size[1], n)
		}
		if *keep != "" {
			if err := os.WriteFile(*keep+"/map-"+itoa(size[0])+"x"+itoa(size[1])+".png", b, 0o644); err != nil {
				t.Fatal(err)
			}
		}
	}
}

func itoa(i int) string { return strconv.Itoa(i) }

// colours counts distinct colours on a grid of samples.
func colours(img image.Image) int {
	seen := map[[4]uint32]bool{}
	b := img.Bounds()
	for y := b.Min.Y; y < b.Max.Y; y += 7 {
		for x := b.Min.X; x < b.Max.X; x += 7 {
			r, g, bl, a := img.At(x, y).RGBA()
			seen[[4]uint32{r, g, bl, a}] = true
		}
	}
	return len(seen)
}

func TestSVG(t *testing.T) {
	r, err := NewRenderer()
	if err != nil {
		t.Fatal(err)
	}
	o := options(t, 1200, 630)
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
	for _, w := range []string{`width="1200"`, "<path", "<circle", "<polyline", "5 sources cited"} {
		if !strings.Contains(s, w) {
			t.Errorf("SVG lacks %q", w)
		}
	}
	if *keep != "" {
		if err := os.WriteFile(*keep+"/map.svg", b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

func TestDateFilter(t *testing.T) {
	r, err := NewRenderer()
	if err != nil {
		t.Fatal(err)
	}
	o := options(t, 600, 400)
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
	r, err := NewRenderer()
	if err != nil {
		t.Fatal(err)
	}
	for _, size := range [][2]int{{0, 100}, {100, 10}, {MaxSide + 1, 100}, {100, 1000000}} {
		_, err := r.PNG(Options{Width: size[0], Height: size[1]})
		if layers.ErrorCode(err) != layers.EINVALID {
			t.Errorf("%v: %v, want invalid", size, err)
		}
	}
}
