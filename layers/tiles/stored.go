package tiles

import (
	"cmp"
	"context"
	"encoding/binary"
	"fmt"
	"math"
	"slices"
	"strings"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/clip"
	"github.com/paulmach/orb/encoding/mvt"
	"github.com/paulmach/orb/encoding/wkb"
	"github.com/paulmach/orb/geojson"
	"github.com/paulmach/orb/maptile"
	"github.com/paulmach/orb/simplify"

	"github.com/citemap/citemap/geo"
	"github.com/citemap/citemap/layers"
)

// A store keeps, for a few zooms (its stored levels), the features a
// generalized level draws: in each crowded 8-pixel cell of that zoom only
// the largest, each simplified to half a pixel of that zoom (or a point
// when under a pixel), with the properties tiles carry. A tile of zoom z up
// to the deepest stored level reads the level at or just below its own
// detail (the first stored zoom >= z) for its bound and thins what it
// finds in the cells of z; deeper tiles read the store's spatial index and
// feature bodies. Nothing reads the whole layer.

// storedLevels are the zooms a store keeps generalized: a level of zoom L
// serves tiles of the zooms after the previous level up to L.
var storedLevels = [...]int{2, 4, 6, 8}

// Levels lists the zooms a store keeps generalized geometry for.
func Levels() []int { return storedLevels[:] }

// LevelOf is the stored level a tile of zoom z reads: the first at or
// deeper than z. ok is false when z is deeper than every stored level.
func LevelOf(z int) (level int, ok bool) {
	for _, l := range storedLevels {
		if l >= z {
			return l, true
		}
	}
	return 0, false
}

// Stored is one layer of one data version as a store keeps it for tiles,
// read inside one read transaction: what it gives is only valid until the
// transaction ends.
type Stored interface {
	layers.LayerIndex
	// Drawn calls fn, in no set order, for each feature stored level l
	// draws whose bound intersects b, with the record Record made, until
	// fn returns false.
	Drawn(l int, b orb.Bound, fn func(id string, bound orb.Bound, rec []byte) bool) error
}

// Store is a reader that keeps generalized levels.
type Store interface {
	// ReadTiles runs fn with layer id of the reader's data version in one
	// read transaction.
	ReadTiles(ctx context.Context, id string, fn func(Stored) error) error
}

// Cell is the thinning cell of zoom z (8 pixels of a 512-pixel tile, in
// Web Mercator) that holds the centre of bound b.
func Cell(z int, b orb.Bound) [2]int {
	world := tilePixels * math.Exp2(float64(z))
	c := b.Center()
	x := (c[0] + 180) / 360 * world
	y := (180 - mercY(c[1])) / 360 * world
	return [2]int{int(x / cellPixels), int(y / cellPixels)}
}

// CellBound is a lon/lat bound that holds cell c of zoom z (a little wider
// than the cell: filter by Cell).
func CellBound(z int, c [2]int) orb.Bound {
	world := tilePixels * math.Exp2(float64(z))
	lon := func(x float64) float64 { return x/world*360 - 180 }
	lat := func(y float64) float64 {
		m := (180 - y/world*360) * math.Pi / 180
		return math.Atan(math.Sinh(m)) * 180 / math.Pi
	}
	x0, y0 := float64(c[0]*cellPixels), float64(c[1]*cellPixels)
	x1, y1 := x0+cellPixels, y0+cellPixels
	e := 1e-9
	return orb.Bound{Min: orb.Point{lon(x0) - e, lat(y1) - e}, Max: orb.Point{lon(x1) + e, lat(y0) + e}}
}

// Member is a feature of a thinning cell.
type Member struct {
	ID    string
	Bound orb.Bound
}

func (m Member) size() float64 {
	return max(m.Bound.Max[0]-m.Bound.Min[0], m.Bound.Max[1]-m.Bound.Min[1])
}

// Kept is what a generalized level draws of one cell's members: all of
// them when the cell is not crowded, else the largest (the first in id
// order among equals).
func Kept(ms []Member) []Member {
	if len(ms) <= crowded {
		return ms
	}
	best := ms[0]
	for _, m := range ms[1:] {
		if s, bs := m.size(), best.size(); s > bs || (s == bs && m.ID < best.ID) {
			best = m
		}
	}
	return []Member{best}
}

