package bolt

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"strings"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/encoding/wkb"
	bbolt "go.etcd.io/bbolt"

	"github.com/citemap/citemap/geo"
	"github.com/citemap/citemap/layers"
)

// What the read path needs is written beside each feature record, under the
// same version, so a query reads only what it touches:
//
//	bodies  one bucket per layer: level, cell, feature \0 v -> the feature's
//	        body (bound, time span, GeoJSON geometry, flat properties,
//	        passages, WKB)
//	ids     one bucket per layer: feature \0 v -> level, cell
//
// The bodies are the spatial index: a loose quadtree over lon/lat flattened
// into keys. A feature is filed at the deepest level (at most maxLevel)
// whose cells are at least twice its size, so its bound lies within a
// quarter cell of its centre. Within a level, entries sort by the Z-order
// of their centre on a fine grid (2^keyRes cells a side, whatever the
// level): a query at a level scans the centres in its box widened by the
// level's reach, as a few key ranges, and reads little more than that.
// The reach is the largest half size of a feature filed at the level, kept
// in the layer's description: at most a quarter cell, often much less
// (polygons 5 km across were filed in cells 39 km wide and 19 km high, and
// a quarter cell widened small boxes four times more than they needed).
// Keying by the level's own cells instead made a query over a small box
// read whole cells, each up to twice the widened box a side, at every
// level: at 1M features most of its pages held nothing it wanted. Features
// near each other sit on the same pages, so a bbox query reads a few runs
// of contiguous pages, whatever the layer's size. The ids bucket finds a
// feature's key from its id. A change rewrites only the entries of the
// features it touches, versioned like every record, so `?v=N` reads the
// index as version N held it.

const maxLevel = 16

// keyRes is the level of the grid whose Z-order sorts a level's entries:
// cells of about 2 m, and 48 bits of Z-order.
const keyRes = 24

var (
	bucketBodies = []byte("bodies")
	bucketIDs    = []byte("ids")
)

// cellKeyLen is the level byte and the Z-order number of the centre's cell
// on the keyRes grid.
const cellKeyLen = 1 + 8

// levelOf is the deepest level whose cells are at least twice b's size.
func levelOf(b orb.Bound) int {
	w, h := b.Max[0]-b.Min[0], b.Max[1]-b.Min[1]
	l := maxLevel
	for l > 0 && (w > cellW(l)/2 || h > cellH(l)/2) {
		l--
	}
	return l
}

func cellW(l int) float64 { return 360 / float64(uint64(1)<<l) }
func cellH(l int) float64 { return 180 / float64(uint64(1)<<l) }

// tileOf is the column and row at level l of lon, lat, clamped to the grid.
func tileOf(l int, lon, lat float64) (x, y uint32) {
	n := float64(uint64(1) << l)
	clamp := func(v float64) uint32 {
		if v != v || v < 0 { // NaN too
			return 0
		}
		if v >= n {
			return uint32(n - 1)
		}
		return uint32(v)
	}
	return clamp(math.Floor((lon + 180) / 360 * n)), clamp(math.Floor((lat + 90) / 180 * n))
}

// zorder interleaves x (even bits) and y (odd bits).
func zorder(x, y uint32) uint64 {
	spread := func(v uint32) uint64 {
		z := uint64(v)
		z = (z | z<<16) & 0x0000FFFF0000FFFF
		z = (z | z<<8) & 0x00FF00FF00FF00FF
		z = (z | z<<4) & 0x0F0F0F0F0F0F0F0F
		z = (z | z<<2) & 0x3333333333333333
		z = (z | z<<1) & 0x5555555555555555
		return z
	}
	return spread(x) | spread(y)<<1
}

// cellOf is the level and Z-order key a feature with bound b is filed
// under.
func cellOf(b orb.Bound) []byte {
	x, y := tileOf(keyRes, (b.Min[0]+b.Max[0])/2, (b.Min[1]+b.Max[1])/2)
	k := make([]byte, 0, cellKeyLen)
	k = append(k, byte(levelOf(b)))
	return binary.BigEndian.AppendUint64(k, zorder(x, y))
}

// bodyEntity is the body entity of feature id filed in cell.
func bodyEntity(cell []byte, id string) []byte {
	k := make([]byte, 0, cellKeyLen+len(id)+1+verLen)
	k = append(k, cell...)
	k = append(k, id...)
	return append(k, 0)
}

