// Package tiles cuts a layer into Mapbox vector tiles with orb's
// encoding/mvt, maptile, clip and simplify. It knows nothing of HTTP.
//
// Tiles of zoom 0..GeneralizedZoom come from a generalized copy of the layer
// made once per zoom (a Set keeps them): geometry simplified to half a
// pixel at that zoom, lines and areas smaller than a pixel drawn as points, and in
// crowded places one feature per few pixels. A request then only clips what
// is left; deeper tiles clip the full geometry, which at those scales is
// small per tile.
package tiles

import (
	"cmp"
	"fmt"
	"math"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/encoding/mvt"
	"github.com/paulmach/orb/geojson"
	"github.com/paulmach/orb/maptile"
	"github.com/paulmach/orb/maptile/tilecover"
	"github.com/paulmach/orb/simplify"

	"github.com/citemap/citemap/geo"
	"github.com/citemap/citemap/layers"
)

// MaxZoom is the deepest zoom served; the sources place things at town
// precision at best.
const MaxZoom = 16

// GeneralizedZoom is the deepest zoom cut from generalized geometry.
const GeneralizedZoom = 12

// MaxBytes is the most an encoded tile may weigh: a crowded tile over it is
// thinned further until it fits.
const MaxBytes = 500_000

// tilePixels is the size a tile is drawn at (MapLibre's vector tiles).
const tilePixels = 512

// buffer is how far around a tile features are kept, as a fraction of the
// tile, so lines and fills join without seams.
const buffer = 1.0 / 64

// Fields are the properties carried into tiles of a cited layer: enough to
// style, filter by date and open the feature; the rest is one request away.
// Tiles add _from and _to, the validity as YYYYMMDD numbers the map's date
// filter compares.
var Fields = []string{"name", "status", "valid_from", "valid_to", "geo_precision", "source_count", "category"}

// BasemapFields are the properties carried into basemap tiles: what the
// map's style draws and labels by.
var BasemapFields = []string{"name", "role", "population", "capital", "country"}

// LabelLayer is the basemap tiles' second layer: a label point inside each
// country, and for close views more points on nested grids (property
// "_grid" 3, 4 and 5, every 3°, 1.5° and 0.75°), so a view of a few hundred
// km still names its countries.
const LabelLayer = "labels"

// cellPixels is the side of the cells, in pixels of a 512-pixel tile,
// that a generalized level thins in: a cell holding more than crowded
// features keeps one, the largest. A crowded area shows where features are
// dense; zooming in shows each one. Ordinary layers are never thinned.
const (
	cellPixels = 8
	crowded    = 4
)

// grid is the cells per tile side of the further thinning that keeps a tile
// under MaxBytes.
const grid = tilePixels / cellPixels

// Set cuts tiles of one layer revision, keeping each zoom's generalized
// geometry once built. It is safe for concurrent use.
type Set struct {
	sn     *layers.Snapshot
	fields []string
	levels [GeneralizedZoom + 1]struct {
		once sync.Once
		l    *level
	}
	labels []label // basemap only
	// areaLabels holds, by feature position, the label point of each area
	// asked for (an orb.Point, or false when there is none), computed once
	// from the full geometry.
	areaLabels sync.Map
}

// labelMinPixels is how wide an area must be drawn before it gets a label
// point, and labelMinZoom the first zoom with them (the map names areas from
// zoom 4.5).
const (
	labelMinPixels = 48
	labelMinZoom   = 4
)

// level is a layer generalized for one zoom.
type level struct {
	keep []bool         // by feature position: drawn at this zoom
	geom []orb.Geometry // simplified geometry by position; nil = the original
}

type label struct {
	p    orb.Point
	name string
	grid int // 0: the country's label; 3..5: a grid point for close views
}

// NewSet prepares tiles of the layer in sn. Levels are generalized on first
// use.
func NewSet(sn *layers.Snapshot) *Set {
	s := &Set{sn: sn, fields: Fields}
	if sn.Layer.Kind == layers.KindBasemap {
		s.fields = BasemapFields
		s.labels = countryLabels(sn)
	}
	return s
}

// Valid reports whether z/x/y names a tile.
func Valid(z, x, y int) bool {
	if z < 0 || z > MaxZoom || x < 0 || y < 0 {
		return false
	}
	n := 1 << z
	return x < n && y < n
}