// Record encodes what stored level l keeps of feature b of a layer of the
// given kind: the tile properties (see appendProps), the label point of a wide area,
// and the geometry generalized for zoom l (WKB).
func Record(kind string, b layers.Body, l int) ([]byte, error) {
	g, err := wkb.Unmarshal(b.WKB)
	if err != nil {
		return nil, fmt.Errorf("feature %s: %w", b.ID, err)
	}
	props, err := tileProps(kind, b)
	if err != nil {
		return nil, err
	}
	pj, err := appendProps(nil, props)
	if err != nil {
		return nil, fmt.Errorf("feature %s: %w", b.ID, err)
	}
	out := binary.AppendUvarint(nil, uint64(len(pj)))
	out = append(out, pj...)
	// The label point of an area wide enough to be named at a zoom this
	// level serves (the zooms up to l).
	var p orb.Point
	ok := false
	if kind != layers.KindBasemap && (b.Bound.Max[0]-b.Bound.Min[0])/pixelDeg(l) >= labelMinPixels {
		p, ok = geo.LabelPoint(g)
	}
	if ok {
		out = append(out, 1)
		out = binary.LittleEndian.AppendUint64(out, math.Float64bits(p[0]))
		out = binary.LittleEndian.AppendUint64(out, math.Float64bits(p[1]))
	} else {
		out = append(out, 0)
	}
	gb, err := wkb.Marshal(generalizeOne(g, b.Bound, l), binary.LittleEndian)
	if err != nil {
		return nil, fmt.Errorf("feature %s: %w", b.ID, err)
	}
	return append(out, gb...), nil
}

// tileProps are the properties a tile carries of feature b.
func tileProps(kind string, b layers.Body) (geojson.Properties, error) {
	flat, err := unmarshalFlat(b.Properties)
	if err != nil {
		return nil, fmt.Errorf("properties of %s: %w", b.ID, err)
	}
	fields := Fields
	if kind == layers.KindBasemap {
		fields = BasemapFields
	}
	props := geojson.Properties{}
	for _, k := range fields {
		if v, ok := flat[k]; ok && v != nil && v != "" {
			props[k] = v
		}
	}
	if kind != layers.KindBasemap {
		props["_from"], props["_to"] = day(b.From, false), day(b.To, true)
	}
	return props, nil
}

// generalizeOne is geometry g (bound b) as the level of zoom z draws it:
// a point when under a pixel, else simplified to half a pixel.
func generalizeOne(g orb.Geometry, b orb.Bound, z int) orb.Geometry {
	switch g.(type) {
	case orb.Point, orb.MultiPoint:
		return g
	}
	if subPixel(b, z) {
		return b.Center()
	}
	tol := pixelDeg(z) / 2 * math.Cos(b.Center()[1]*math.Pi/180)
	if s := simplify.DouglasPeucker(tol).Simplify(orb.Clone(g)); s != nil && countPoints(s) < countPoints(g) {
		return s
	}
	return g
}

func subPixel(b orb.Bound, z int) bool {
	px := pixelDeg(z)
	w := (b.Max[0] - b.Min[0]) / px
	h := (mercY(b.Max[1]) - mercY(b.Min[1])) / px
	return max(w, h) < 1
}

// item is one feature on its way into a tile.
type item struct {
	id    string
	bound orb.Bound
	geom  orb.Geometry
	props geojson.Properties
	// raw are the properties as a level record holds them (see
	// appendProps), when props is nil: a tile writes them without decoding
	// them into a map. They are valid while the read transaction is.
	raw   []byte
	label *orb.Point
}

// properties are the item's tile properties as a map.
func (it item) properties() (geojson.Properties, error) {
	if it.props != nil || it.raw == nil {
		return it.props, nil
	}
	return decodeProps(it.raw)
}