// cellEntity is the body entity of feature id with bound b.
func cellEntity(id string, b orb.Bound) []byte { return bodyEntity(cellOf(b), id) }

// An ids record is the live tag and the feature's cell.
func idValue(cell []byte) []byte { return append([]byte{tagLive}, cell...) }

// cellIn reads the cell of a live ids record.
func cellIn(val []byte) ([]byte, bool) {
	if !live(val) || len(val) != 1+cellKeyLen {
		return nil, false
	}
	return val[1:], true
}

// cellRanges lists the Z-order ranges [lo, hi) of the keyRes grid that
// hold the centre of every feature of level l whose bound can intersect q,
// given the layer's reach. Blocks are split until they are an eighth of
// the widened box's span: a few dozen ranges, and a little more scanned
// than needed, filtered by the bound each entry carries.
func cellRanges(l int, q orb.Bound, reach [][2]float64) [][2]uint64 {
	mx, my := widen(l, reach)
	x0, y0 := tileOf(keyRes, q.Min[0]-mx, q.Min[1]-my)
	x1, y1 := tileOf(keyRes, q.Max[0]+mx, q.Max[1]+my)
	span := max(x1-x0, y1-y0) + 1
	stop := uint32(1)
	for stop*16 <= span {
		stop *= 2
	}
	var out [][2]uint64
	var rec func(d int, qx, qy uint32)
	rec = func(d int, qx, qy uint32) {
		s := uint32(1) << (keyRes - d) // the block's side in cells
		bx0, by0 := qx*s, qy*s
		bx1, by1 := bx0+s-1, by0+s-1
		if bx1 < x0 || bx0 > x1 || by1 < y0 || by0 > y1 {
			return
		}
		if s <= stop || (bx0 >= x0 && bx1 <= x1 && by0 >= y0 && by1 <= y1) {
			shift := 2 * uint(keyRes-d)
			lo := zorder(qx, qy) << shift
			hi := (zorder(qx, qy) + 1) << shift
			if n := len(out); n > 0 && out[n-1][1] == lo {
				out[n-1][1] = hi
			} else {
				out = append(out, [2]uint64{lo, hi})
			}
			return
		}
		for _, c := range [4][2]uint32{{0, 0}, {1, 0}, {0, 1}, {1, 1}} {
			rec(d+1, qx*2+c[0], qy*2+c[1])
		}
	}
	rec(0, 0, 0)
	return out
}

// widen is how far a query at level l widens its box: the level's reach,
// or a quarter cell (the most a feature filed there reaches) when the
// reach is not known; a little more, for the rounding of the centres.
func widen(l int, reach [][2]float64) (mx, my float64) {
	mx, my = cellW(l)/4, cellH(l)/4
	if l < len(reach) {
		mx, my = min(mx, reach[l][0]), min(my, reach[l][1])
	}
	return mx*1.0001 + 1e-9, my*1.0001 + 1e-9
}

// scanRanges calls fn with every live entity (and its value as version at
// holds it) of level l whose key, after pre, lies in one of q's ranges
// (cellRanges, with the layer's reach), in key order, until fn returns
// false; it reports whether fn never did. Ranges a few keys apart are
// reached by stepping, not by another descent from the root.
func scanRanges(c *bbolt.Cursor, pre []byte, l int, q orb.Bound, reach [][2]float64, at uint64, fn func(ent, val []byte) bool) bool {
	n := len(pre)
	lo := make([]byte, n+cellKeyLen)
	hi := make([]byte, n+cellKeyLen)
	copy(lo, pre)
	copy(hi, pre)
	lo[n], hi[n] = byte(l), byte(l)
	var k, val []byte
	for _, r := range cellRanges(l, q, reach) {
		binary.BigEndian.PutUint64(lo[n+1:], r[0])
		binary.BigEndian.PutUint64(hi[n+1:], r[1])
		for i := 0; k != nil && bytes.Compare(k, lo) < 0; i++ {
			if i == 8 {
				k = nil // far: seek
				break
			}
			k, val = c.Next()
		}
		if k == nil || bytes.Compare(k, lo) < 0 {
			k, val = c.Seek(lo)
		}
		var cur, curVal []byte
		for ; k != nil && bytes.Compare(k, hi) < 0; k, val = c.Next() {
			ent, v, ok := split(k)
			if !ok || len(ent) <= n+cellKeyLen {
				continue
			}
			if !bytes.Equal(ent, cur) {
				if cur != nil && live(curVal) && !fn(cur, curVal) {
					return false
				}
				cur, curVal = ent, nil
			}
			if v <= at {
				curVal = val
			}
		}
		if cur != nil && live(curVal) && !fn(cur, curVal) {
			return false
		}
		if k == nil {
			return true // past the bucket's last key
		}
	}
	return true
}

