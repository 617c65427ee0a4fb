package tiles

import (
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"reflect"
	"slices"
	"strconv"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/encoding/mvt"
	"github.com/paulmach/orb/geojson"
)

// marshal encodes ls as mvt.Marshal does, to the byte, writing the
// protobuf directly: orb builds a message struct per feature and value and
// interns every value through a map of interface values, which was most of
// the CPU of an uncached tile. The key and value tables, the order of
// fields and the geometry commands are orb's, so a tile is the same bytes
// whichever writes it (tested).
func marshal(ls mvt.Layers) ([]byte, error) {
	var w tileWriter
	var out []byte
	for _, l := range ls {
		body, err := w.layer(l)
		if err != nil {
			return nil, err
		}
		out = append(out, 0x1a) // Tile.layers
		out = binary.AppendUvarint(out, uint64(len(body)))
		out = append(out, body...)
	}
	if out == nil {
		out = []byte{}
	}
	return out, nil
}

// tileWriter holds the buffers one tile's layers are written with, reused
// from layer to layer and feature to feature.
type tileWriter struct {
	body, feats, vals, packed []byte
	keys                      []string
	keyIdx                    map[string]uint32
	// Values are interned as orb does (by value and type): a string and a
	// number never share an entry, nor does an int with a float64.
	strIdx   map[string]uint32
	floatIdx map[float64]uint32
	intIdx   map[int]uint32
	boolIdx  [2]int64 // index+1, 0 = not yet
	otherIdx map[any]uint32
	nvals    uint32
	tags     []uint32
	geom     []uint32
	sorted   []string
	props    []rawProp
}

func (w *tileWriter) reset() {
	w.feats, w.vals, w.keys = w.feats[:0], w.vals[:0], w.keys[:0]
	if w.keyIdx == nil {
		w.keyIdx, w.strIdx = map[string]uint32{}, map[string]uint32{}
		w.floatIdx, w.intIdx, w.otherIdx = map[float64]uint32{}, map[int]uint32{}, map[any]uint32{}
	}
	clear(w.keyIdx)
	clear(w.strIdx)
	clear(w.floatIdx)
	clear(w.intIdx)
	clear(w.otherIdx)
	w.boolIdx = [2]int64{}
	w.nvals = 0
}

// layer returns the encoded Tile.Layer message of l (without its own tag
// and length).
func (w *tileWriter) layer(l *mvt.Layer) ([]byte, error) {
	w.reset()
	for _, f := range l.Features {
		if f.Geometry == nil {
			continue
		}
		g := f.Geometry
		if c, ok := g.(orb.Collection); ok {
			if len(c) == 0 {
				return nil, errors.New("geometry collections are not supported")
			}
			g = c[0] // as orb: the first member only
		}
		if err := w.feature(g, f.Properties, f.ID); err != nil {
			return nil, err
		}
	}
	return w.finish(l), nil
}

// finish returns the layer message of l with the features written so far.
func (w *tileWriter) finish(l *mvt.Layer) []byte {
	b := w.body[:0]
	b = appendBytesField(b, 0x0a, l.Name)
	b = append(b, w.feats...)
	for _, k := range w.keys {
		b = appendBytesField(b, 0x1a, k)
	}
	b = append(b, w.vals...)
	b = append(b, 0x28)
	b = binary.AppendUvarint(b, uint64(l.Extent))
	b = append(b, 0x78)
	b = binary.AppendUvarint(b, uint64(l.Version))
	w.body = b
	return b
}

func appendBytesField[T string | []byte](b []byte, tag byte, s T) []byte {
	b = append(b, tag)
	b = binary.AppendUvarint(b, uint64(len(s)))
	return append(b, s...)
}

// feature appends one Tile.Feature message to w.feats.
func (w *tileWriter) feature(g orb.Geometry, props geojson.Properties, id any) error {
	typ, err := w.geometry(g)
	if err != nil {
		return fmt.Errorf("error encoding geometry: %v : %w", g, err)
	}
	w.sorted = w.sorted[:0]
	for k := range props {
		w.sorted = append(w.sorted, k)
	}
	slices.Sort(w.sorted)
	w.tags = w.tags[:0]
	for _, k := range w.sorted {
		vi, err := w.value(props[k])
		if err != nil {
			return fmt.Errorf("error encoding geometry: %v : property %s: %w", g, k, err)
		}
		w.tags = append(w.tags, w.key(k), vi)
	}
	w.message(typ, id)
	return nil
}