// EncodeStored returns tile z/x/y of a stored layer as Encode does for a
// Snapshot, reading only what lies in the tile.
func EncodeStored(st Stored, z, x, y int) ([]byte, error) {
	if !Valid(z, x, y) {
		return nil, layers.Errorf(layers.EINVALID, "no tile %d/%d/%d: zoom 0..%d, x and y 0..2^zoom-1", z, x, y, MaxZoom)
	}
	l := st.Layer()
	t := maptile.New(uint32(x), uint32(y), maptile.Zoom(z))
	items, generated, err := collect(st, t.Bound(buffer), z)
	if err != nil {
		return nil, fmt.Errorf("tile %d/%d/%d of %s: %w", z, x, y, l.ID, err)
	}
	for cells := grid; ; cells /= 2 {
		b, err := encodeItems(t, l, items, generated)
		if err != nil {
			return nil, fmt.Errorf("encode tile %d/%d/%d of %s: %w", z, x, y, l.ID, err)
		}
		if len(b) <= MaxBytes || cells < 2 {
			return b, nil
		}
		items = thinItems(t, items, cells)
	}
}

// collect reads the features a tile of zoom z draws inside q: from the
// stored level that serves z, thinned in the cells of z, or from the index
// and bodies below the deepest level. generated is false when the
// geometry is whole (deeper than GeneralizedZoom).
func collect(st Stored, q orb.Bound, z int) (items []item, generated bool, err error) {
	l := st.Layer()
	generated = z <= GeneralizedZoom
	if level, ok := LevelOf(z); ok {
		var derr error
		err := st.Drawn(level, q, func(id string, b orb.Bound, rec []byte) bool {
			it, err := decodeRecord(id, b, rec)
			if err != nil {
				derr = err
				return false
			}
			items = append(items, it)
			return true
		})
		if err = cmp.Or(err, derr); err != nil {
			return nil, false, err
		}
		if level != z {
			items = thinCells(items, z)
		}
		for i := range items {
			if _, pt := items[i].geom.(orb.Point); !pt && subPixel(items[i].bound, z) {
				items[i].geom = items[i].bound.Center()
			}
		}
	} else {
		var ms []Member
		if err := st.Search(q, func(id string, b orb.Bound) bool {
			ms = append(ms, Member{ID: id, Bound: b})
			return true
		}); err != nil {
			return nil, false, err
		}
		if generated {
			ms = thinMembers(ms, z)
		}
		for _, m := range ms {
			b, ok, err := st.Body(m.ID)
			if err != nil {
				return nil, false, err
			}
			if !ok {
				continue
			}
			it, err := bodyItem(l, b, z, generated)
			if err != nil {
				return nil, false, err
			}
			items = append(items, it)
		}
	}
	slices.SortFunc(items, func(a, b item) int { return cmp.Compare(a.id, b.id) })
	return items, generated, nil
}

// View is what a picture of bound b drawn at the detail of zoom z shows of
// a stored layer: the features a tile of zoom z would hold there, with
// their generalized geometry and the properties tiles carry (without the
// tiles' own _from and _to). Only what lies in b is read. The feature with
// id keep, when there is one, is in the view even where a crowded cell
// thins it out: a picture of one feature shows it.
func View(st Stored, b orb.Bound, z int, keep string) ([]layers.Feature, error) {
	z = max(0, min(MaxZoom, z))
	items, generated, err := collect(st, b, z)
	if err != nil {
		return nil, fmt.Errorf("view of %s: %w", st.Layer().ID, err)
	}
	// collect returns the items in id order, which Snapshot.Index relies on.
	i, found := slices.BinarySearchFunc(items, keep, func(it item, id string) int { return cmp.Compare(it.id, id) })
	if keep != "" && !found {
		body, ok, err := st.Body(keep)
		if err != nil {
			return nil, fmt.Errorf("view of %s: %w", st.Layer().ID, err)
		}
		if ok {
			it, err := bodyItem(st.Layer(), body, z, generated)
			if err != nil {
				return nil, fmt.Errorf("view of %s: %w", st.Layer().ID, err)
			}
			items = slices.Insert(items, i, it)
		}
	}
	out := make([]layers.Feature, 0, len(items))
	for _, it := range items {
		all, err := it.properties()
		if err != nil {
			return nil, fmt.Errorf("view of %s: level record of %s: %w", st.Layer().ID, it.id, err)
		}
		props := make(map[string]any, len(all))
		for k, v := range all {
			if !strings.HasPrefix(k, "_") {
				props[k] = v
			}
		}
		out = append(out, layers.Feature{ID: it.id, Layer: st.Layer().ID, Geometry: it.geom, Properties: props})
	}
	return out, nil
}