// Encode returns tile z/x/y of the layer as an uncompressed MVT with one
// layer named after it. It is NewSet(sn).Encode: callers serving many tiles
// keep the Set.
func Encode(sn *layers.Snapshot, z, x, y int) ([]byte, error) {
	return NewSet(sn).Encode(z, x, y)
}

// Encode returns tile z/x/y as an uncompressed MVT: one layer named after
// the layer (and for the basemap the label layer), no larger than MaxBytes.
// An empty tile is an empty body.
func (s *Set) Encode(z, x, y int) ([]byte, error) {
	if !Valid(z, x, y) {
		return nil, layers.Errorf(layers.EINVALID, "no tile %d/%d/%d: zoom 0..%d, x and y 0..2^zoom-1", z, x, y, MaxZoom)
	}
	t := maptile.New(uint32(x), uint32(y), maptile.Zoom(z))
	var lv *level
	if z <= GeneralizedZoom {
		lv = s.level(z)
	}
	idx := s.sn.Search(t.Bound(buffer))
	if lv != nil {
		out := idx[:0]
		for _, i := range idx {
			if lv.keep[i] {
				out = append(out, i)
			}
		}
		idx = out
	}
	for cells := grid; ; cells /= 2 {
		b, err := s.encode(t, lv, idx)
		if err != nil {
			return nil, fmt.Errorf("encode tile %d/%d/%d of %s: %w", z, x, y, s.sn.Layer.ID, err)
		}
		if len(b) <= MaxBytes || cells < 2 {
			return b, nil
		}
		// Over the limit even after the level's thinning (a crowd of large
		// features): keep fewer, coarser cells until it fits.
		idx = thin(s.sn, t, idx, cells)
	}
}

func (s *Set) encode(t maptile.Tile, lv *level, idx []int) ([]byte, error) {
	sn := s.sn
	fc := geojson.NewFeatureCollection()
	for _, i := range idx {
		g := sn.Features[i].Geometry
		if lv != nil && lv.geom[i] != nil {
			g = lv.geom[i]
		}
		// Cloned: orb's projection and clipping change geometry in place.
		f := geojson.NewFeature(orb.Clone(g))
		f.ID = sn.Features[i].ID
		f.Properties = geojson.Properties{"id": sn.Features[i].ID, "layer": sn.Layer.ID}
		for _, k := range s.fields {
			if v, ok := sn.Flat[i][k]; ok && v != nil && v != "" {
				f.Properties[k] = v
			}
		}
		if sn.Layer.Kind != layers.KindBasemap {
			from, _ := sn.Flat[i]["valid_from"].(string)
			to, _ := sn.Flat[i]["valid_to"].(string)
			f.Properties["_from"], f.Properties["_to"] = day(from, false), day(to, true)
			// An area wide enough to name gets a point inside it to hang its
			// name on (_label), as the map does for areas it has whole.
			if p, ok := s.areaLabel(t, i); ok {
				l := geojson.NewFeature(p)
				l.ID = f.ID
				l.Properties = f.Properties.Clone()
				l.Properties["_label"] = true
				fc.Append(l)
			}
		}
		fc.Append(f)
	}
	// The layers in a fixed order (mvt.NewLayers ranges over a map), so a
	// tile's bytes, and its ETag, are the same from one start to the next.
	var ls mvt.Layers
	if len(fc.Features) > 0 {
		ls = append(ls, mvt.NewLayer(sn.Layer.ID, fc))
	}
	if lf := s.labelsIn(t); len(lf.Features) > 0 {
		ls = append(ls, mvt.NewLayer(LabelLayer, lf))
	}
	if len(ls) == 0 {
		return []byte{}, nil
	}
	ls.ProjectToTile(t)
	ls.Clip(orb.Bound{Min: orb.Point{-mvt.DefaultExtent * buffer, -mvt.DefaultExtent * buffer},
		Max: orb.Point{mvt.DefaultExtent * (1 + buffer), mvt.DefaultExtent * (1 + buffer)}})
	if lv == nil {
		// Full geometry: simplified below half a pixel of a 512 px tile.
		ls.Simplify(simplify.DouglasPeucker(4))
	}
	ls.RemoveEmpty(1, 1)
	toSpec2(ls)
	return marshal(ls)
}