func putBound(b []byte, bd orb.Bound) []byte {
	for _, f := range [4]float64{bd.Min[0], bd.Min[1], bd.Max[0], bd.Max[1]} {
		b = binary.BigEndian.AppendUint64(b, math.Float64bits(f))
	}
	return b
}

func getBound(b []byte) orb.Bound {
	f := func(i int) float64 { return math.Float64frombits(binary.BigEndian.Uint64(b[8*i:])) }
	return orb.Bound{Min: orb.Point{f(0), f(1)}, Max: orb.Point{f(2), f(3)}}
}

// A body record: the tag, the bound (4 float64), then from, to, the GeoJSON
// geometry, the flat properties and the passages (";"-joined), each behind
// its length as a uvarint, then the WKB.

// encodeBody encodes what the read path serves of f. sourceOf names each
// passage's source (for source_count).
func encodeBody(f layers.Feature, sourceOf func(passage string) string) ([]byte, error) {
	g, err := wkb.Marshal(f.Geometry, binary.LittleEndian)
	if err != nil {
		return nil, fmt.Errorf("feature %s: %w", f.ID, err)
	}
	return encodeBodyWKB(f, sourceOf, g)
}

// encodeBodyWKB is encodeBody given the geometry's WKB.
func encodeBodyWKB(f layers.Feature, sourceOf func(passage string) string, g []byte) ([]byte, error) {
	ps := make(map[string]string, len(f.Claims))
	for _, c := range f.Claims {
		ps[c.Passage] = sourceOf(c.Passage)
	}
	gf := f.Flat(ps)
	// One scratch buffer for both JSON parts: the body copies them.
	var arr [1024]byte
	props, err := appendJSONObject(arr[:0], gf.Properties)
	if err != nil {
		return nil, fmt.Errorf("encode properties of %s: %w", f.ID, err)
	}
	np := len(props)
	both, err := appendGeoJSONGeometry(props, f.Geometry)
	if err != nil {
		return nil, fmt.Errorf("encode geometry of %s: %w", f.ID, err)
	}
	props, geom := both[:np], both[np:]
	from, _ := f.Properties["valid_from"].(string)
	to, _ := f.Properties["valid_to"].(string)
	passages, _ := gf.Properties["passage_ids"].(string)
	b := make([]byte, 0, 1+32+5*binary.MaxVarintLen32+len(from)+len(to)+len(geom)+len(props)+len(passages)+len(g))
	b = append(b, tagLive)
	b = putBound(b, f.Geometry.Bound())
	b = appendPart(b, from)
	b = appendPart(b, to)
	b = appendPart(b, geom)
	b = appendPart(b, props)
	b = appendPart(b, passages)
	return append(b, g...), nil
}

func appendPart[S string | []byte](b []byte, part S) []byte {
	b = binary.AppendUvarint(b, uint64(len(part)))
	return append(b, part...)
}

// cutParts fills parts with the parts appendPart wrote at the start of b
// and returns what follows them; ok is false when b is cut short.
func cutParts(b []byte, parts [][]byte) (rest []byte, ok bool) {
	for i := range parts {
		n, k := binary.Uvarint(b)
		if k <= 0 || uint64(len(b)-k) < n {
			return nil, false
		}
		parts[i], b = b[k:k+int(n)], b[k+int(n):]
	}
	return b, true
}

// decodeBody splits a live body record; its slices alias val.
func decodeBody(id string, val []byte) (layers.Body, error) {
	body := layers.Body{ID: id}
	if !live(val) || len(val) < 33 {
		return body, errCorrupt
	}
	body.Bound = getBound(val[1:33])
	var parts [5][]byte
	rest, ok := cutParts(val[33:], parts[:])
	if !ok {
		return body, errCorrupt
	}
	body.From, body.To = string(parts[0]), string(parts[1])
	body.Geometry, body.Properties, body.WKB = parts[2], parts[3], rest
	if len(parts[4]) > 0 {
		body.Passages = strings.Split(string(parts[4]), ";")
	}
	return body, nil
}