func decodeRecord(id string, b orb.Bound, rec []byte) (item, error) {
	it := item{id: id, bound: b}
	n, k := binary.Uvarint(rec)
	if k <= 0 || uint64(len(rec)-k) < n+1 {
		return it, fmt.Errorf("level record of %s: corrupt", id)
	}
	it.raw = rec[k : k+int(n)]
	rest := rec[k+int(n):]
	if rest[0] == 1 {
		if len(rest) < 17 {
			return it, fmt.Errorf("level record of %s: corrupt", id)
		}
		p := orb.Point{math.Float64frombits(binary.LittleEndian.Uint64(rest[1:])), math.Float64frombits(binary.LittleEndian.Uint64(rest[9:]))}
		it.label = &p
		rest = rest[17:]
	} else {
		rest = rest[1:]
	}
	g, err := wkb.Unmarshal(rest)
	if err != nil {
		return it, fmt.Errorf("level geometry of %s: %w", id, err)
	}
	it.geom = g
	return it, nil
}

// bodyItem is feature b as a tile of zoom z draws it, from its full
// geometry: generalized for z when generated, else whole (the tile
// simplifies it after projection).
func bodyItem(l layers.Layer, b layers.Body, z int, generated bool) (item, error) {
	it := item{id: b.ID, bound: b.Bound}
	g, err := wkb.Unmarshal(b.WKB)
	if err != nil {
		return it, fmt.Errorf("feature %s: %w", b.ID, err)
	}
	if it.props, err = tileProps(l.Kind, b); err != nil {
		return it, err
	}
	if l.Kind != layers.KindBasemap && z >= labelMinZoom && (b.Bound.Max[0]-b.Bound.Min[0])/pixelDeg(z) >= labelMinPixels {
		if p, ok := geo.LabelPoint(g); ok {
			it.label = &p
		}
	}
	if generated {
		g = generalizeOne(g, b.Bound, z)
	}
	it.geom = g
	return it, nil
}

// thinMembers keeps, in each crowded cell of zoom z, the largest member.
func thinMembers(ms []Member, z int) []Member {
	cells := map[[2]int][]Member{}
	for _, m := range ms {
		c := Cell(z, m.Bound)
		cells[c] = append(cells[c], m)
	}
	out := ms[:0:0]
	for _, c := range cells {
		out = append(out, Kept(c)...)
	}
	return out
}

// thinCells thins items of a deeper level in the cells of zoom z.
func thinCells(items []item, z int) []item {
	ms := make([]Member, len(items))
	pos := make(map[string]int, len(items))
	for i, it := range items {
		ms[i] = Member{ID: it.id, Bound: it.bound}
		pos[it.id] = i
	}
	kept := thinMembers(ms, z)
	out := make([]item, 0, len(kept))
	for _, m := range kept {
		out = append(out, items[pos[m.ID]])
	}
	return out
}

// thinItems keeps the largest item (then the first in id order) whose
// bound's centre falls in each of cells×cells cells of tile t.
func thinItems(t maptile.Tile, items []item, cells int) []item {
	order := slices.Clone(items)
	size := func(it item) float64 {
		return max(it.bound.Max[0]-it.bound.Min[0], it.bound.Max[1]-it.bound.Min[1])
	}
	slices.SortStableFunc(order, func(a, b item) int {
		if c := cmp.Compare(size(b), size(a)); c != 0 {
			return c
		}
		return cmp.Compare(a.id, b.id)
	})
	b := t.Bound()
	w, h := b.Max[0]-b.Min[0], b.Max[1]-b.Min[1]
	seen := map[int]bool{}
	var out []item
	for _, it := range order {
		c := it.bound.Center()
		cx := int(math.Floor((c[0] - b.Min[0]) / w * float64(cells)))
		cy := int(math.Floor((c[1] - b.Min[1]) / h * float64(cells)))
		cell := (cy+2)*(cells+4) + cx + 2
		if seen[cell] {
			continue
		}
		seen[cell] = true
		out = append(out, it)
	}
	slices.SortFunc(out, func(a, b item) int { return cmp.Compare(a.id, b.id) })
	return out
}