// message appends a Tile.Feature message of w.tags and w.geom to w.feats:
// id (1), tags (2, packed), type (3), geometry (4, packed).
func (w *tileWriter) message(typ byte, id any) {
	p := w.packed[:0]
	if n, ok := featureID(id); ok {
		p = append(p, 0x08)
		p = binary.AppendUvarint(p, n)
	}
	p = appendPacked(p, 0x12, w.tags)
	p = append(p, 0x18, typ)
	p = appendPacked(p, 0x22, w.geom)
	w.packed = p
	w.feats = append(w.feats, 0x12)
	w.feats = binary.AppendUvarint(w.feats, uint64(len(p)))
	w.feats = append(w.feats, p...)
}

// appendPacked appends a packed repeated uint32 field (nothing when empty).
func appendPacked(b []byte, tag byte, vs []uint32) []byte {
	if len(vs) == 0 {
		return b
	}
	n := 0
	for _, v := range vs {
		n += uvarintLen(uint64(v))
	}
	b = append(b, tag)
	b = binary.AppendUvarint(b, uint64(n))
	for _, v := range vs {
		b = binary.AppendUvarint(b, uint64(v))
	}
	return b
}

func uvarintLen(v uint64) int {
	n := 1
	for v >= 0x80 {
		v >>= 7
		n++
	}
	return n
}

// featureID is the numeric feature id orb writes: a non-negative integer,
// or a string that parses as one; otherwise none.
func featureID(id any) (uint64, bool) {
	var i int
	switch id := id.(type) {
	case nil:
		return 0, false
	case int:
		i = id
	case int8:
		i = int(id)
	case int16:
		i = int(id)
	case int32:
		i = int(id)
	case int64:
		i = int(id)
	case uint:
		return uint64(id), true
	case uint8:
		return uint64(id), true
	case uint16:
		return uint64(id), true
	case uint32:
		return uint64(id), true
	case uint64:
		return id, true
	case float32:
		i = int(id)
	case float64:
		i = int(id)
	case string:
		n, err := strconv.Atoi(id)
		if err != nil {
			return 0, false
		}
		i = n
	default:
		return 0, false
	}
	if i < 0 {
		return 0, false
	}
	return uint64(i), true
}

func (w *tileWriter) key(k string) uint32 {
	if i, ok := w.keyIdx[k]; ok {
		return i
	}
	i := uint32(len(w.keys))
	w.keys = append(w.keys, k)
	w.keyIdx[k] = i
	return i
}

// value interns v, appending a new Tile.Value message to w.vals.
func (w *tileWriter) value(v any) (uint32, error) {
	switch t := v.(type) {
	case string:
		return w.str(t), nil
	case float64:
		return w.float(t), nil
	case int:
		if i, ok := w.intIdx[t]; ok {
			return i, nil
		}
		i := w.newValue(func(b []byte) []byte { return appendSint(b, int64(t)) })
		w.intIdx[t] = i
		return i, nil
	case bool:
		return w.boolean(t), nil
	}
	// What orb cannot use as a map key (and nil) goes in as its JSON text,
	// sharing the string entries.
	if v == nil || !reflect.TypeOf(v).Comparable() {
		data, err := json.Marshal(v)
		if err != nil {
			return 0, fmt.Errorf("uncomparable: %T", v)
		}
		return w.str(string(data)), nil
	}
	if i, ok := w.otherIdx[v]; ok {
		return i, nil
	}
	enc, err := otherValue(v)
	if err != nil {
		return 0, err
	}
	i := w.newValue(func(b []byte) []byte { return append(b, enc...) })
	w.otherIdx[v] = i
	return i, nil
}

func (w *tileWriter) float(f float64) uint32 {
	if i, ok := w.floatIdx[f]; ok {
		return i
	}
	i := w.newValue(func(b []byte) []byte {
		return binary.LittleEndian.AppendUint64(append(b, 0x19), math.Float64bits(f))
	})
	w.floatIdx[f] = i
	return i
}

func (w *tileWriter) boolean(v bool) uint32 {
	k := 0
	if v {
		k = 1
	}
	if w.boolIdx[k] > 0 {
		return uint32(w.boolIdx[k] - 1)
	}
	i := w.newValue(func(b []byte) []byte { return append(b, 0x38, byte(k)) })
	w.boolIdx[k] = int64(i) + 1
	return i
}

func (w *tileWriter) str(s string) uint32 {
	if i, ok := w.strIdx[s]; ok {
		return i
	}
	i := w.newValue(func(b []byte) []byte { return appendBytesField(b, 0x0a, s) })
	w.strIdx[s] = i
	return i
}

