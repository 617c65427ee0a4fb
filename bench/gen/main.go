// Command gen writes a deterministic synthetic GeoJSON layer over the Caucasus
// (lon 38–50, lat 38–44) for benchmarks.
//
//	go run ./bench/gen -n 21500 -seed 1 -kind polygons -o /tmp/poly-21500.geojson
//
// The output is a FeatureCollection written one feature at a time, so memory
// stays constant whatever -n is. The same flags always give the same bytes.
// Every feature has a string id (a slug, "f-0000001"), flat properties (name,
// status, category, valid_from when known, geo_precision and a few numbers),
// and a Point, LineString or Polygon geometry. Polygons are simple
// (star-shaped around their centre, vertices in strictly increasing angle),
// their ring closed and counter-clockwise, as RFC 7946 asks.
//
// With -claims every feature also cites one passage of the bundled data
// (properties.claims), for servers that refuse uncited features.
package main

import (
	"bufio"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"os"
	"strconv"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/geojson"
)

// The area the features fall in: the Caucasus.
var area = orb.Bound{Min: orb.Point{38, 38}, Max: orb.Point{50, 44}}

// Kinds of geometry the generator writes.
const (
	KindPoints   = "points"
	KindLines    = "lines"
	KindPolygons = "polygons"
	KindMixed    = "mixed" // points, lines and polygons in turn
)

// Options are what a layer is generated from.
type Options struct {
	N       int    // number of features
	Seed    uint64 // the random seed: same seed, same bytes
	Kind    string // one of the Kind constants
	Claims  string // when not "", each feature cites this passage id
	LayerID string // when not "", a foreign member "layer" names the layer
	IDBase  string // feature ids are IDBase + "-" + a 7-digit number
}

func main() {
	var (
		o   Options
		out string
	)
	flag.IntVar(&o.N, "n", 1000, "number of features")
	flag.Uint64Var(&o.Seed, "seed", 1, "random seed")
	flag.StringVar(&o.Kind, "kind", KindPoints, "geometry: points, lines, polygons or mixed")
	flag.StringVar(&o.Claims, "claims", "", "cite this passage id in every feature's properties.claims (e.g. p004-01)")
	flag.StringVar(&o.LayerID, "layer", "", "write a foreign member layer {id, title} with this id")
	flag.StringVar(&o.IDBase, "id-prefix", "f", "feature id prefix")
	flag.StringVar(&out, "o", "-", "output file (- for standard output)")
	flag.Parse()

	if err := run(o, out); err != nil {
		fmt.Fprintln(os.Stderr, "gen:", err)
		os.Exit(1)
	}
}

func run(o Options, out string) (err error) {
	w := io.Writer(os.Stdout)
	if out != "-" {
		f, err := os.Create(out)
		if err != nil {
			return err
		}
		defer func() {
			if cerr := f.Close(); err == nil {
				err = cerr
			}
		}()
		w = f
	}
	return Generate(w, o)
}

// Generate writes the layer described by o to w.
func Generate(w io.Writer, o Options) error {
	switch o.Kind {
	case KindPoints, KindLines, KindPolygons, KindMixed:
	default:
		return fmt.Errorf("unknown kind %q (want points, lines, polygons or mixed)", o.Kind)
	}
	if o.N < 0 {
		return errors.New("n must be >= 0")
	}
	if o.IDBase == "" {
		o.IDBase = "f"
	}
	bw := bufio.NewWriterSize(w, 1<<16)
	g := &generator{rng: rand.New(rand.NewPCG(o.Seed, 0x9e3779b97f4a7c15)), o: o}

	bw.WriteString(`{"type":"FeatureCollection",`)
	if o.LayerID != "" {
		bw.WriteString(`"layer":{"id":`)
		writeString(bw, o.LayerID)
		bw.WriteString(`,"title":`)
		writeString(bw, fmt.Sprintf("Synthetic %s (%d features, seed %d)", o.Kind, o.N, o.Seed))
		bw.WriteString(`},`)
	}
	bw.WriteString("\"features\":[\n")
	for i := 0; i < o.N; i++ {
		if i > 0 {
			bw.WriteString(",\n")
		}
		if err := g.writeFeature(bw, i); err != nil {
			return err
		}
	}
	bw.WriteString("\n]}\n")
	return bw.Flush()
}

type generator struct {
	rng *rand.Rand
	o   Options
}

var (
	statuses   = []string{"active", "former", "planned", "disputed"}
	categories = []string{"site", "depot", "checkpoint", "station", "settlement", "crossing"}
	precisions = []string{"exact", "town", "region"}
)