// bodyBound reads only the bound of a live body record (or level record:
// both start with the tag and the bound).
func bodyBound(val []byte) (orb.Bound, bool) {
	if !live(val) || len(val) < 33 {
		return orb.Bound{}, false
	}
	return getBound(val[1:33]), true
}

// putDerived stages the body of f (its index entry too, body when already
// encoded), written at this version, and, when f is new or moved to another cell, its ids entry.
func (ch *change) putDerived(tx *bbolt.Tx, layer string, f layers.Feature, body []byte) error {
	if body == nil {
		sourceOf := ch.sourceOf
		if sourceOf == nil {
			sourceOf = sourcesAt(tx, ch.base)
		}
		var err error
		if body, err = encodeBody(f, sourceOf); err != nil {
			return err
		}
	}
	ent := prefix(f.ID)
	nc := cellOf(f.Geometry.Bound())
	_, oval := lookup(idsOf(tx, layer), ent, ch.base)
	if oc, ok := cellIn(oval); ok {
		if bytes.Equal(oc, nc) {
			// The attributes are made from the body: the same body, the
			// same attributes.
			if _, old := lookup(bodiesOf(tx, layer), bodyEntity(oc, f.ID), ch.base); bytes.Equal(old, body) {
				return nil
			}
			ch.put(layer, bucketBodies, bodyEntity(nc, f.ID), body)
			return ch.putAttrs(tx, layer, ent, body)
		}
		ch.put(layer, bucketBodies, bodyEntity(oc, f.ID), tombstone)
	}
	ch.put(layer, bucketIDs, ent, idValue(nc))
	ch.put(layer, bucketBodies, bodyEntity(nc, f.ID), body)
	return ch.putAttrs(tx, layer, ent, body)
}

// refreshBody stages feature id's body again when the version's evidence
// changes it (its record unchanged). Runs in the version's last
// transaction, after its features are written.
func (ch *change) refreshBody(tx *bbolt.Tx, layer, id string) error {
	ent := prefix(id)
	_, val := lookup(tx.Bucket(bucketFeatures).Bucket([]byte(layer)), ent, ch.ver)
	if val == nil {
		return nil
	}
	_, cval := lookup(idsOf(tx, layer), ent, ch.ver)
	cell, ok := cellIn(cval)
	if !ok {
		return fmt.Errorf("feature %s/%s has no entry in the spatial index", layer, id)
	}
	f, err := decodeFeature(layer, id, val)
	if err != nil {
		return err
	}
	body, err := encodeBody(f, sourcesAt(tx, ch.ver))
	if err != nil {
		return err
	}
	bent := bodyEntity(cell, id)
	if _, old := lookup(bodiesOf(tx, layer), bent, ch.ver); !bytes.Equal(old, body) {
		ch.put(layer, bucketBodies, bent, body)
		if err := ch.putAttrs(tx, layer, ent, body); err != nil { // source_count is a property
			return err
		}
		return ch.touchLevels(layer, nil, f.Geometry) // tiles carry source_count
	}
	return nil
}

// deleteDerived stages the removal of a feature's body, ids entry and
// attributes.
func (ch *change) deleteDerived(tx *bbolt.Tx, layer, id string) {
	ent := prefix(id)
	_, cval := lookup(idsOf(tx, layer), ent, ch.base)
	cell, ok := cellIn(cval)
	if !ok {
		return
	}
	ch.put(layer, bucketIDs, ent, tombstone)
	ch.put(layer, bucketBodies, bodyEntity(cell, id), tombstone)
	ch.put(layer, bucketAttrs, ent, tombstone)
}

func bodiesOf(tx *bbolt.Tx, layer string) *bbolt.Bucket {
	return tx.Bucket(bucketBodies).Bucket([]byte(layer))
}

func idsOf(tx *bbolt.Tx, layer string) *bbolt.Bucket {
	return tx.Bucket(bucketIDs).Bucket([]byte(layer))
}

// sourcesAt maps a passage to its source as version at holds it.
func sourcesAt(tx *bbolt.Tx, at uint64) func(string) string {
	return func(pid string) string {
		p, err := passageAt(tx, pid, at)
		if err != nil {
			return ""
		}
		return p.Source
	}
}