// Cover lists the tiles of zoom z that bound b covers, within the grid: a
// bound on the antimeridian or the pole reaches past its last column or
// row.
func Cover(b orb.Bound, z int) []maptile.Tile {
	var out []maptile.Tile
	for t := range tilecover.Bound(b, maptile.Zoom(z)) {
		if t.X < 1<<z && t.Y < 1<<z {
			out = append(out, t)
		}
	}
	return out
}

// datePattern is a valid_from or valid_to: a year, a month or a day.
var datePattern = regexp.MustCompile(`^(\d{4})(?:-(\d{2}))?(?:-(\d{2}))?$`)

// day is date s as the number YYYYMMDD the map's date filter compares
// (properties _from and _to): a year or month starts on its first day and
// ends on day 31 of its last month; no date is open (0, 99991231).
func day(s string, end bool) int {
	m := datePattern.FindStringSubmatch(strings.TrimSpace(s))
	if m == nil {
		if end {
			return 99991231
		}
		return 0
	}
	n := func(s string, open int) int {
		if s == "" {
			return open
		}
		v, _ := strconv.Atoi(s)
		return v
	}
	if end {
		return n(m[1], 0)*10000 + n(m[2], 12)*100 + n(m[3], 31)
	}
	return n(m[1], 0)*10000 + n(m[2], 1)*100 + n(m[3], 1)
}

// areaLabel is the label point of feature i when it is an area wide enough
// at t's zoom to be named and the point lies in t.
func (s *Set) areaLabel(t maptile.Tile, i int) (orb.Point, bool) {
	switch s.sn.Features[i].Geometry.(type) {
	case orb.Polygon, orb.MultiPolygon:
	default:
		return orb.Point{}, false
	}
	b := s.sn.Bounds[i]
	if int(t.Z) < labelMinZoom || (b.Max[0]-b.Min[0])/pixelDeg(int(t.Z)) < labelMinPixels {
		return orb.Point{}, false
	}
	v, ok := s.areaLabels.Load(i)
	if !ok {
		if p, found := geo.LabelPoint(s.sn.Features[i].Geometry); found {
			v = p
		} else {
			v = false
		}
		s.areaLabels.Store(i, v)
	}
	p, ok := v.(orb.Point)
	return p, ok && t.Bound().Contains(p)
}

// level returns the layer generalized for zoom z, building it once.
func (s *Set) level(z int) *level {
	e := &s.levels[z]
	e.once.Do(func() { e.l = generalize(s.sn, z) })
	return e.l
}

// pixelDeg is the width of one pixel at zoom z in degrees of longitude.
func pixelDeg(z int) float64 { return 360 / (tilePixels * math.Exp2(float64(z))) }

// mercY is latitude lat in Web Mercator, in degrees-of-longitude units, so
// that pixel sizes along x and y compare.
func mercY(lat float64) float64 {
	lat = max(-85.05112878, min(85.05112878, lat))
	return math.Log(math.Tan(math.Pi/4+lat*math.Pi/360)) * 180 / math.Pi
}

// generalize makes zoom z's level: lines and areas under a pixel become
// points, the rest is simplified to half a pixel, and each crowded cell
// keeps one feature (see rank).
func generalize(sn *layers.Snapshot, z int) *level {
	n := len(sn.Features)
	lv := &level{keep: make([]bool, n), geom: make([]orb.Geometry, n)}
	px := pixelDeg(z)
	world := tilePixels * math.Exp2(float64(z))
	perCell := map[[2]int][]int{}
	basemap := sn.Layer.Kind == layers.KindBasemap
	for i, f := range sn.Features {
		if basemap && sn.Flat[i]["role"] == "place" && z < placeZoom(sn.Flat[i]) {
			continue
		}
		if beyond, _ := sn.Flat[i]["beyond"].(bool); basemap && beyond && sn.Flat[i]["role"] == "country" {
			continue // a country's part beyond the 1:10m extent: the land tiers draw it
		}
		b := sn.Bounds[i]
		switch f.Geometry.(type) {
		case orb.Point, orb.MultiPoint:
		default:
			w := (b.Max[0] - b.Min[0]) / px
			h := (mercY(b.Max[1]) - mercY(b.Min[1])) / px
			if max(w, h) < 1 {
				// Below a pixel: drawn as a point where it is, so a layer of
				// many small areas still shows where they lie.
				lv.geom[i] = b.Center()
				break
			}
			// Half a pixel along y, where Mercator pixels are fewest degrees.
			tol := px / 2 * math.Cos(b.Center()[1]*math.Pi/180)
			g := simplify.DouglasPeucker(tol).Simplify(orb.Clone(f.Geometry))
			if g != nil && countPoints(g) < countPoints(f.Geometry) {
				lv.geom[i] = g
			}
		}
		lv.keep[i] = true
		c := b.Center()
		x := (c[0] + 180) / 360 * world
		y := (180 - mercY(c[1])) / 360 * world
		cell := [2]int{int(x / cellPixels), int(y / cellPixels)}
		perCell[cell] = append(perCell[cell], i)
	}
	for _, idx := range perCell {
		if len(idx) <= crowded {
			continue
		}
		best := idx[0]
		for _, i := range idx[1:] {
			if rank(sn, i, best) < 0 {
				best = i
			}
			lv.keep[i] = false
		}
		lv.keep[idx[0]] = false
		lv.keep[best] = true
	}
	return lv
}