// newValue appends the Tile.Value message enc writes (a Layer.values
// entry) and returns its index.
func (w *tileWriter) newValue(enc func([]byte) []byte) uint32 {
	w.vals = append(w.vals, 0x22, 0) // length patched below (values are short)
	at := len(w.vals)
	w.vals = enc(w.vals)
	n := len(w.vals) - at
	if n < 0x80 {
		w.vals[at-1] = byte(n)
	} else {
		msg := append([]byte(nil), w.vals[at:]...)
		w.vals = binary.AppendUvarint(w.vals[:at-1], uint64(n))
		w.vals = append(w.vals, msg...)
	}
	i := w.nvals
	w.nvals++
	return i
}

func appendSint(b []byte, v int64) []byte {
	return binary.AppendUvarint(append(b, 0x30), uint64(v<<1)^uint64(v>>63))
}

// otherValue is the Tile.Value fields orb writes for the remaining kinds
// of value.
func otherValue(v any) ([]byte, error) {
	switch t := v.(type) {
	case fmt.Stringer:
		return appendBytesField(nil, 0x0a, t.String()), nil
	case int8:
		return appendSint(nil, int64(t)), nil
	case int16:
		return appendSint(nil, int64(t)), nil
	case int32:
		return appendSint(nil, int64(t)), nil
	case int64:
		return appendSint(nil, t), nil
	case uint:
		return binary.AppendUvarint([]byte{0x28}, uint64(t)), nil
	case uint8:
		return binary.AppendUvarint([]byte{0x28}, uint64(t)), nil
	case uint16:
		return binary.AppendUvarint([]byte{0x28}, uint64(t)), nil
	case uint32:
		return binary.AppendUvarint([]byte{0x28}, uint64(t)), nil
	case uint64:
		return binary.AppendUvarint([]byte{0x28}, t), nil
	case float32:
		return binary.LittleEndian.AppendUint32([]byte{0x15}, math.Float32bits(t)), nil
	}
	return nil, fmt.Errorf("unable to encode value of type %T: %v", v, v)
}

// MVT geometry commands and types.
const (
	cmdMoveTo    = 1
	cmdLineTo    = 2
	cmdClosePath = 7

	typePoint      = 1
	typeLineString = 2
	typePolygon    = 3
)

var errEmptyGeometry = errors.New("empty line or ring")

// geometry writes g's commands into w.geom and returns its type.
func (w *tileWriter) geometry(g orb.Geometry) (byte, error) {
	w.geom = w.geom[:0]
	var x, y int32
	points := func(cmd uint32, ps []orb.Point) {
		w.geom = append(w.geom, uint32(len(ps))<<3|cmd)
		for _, p := range ps {
			px, py := int32(p[0]), int32(p[1])
			dx, dy := px-x, py-y
			x, y = px, py
			w.geom = append(w.geom, uint32((dx<<1)^(dx>>31)), uint32((dy<<1)^(dy>>31)))
		}
	}
	line := func(ls []orb.Point) error {
		if len(ls) == 0 {
			return errEmptyGeometry
		}
		points(cmdMoveTo, ls[:1])
		points(cmdLineTo, ls[1:])
		return nil
	}
	ring := func(r orb.Ring) error {
		if len(r) == 0 {
			return errEmptyGeometry
		}
		points(cmdMoveTo, r[:1])
		if r.Closed() {
			points(cmdLineTo, r[1:len(r)-1])
		} else {
			points(cmdLineTo, r[1:])
		}
		w.geom = append(w.geom, 1<<3|cmdClosePath)
		return nil
	}
	switch g := g.(type) {
	case orb.Point:
		points(cmdMoveTo, []orb.Point{g})
		return typePoint, nil
	case orb.MultiPoint:
		points(cmdMoveTo, g)
		return typePoint, nil
	case orb.LineString:
		return typeLineString, line(g)
	case orb.MultiLineString:
		for _, ls := range g {
			if err := line(ls); err != nil {
				return 0, err
			}
		}
		return typeLineString, nil
	case orb.Ring:
		return typePolygon, ring(g)
	case orb.Polygon:
		for _, r := range g {
			if err := ring(r); err != nil {
				return 0, err
			}
		}
		return typePolygon, nil
	case orb.MultiPolygon:
		for _, p := range g {
			for _, r := range p {
				if err := ring(r); err != nil {
					return 0, err
				}
			}
		}
		return typePolygon, nil
	case orb.Bound:
		return w.geometry(g.ToPolygon())
	}
	return 0, fmt.Errorf("geometry type not supported: %T", g)
}