// ReadIndex runs fn with layer id of this view's version in one read
// transaction.
func (v view) ReadIndex(ctx context.Context, id string, fn func(layers.LayerIndex) error) error {
	return v.read(func(tx *bbolt.Tx, at uint64) error {
		rec, err := layerAt(tx, id, at)
		if err != nil {
			return err
		}
		return fn(&layerIndex{rec: rec, at: at, bodies: bodiesOf(tx, id), ids: idsOf(tx, id), attrs: attrsOf(tx, id)})
	})
}

// layerIndex is one layer of one version inside a read transaction.
type layerIndex struct {
	rec                layerRecord
	at                 uint64
	bodies, ids, attrs *bbolt.Bucket
	// found holds the bodies the transaction's searches passed over (up to
	// maxFound), by id: a bbox query then reads each body once, from the
	// pages the search just read, not through the ids bucket again.
	found map[string][]byte
}

// maxFound bounds the bodies a layerIndex remembers from its searches.
const maxFound = 4096

func (li *layerIndex) Layer() layers.Layer { return li.rec.Layer }

// Queryables maps each flat property of the layer to its JSON type.
func (li *layerIndex) Queryables() map[string]string { return li.rec.Queryables }

// Types are the geometry types of the layer's features.
func (li *layerIndex) Types() geo.TypeSet {
	var ts geo.TypeSet
	for _, t := range li.rec.Types {
		ts.AddName(t)
	}
	return ts
}

func (li *layerIndex) Search(q orb.Bound, fn func(string, orb.Bound) bool) error {
	if li.bodies == nil {
		return nil
	}
	if len(li.found) >= maxFound {
		clear(li.found) // many searches in one transaction: keep the latest
	}
	c := li.bodies.Cursor()
	for l := 0; l <= maxLevel; l++ {
		// An empty level costs one seek.
		if k, _ := c.Seek([]byte{byte(l)}); k == nil || k[0] != byte(l) {
			continue
		}
		ok := scanRanges(c, nil, l, q, li.rec.Reach, li.at, func(ent, val []byte) bool {
			b, ok := bodyBound(val)
			if !ok || !b.Intersects(q) {
				return true
			}
			id := string(ent[cellKeyLen : len(ent)-1])
			if li.found == nil {
				li.found = map[string][]byte{}
			}
			if len(li.found) < maxFound {
				li.found[id] = val
			}
			return fn(id, b)
		})
		if !ok {
			return nil
		}
	}
	return nil
}

func (li *layerIndex) Body(id string) (layers.Body, bool, error) {
	if !layers.ValidID(id) {
		return layers.Body{}, false, nil
	}
	val, ok := li.found[id]
	if !ok {
		_, cval := lookup(li.ids, prefix(id), li.at)
		cell, ok := cellIn(cval)
		if !ok {
			return layers.Body{}, false, nil
		}
		if _, val = lookup(li.bodies, bodyEntity(cell, id), li.at); val == nil {
			return layers.Body{}, false, fmt.Errorf("body of %s/%s: missing from its cell", li.rec.Layer.ID, id)
		}
	}
	b, err := decodeBody(id, val)
	if err != nil {
		return b, false, fmt.Errorf("body of %s/%s: %w", li.rec.Layer.ID, id, err)
	}
	return b, true, nil
}

var errStop = errors.New("stop")

func (li *layerIndex) Scan(from string, fn func(layers.Body) bool) error {
	var start []byte
	if from != "" {
		start = prefix(from)
	}
	err := walkFrom(li.ids, start, li.at, func(ent, cval []byte) error {
		id := firstPart(ent)
		cell, ok := cellIn(cval)
		if !ok {
			return fmt.Errorf("layer %s: feature %s: corrupt ids entry", li.rec.Layer.ID, id)
		}
		_, val := lookup(li.bodies, bodyEntity(cell, id), li.at)
		if val == nil {
			return fmt.Errorf("body of %s/%s: missing from its cell", li.rec.Layer.ID, id)
		}
		b, err := decodeBody(id, val)
		if err != nil {
			return fmt.Errorf("body of %s/%s: %w", li.rec.Layer.ID, ent, err)
		}
		if !fn(b) {
			return errStop
		}
		return nil
	})
	if errors.Is(err, errStop) {
		return nil
	}
	return err
}