// rank orders two features of a crowded cell, the one it keeps first: the
// larger; among equals (points), a national capital, then a regional one,
// then the more populous (the basemap's places, so that Baku, not one of
// the suburbs around it, stands for its cell); then the first in the
// layer's order.
func rank(sn *layers.Snapshot, a, b int) int {
	if c := cmp.Compare(size(sn, b), size(sn, a)); c != 0 {
		return c
	}
	if c := cmp.Compare(capitalRank(sn.Flat[b]), capitalRank(sn.Flat[a])); c != 0 {
		return c
	}
	if c := cmp.Compare(number(sn.Flat[b], "population"), number(sn.Flat[a], "population")); c != 0 {
		return c
	}
	return cmp.Compare(a, b)
}

// placeZoom is the first zoom whose tiles carry a basemap place: the zoom
// the web map labels it from (mapstyle.js's town tiers: capitals from 3,
// towns of 500,000 and more from 4.5, the rest from 5), so that the first
// view's zoom-4 tiles do not carry some 750 towns it never draws. A place
// beyond the 1:10m extent (beyond: true: a capital, or a town around a cited
// feature far from the region) is carried from 5 whatever its size: the
// first view's tiles stay those of the region.
func placeZoom(props map[string]any) int {
	switch {
	case props["beyond"] == true:
		return 5
	case number(props, "capital") == 1:
		return 3
	case number(props, "population") >= 500_000:
		return 4
	}
	return 5
}

// capitalRank ranks a place by the basemap's capital property (1 national,
// 2 first-level): 2 for a country's capital, 1 for a province's, 0 for any
// other place.
func capitalRank(props map[string]any) int {
	switch number(props, "capital") {
	case 1:
		return 2
	case 2:
		return 1
	}
	return 0
}

// number is a numeric property's value (JSON's float64), 0 when it is
// missing or not a number.
func number(props map[string]any, key string) float64 {
	n, _ := props[key].(float64)
	return n
}

// size is the larger side of feature i's bound, in degrees.
func size(sn *layers.Snapshot, i int) float64 {
	b := sn.Bounds[i]
	return max(b.Max[0]-b.Min[0], b.Max[1]-b.Min[1])
}

// thin keeps, of the features whose bound's centre falls in each of
// cells×cells cells of tile t, the one a crowded cell keeps (see rank).
func thin(sn *layers.Snapshot, t maptile.Tile, idx []int, cells int) []int {
	order := slices.Clone(idx)
	slices.SortFunc(order, func(a, b int) int { return rank(sn, a, b) })
	b := t.Bound()
	w, h := b.Max[0]-b.Min[0], b.Max[1]-b.Min[1]
	seen := make(map[int]struct{}, min(len(idx), cells*cells))
	out := make([]int, 0, min(len(idx), cells*cells))
	for _, i := range order {
		c := sn.Bounds[i].Center()
		cx := int(math.Floor((c[0] - b.Min[0]) / w * float64(cells)))
		cy := int(math.Floor((c[1] - b.Min[1]) / h * float64(cells)))
		cell := (cy+2)*(cells+4) + cx + 2 // cells just outside the tile (the buffer) stay apart
		if _, ok := seen[cell]; ok {
			continue
		}
		seen[cell] = struct{}{}
		out = append(out, i)
	}
	slices.Sort(out)
	return out
}