// clipInside is l.Clip(box) that leaves alone a point, line or area lying
// wholly inside box, as orb's clipping would give it back (the same points
// in the same order) after copying it four times; most features of a
// crowded tile lie inside.
func clipInside(l *mvt.Layer, box orb.Bound) {
	at := 0
	for _, f := range l.Features {
		g := f.Geometry
		if !wholeInside(box, g) {
			if g = clip.Geometry(box, g); g == nil {
				continue
			}
		}
		f.Geometry = g
		l.Features[at] = f
		at++
	}
	l.Features = l.Features[:at]
}

// wholeInside reports whether g is a point, line or area (without empty
// rings or one-point lines, which clipping drops) whose every point lies in box.
func wholeInside(box orb.Bound, g orb.Geometry) bool {
	in := func(b orb.Bound) bool {
		return b.Min[0] >= box.Min[0] && b.Min[1] >= box.Min[1] && b.Max[0] <= box.Max[0] && b.Max[1] <= box.Max[1]
	}
	switch g := g.(type) {
	case orb.Point:
		return in(g.Bound())
	case orb.LineString:
		return len(g) > 1 && in(g.Bound()) // a single point is no line
	case orb.Polygon:
		for _, r := range g { // every ring: a stray hole is clipped too
			if len(r) == 0 || !in(r.Bound()) {
				return false
			}
		}
		return len(g) > 0
	}
	return false
}

// encodeItems writes items into an MVT tile: the same layer, properties and
// label points Set.encode writes. Each item's geometry is projected and
// clipped by orb; the features carry only the position of their item, from
// which the tile writer takes the properties.
func encodeItems(t maptile.Tile, l layers.Layer, items []item, generalized bool) ([]byte, error) {
	tb := t.Bound()
	labels := 0
	drawsLabel := func(it item) bool {
		return l.Kind != layers.KindBasemap && it.label != nil && int(t.Z) >= labelMinZoom &&
			(it.bound.Max[0]-it.bound.Min[0])/pixelDeg(int(t.Z)) >= labelMinPixels && tb.Contains(*it.label)
	}
	for _, it := range items {
		if drawsLabel(it) {
			labels++
		}
	}
	all := make([]geojson.Feature, 0, len(items)+labels)
	fs := make([]*geojson.Feature, 0, len(items)+labels)
	for i, it := range items {
		if drawsLabel(it) {
			all = append(all, geojson.Feature{Type: "Feature", ID: itemRef{i, true}, Geometry: *it.label})
			fs = append(fs, &all[len(all)-1])
		}
		// Cloned: orb's projection and clipping change geometry in place,
		// and an item is encoded again when the tile must be thinned.
		all = append(all, geojson.Feature{Type: "Feature", ID: itemRef{i, false}, Geometry: orb.Clone(it.geom)})
		fs = append(fs, &all[len(all)-1])
	}
	if len(fs) == 0 {
		return []byte{}, nil
	}
	ls := mvt.Layers{mvt.NewLayer(l.ID, &geojson.FeatureCollection{Features: fs})}
	ls.ProjectToTile(t)
	clipInside(ls[0], orb.Bound{Min: orb.Point{-mvt.DefaultExtent * buffer, -mvt.DefaultExtent * buffer},
		Max: orb.Point{mvt.DefaultExtent * (1 + buffer), mvt.DefaultExtent * (1 + buffer)}})
	if !generalized {
		ls.Simplify(simplify.DouglasPeucker(4))
	}
	ls.RemoveEmpty(1, 1)
	toSpec2(ls)
	var w tileWriter
	body, err := w.itemLayer(ls[0], items)
	if err != nil {
		return nil, err
	}
	out := make([]byte, 0, len(body)+binary.MaxVarintLen64+1)
	out = binary.AppendUvarint(append(out, 0x1a), uint64(len(body)))
	return append(out, body...), nil
}