// walkFrom is walk over every entity from start on.
func walkFrom(b *bbolt.Bucket, start []byte, at uint64, fn func(entity, val []byte) error) error {
	if b == nil {
		return nil
	}
	c := b.Cursor()
	var cur, curVal []byte
	emit := func() error {
		if cur != nil && live(curVal) {
			return fn(cur, curVal)
		}
		return nil
	}
	for k, val := c.Seek(start); k != nil; k, val = c.Next() {
		ent, v, ok := split(k)
		if !ok {
			continue
		}
		if !bytes.Equal(ent, cur) {
			if err := emit(); err != nil {
				return err
			}
			cur, curVal = ent, nil
		}
		if v <= at {
			curVal = val
		}
	}
	return emit()
}

// checkDerived verifies, at version at, that every feature of every layer
// has the body and the ids entry its record implies, filed in the cell its
// bound implies, and that nothing else is there.
func checkDerived(tx *bbolt.Tx, at uint64) error {
	var errs []error
	report := func(format string, args ...any) {
		if len(errs) < maxProblems {
			errs = append(errs, fmt.Errorf(format, args...))
		}
	}
	sourceOf := sourcesAt(tx, at)
	fb := tx.Bucket(bucketFeatures)
	cites := tx.Bucket(bucketCites)
	cited := 0 // the passages' index entries the features imply
	err := walk(tx.Bucket(bucketLayers), nil, at, func(lent, _ []byte) error {
		layer := firstPart(lent)
		bodies, ids, attrs := bodiesOf(tx, layer), idsOf(tx, layer), attrsOf(tx, layer)
		n := 0
		if err := walk(fb.Bucket([]byte(layer)), nil, at, func(ent, val []byte) error {
			id := firstPart(ent)
			n++
			f, err := decodeFeature(layer, id, val)
			if err != nil {
				return err
			}
			body, err := encodeBody(f, sourceOf)
			if err != nil {
				return err
			}
			cell := cellOf(f.Geometry.Bound())
			if _, cv := lookup(ids, ent, at); !bytes.Equal(cv, idValue(cell)) {
				report("layer %s: feature %s: missing from the spatial index", layer, id)
				return nil
			}
			if _, got := lookup(bodies, bodyEntity(cell, id), at); !bytes.Equal(got, body) {
				report("layer %s: feature %s: its stored body is missing or stale", layer, id)
			}
			av, err := attrsValue(body)
			if err != nil {
				return err
			}
			if _, got := lookup(attrs, ent, at); !bytes.Equal(got, av) {
				report("layer %s: feature %s: its attributes are missing or stale", layer, id)
			}
			for _, p := range factsOf(f).passages {
				cited++
				if _, got := lookup(cites, prefix(p, layer, id), at); !live(got) {
					report("layer %s: feature %s: the passages' index lacks its passage %s", layer, id, p)
				}
			}
			return nil
		}); err != nil {
			return err
		}
		for _, b := range []struct {
			bucket *bbolt.Bucket
			what   string
		}{{ids, "entries in the ids index"}, {attrs, "attributes records"}} {
			m := 0
			if err := walk(b.bucket, nil, at, func([]byte, []byte) error { m++; return nil }); err != nil {
				return err
			}
			if m != n {
				report("layer %s: %d %s for %d features", layer, m, b.what, n)
			}
		}
		// Every body must be the one its feature's ids entry points to.
		return walk(bodies, nil, at, func(ent, _ []byte) error {
			if len(ent) <= cellKeyLen+1 {
				report("layer %s: the spatial index holds a malformed key %q", layer, ent)
				return nil
			}
			id := string(ent[cellKeyLen : len(ent)-1])
			if _, cv := lookup(ids, prefix(id), at); !bytes.Equal(cv, idValue(ent[:cellKeyLen])) {
				report("layer %s: the spatial index holds %q, which no feature implies", layer, id)
			}
			return nil
		})
	})
	if err == nil {
		n := 0
		err = walk(cites, nil, at, func([]byte, []byte) error { n++; return nil })
		if n != cited {
			report("the passages' index holds %d entries for %d citations of a passage by a feature", n, cited)
		}
	}
	return errors.Join(append(errs, err)...)
}

// queryables notes the JSON type of each flat property of f in q: a
// property that is ever a string is a string.
func queryables(q map[string]string, props map[string]any) {
	set := func(k, t string) {
		if q[k] != "string" {
			q[k] = t
		}
	}
	for k, v := range props {
		switch v.(type) {
		case nil:
		case float64, int, int64:
			set(k, "number")
		case bool:
			set(k, "boolean")
		default:
			set(k, "string") // strings, and anything nested, which Flat writes as JSON text
		}
	}
	set("source_count", "number")
	set("passage_ids", "string")
}