func countPoints(g orb.Geometry) int {
	switch g := g.(type) {
	case orb.Point:
		return 1
	case orb.MultiPoint:
		return len(g)
	case orb.LineString:
		return len(g)
	case orb.MultiLineString:
		n := 0
		for _, l := range g {
			n += len(l)
		}
		return n
	case orb.Ring:
		return len(g)
	case orb.Polygon:
		n := 0
		for _, r := range g {
			n += len(r)
		}
		return n
	case orb.MultiPolygon:
		n := 0
		for _, p := range g {
			n += countPoints(p)
		}
		return n
	case orb.Collection:
		n := 0
		for _, x := range g {
			n += countPoints(x)
		}
		return n
	}
	return 0
}

// labelStep is the finest grid of country label points, in degrees.
const labelStep = 0.75

// countryLabels places the basemap's country names: a point well inside
// each country large enough to name (over 2 square degrees: Akrotiri,
// Baikonur and the Cyprus buffer zone stay unnamed), and grid points inside
// it for close views.
func countryLabels(sn *layers.Snapshot) []label {
	var out []label
	for i, f := range sn.Features {
		if r, _ := sn.Flat[i]["role"].(string); r != "" && r != "country" {
			continue
		}
		b := sn.Bounds[i]
		if (b.Max[0]-b.Min[0])*(b.Max[1]-b.Min[1]) < 2 {
			continue
		}
		name, _ := sn.Flat[i]["name"].(string)
		// A country's part beyond the 1:10m extent is named on its main
		// part at low zooms, and by its grid in close views (Moscow's).
		if beyond, _ := sn.Flat[i]["beyond"].(bool); !beyond {
			p, ok := geo.LabelPoint(f.Geometry)
			if !ok {
				continue
			}
			out = append(out, label{p: p, name: name})
		}
		for _, pt := range gridInside(f.Geometry, b) {
			gx, gy := int(math.Round(pt[0]/labelStep)), int(math.Round(pt[1]/labelStep))
			level := 5
			switch {
			case gx%4 == 0 && gy%4 == 0:
				level = 3
			case gx%2 == 0 && gy%2 == 0:
				level = 4
			}
			out = append(out, label{p: pt, name: name, grid: level})
		}
	}
	return out
}

// gridInside returns the points of the labelStep grid inside the area g
// (bound b) by the even-odd rule, a row at a time: the row's crossings of
// every edge, sorted, bound the runs inside. Testing each point against
// every edge took 0.15 s for Russia's part beyond the extent (1:50m, its
// bound 360° wide, 5,097 points inside); by rows it takes about 1 ms.
func gridInside(g orb.Geometry, b orb.Bound) []orb.Point {
	var out []orb.Point
	region := geo.RegionOf(g)
	var xs []float64
	for gy := int(math.Ceil(b.Min[1] / labelStep)); float64(gy)*labelStep < b.Max[1]; gy++ {
		y := float64(gy) * labelStep
		xs = xs[:0]
		for _, poly := range region {
			for _, r := range poly {
				for i, j := 0, len(r)-1; i < len(r); j, i = i, i+1 {
					if (r[i][1] > y) != (r[j][1] > y) {
						xs = append(xs, (r[j][0]-r[i][0])*(y-r[i][1])/(r[j][1]-r[i][1])+r[i][0])
					}
				}
			}
		}
		slices.Sort(xs)
		// Inside from xs[k] (included) to xs[k+1] for even k: a point on
		// the row is inside when an odd number of crossings lie strictly to
		// its right, as the even-odd rule counts them.
		for k := 0; k+1 < len(xs); k += 2 {
			for gx := int(math.Ceil(xs[k] / labelStep)); float64(gx)*labelStep < xs[k+1]; gx++ {
				out = append(out, orb.Point{float64(gx) * labelStep, y})
			}
		}
	}
	return out
}

// labelsIn returns the label points in t (with its buffer) that its zoom
// shows: grid level g from zoom g+4, the zoom the map's style shows it at.
func (s *Set) labelsIn(t maptile.Tile) *geojson.FeatureCollection {
	fc := geojson.NewFeatureCollection()
	b := t.Bound(buffer)
	for _, l := range s.labels {
		if (l.grid > 0 && int(t.Z) < l.grid+4) || !b.Contains(l.p) {
			continue
		}
		f := geojson.NewFeature(l.p)
		f.Properties = geojson.Properties{"name": l.name}
		if l.grid > 0 {
			f.Properties["_grid"] = l.grid
		}
		fc.Append(f)
	}
	return fc
}