func (g *generator) writeFeature(w *bufio.Writer, i int) error {
	kind := g.o.Kind
	if kind == KindMixed {
		kind = []string{KindPoints, KindLines, KindPolygons}[i%3]
	}
	var geom orb.Geometry
	switch kind {
	case KindPoints:
		geom = g.point()
	case KindLines:
		geom = g.line()
	default:
		geom = g.polygon()
	}
	gj, err := json.Marshal(geojson.NewGeometry(geom))
	if err != nil {
		return err
	}

	r := g.rng
	w.WriteString(`{"type":"Feature","id":"`)
	w.WriteString(g.o.IDBase)
	w.WriteString(fmt.Sprintf("-%07d", i+1))
	w.WriteString(`","geometry":`)
	w.Write(gj)
	w.WriteString(`,"properties":{"name":`)
	writeString(w, fmt.Sprintf("Synthetic %s %d", kind[:len(kind)-1], i+1))
	w.WriteString(`,"status":`)
	writeString(w, statuses[r.IntN(len(statuses))])
	w.WriteString(`,"category":`)
	writeString(w, categories[r.IntN(len(categories))])
	w.WriteString(`,"geo_precision":`)
	writeString(w, precisions[r.IntN(len(precisions))])
	if r.IntN(10) < 6 { // 60 % have a start date: a year or a day
		year := 1990 + r.IntN(35)
		d := strconv.Itoa(year)
		if r.IntN(2) == 0 {
			d = fmt.Sprintf("%04d-%02d-%02d", year, 1+r.IntN(12), 1+r.IntN(28))
		}
		w.WriteString(`,"valid_from":`)
		writeString(w, d)
	}
	w.WriteString(`,"population":`)
	w.WriteString(strconv.Itoa(r.IntN(500000)))
	w.WriteString(`,"elevation_m":`)
	w.WriteString(strconv.Itoa(-20 + r.IntN(4000)))
	w.WriteString(`,"score":`)
	w.WriteString(strconv.FormatFloat(math.Round(r.Float64()*1000)/1000, 'f', -1, 64))
	if g.o.Claims != "" {
		w.WriteString(`,"claims":[{"passage":`)
		writeString(w, g.o.Claims)
		w.WriteString(`,"aspect":"existence","relation":"supports","basis":"explicit"}]`)
	}
	w.WriteString(`}}`)
	return nil
}

// round6 keeps 6 decimals (about 0.1 m), as real data would.
func round6(v float64) float64 { return math.Round(v*1e6) / 1e6 }

func (g *generator) uniform(b orb.Bound) orb.Point {
	return orb.Point{
		b.Min[0] + g.rng.Float64()*(b.Max[0]-b.Min[0]),
		b.Min[1] + g.rng.Float64()*(b.Max[1]-b.Min[1]),
	}
}

func (g *generator) point() orb.Point {
	p := g.uniform(area)
	return orb.Point{round6(p[0]), round6(p[1])}
}

// line is a random walk of 2–16 vertices with steps of 0.01–0.05°, kept in
// the area.
func (g *generator) line() orb.LineString {
	r := g.rng
	n := 2 + r.IntN(15)
	p := g.uniform(area)
	heading := r.Float64() * 2 * math.Pi
	ls := make(orb.LineString, 0, n)
	ls = append(ls, orb.Point{round6(p[0]), round6(p[1])})
	for len(ls) < n {
		heading += (r.Float64() - 0.5) * math.Pi / 2
		step := 0.01 + r.Float64()*0.04
		p = orb.Point{p[0] + step*math.Cos(heading), p[1] + step*math.Sin(heading)}
		p[0] = reflect(p[0], area.Min[0], area.Max[0])
		p[1] = reflect(p[1], area.Min[1], area.Max[1])
		q := orb.Point{round6(p[0]), round6(p[1])}
		if q != ls[len(ls)-1] {
			ls = append(ls, q)
		}
	}
	return ls
}

func reflect(v, lo, hi float64) float64 {
	if v < lo {
		return lo + (lo - v)
	}
	if v > hi {
		return hi - (v - hi)
	}
	return v
}

// polygon is star-shaped around a random centre: 5–16 vertices at strictly
// increasing angles and radii of 60–100 % of 0.005–0.05°, which makes it
// simple and its ring counter-clockwise.
func (g *generator) polygon() orb.Polygon {
	r := g.rng
	radius := 0.005 + r.Float64()*0.045
	inner := orb.Bound{
		Min: orb.Point{area.Min[0] + radius, area.Min[1] + radius},
		Max: orb.Point{area.Max[0] - radius, area.Max[1] - radius},
	}
	c := g.uniform(inner)
	n := 5 + r.IntN(12)
	ring := make(orb.Ring, 0, n+1)
	for i := 0; i < n; i++ {
		// Jitter inside the first 80 % of each sector keeps angles increasing.
		a := 2 * math.Pi * (float64(i) + 0.8*r.Float64()) / float64(n)
		rr := radius * (0.6 + 0.4*r.Float64())
		ring = append(ring, orb.Point{round6(c[0] + rr*math.Cos(a)), round6(c[1] + rr*math.Sin(a))})
	}
	ring = append(ring, ring[0])
	return orb.Polygon{ring}
}

func writeString(w *bufio.Writer, s string) {
	b, _ := json.Marshal(s)
	w.Write(b)
}
