package tiles

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"math"
	"slices"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/encoding/mvt"
	"github.com/paulmach/orb/geojson"
)

// itemRef is what a feature on its way into a stored layer's tile carries
// as its id: the position of its item, and whether it is the item's label
// point.
type itemRef struct {
	i     int
	label bool
}

// itemLayer returns the layer message of l, whose features carry itemRefs
// into items (see encodeItems). Each feature gets the item's id and tile
// properties, "id" and "layer", and "_label" for a label point: what orb
// writes for the same properties in a map, to the byte (tested).
func (w *tileWriter) itemLayer(l *mvt.Layer, items []item) ([]byte, error) {
	w.reset()
	// Sized for what a crowded tile's feature takes (~100 bytes), so the
	// buffers are not grown and copied again and again.
	w.feats = slices.Grow(w.feats, 128*len(l.Features))
	w.vals = slices.Grow(w.vals, 24*len(l.Features))
	for _, f := range l.Features {
		ref, ok := f.ID.(itemRef)
		if !ok || ref.i < 0 || ref.i >= len(items) {
			return nil, fmt.Errorf("feature %v: not an item of the tile", f.ID)
		}
		it := items[ref.i]
		g := f.Geometry
		if c, ok := g.(orb.Collection); ok && len(c) > 0 {
			g = c[0] // as orb: the first member only
		}
		if g == nil {
			continue
		}
		if it.props != nil || it.raw == nil {
			props := geojson.Properties{}
			for k, v := range it.props {
				props[k] = v
			}
			props["id"], props["layer"] = it.id, l.Name
			if ref.label {
				props["_label"] = true
			}
			if err := w.feature(g, props, it.id); err != nil {
				return nil, err
			}
			continue
		}
		if err := w.rawFeature(g, it.raw, it.id, l.Name, ref.label); err != nil {
			return nil, fmt.Errorf("feature %s: %w", it.id, err)
		}
	}
	return w.finish(l), nil
}

// rawProp is one property of a level record: its key, type tag and value
// bytes as appendProps wrote them, or (tag 'S') a string of the tile's own.
type rawProp struct {
	key []byte
	tag byte
	val []byte
	str string
}

var (
	keyID    = []byte("id")
	keyLayer = []byte("layer")
	keyLabel = []byte("_label")
)

// rawFeature writes a feature of geometry g whose properties are the
// level record's raw ones with id, layer and (for a label point) _label
// set, in key order as orb writes a map.
func (w *tileWriter) rawFeature(g orb.Geometry, raw []byte, id, layer string, label bool) error {
	typ, err := w.geometry(g)
	if err != nil {
		return fmt.Errorf("error encoding geometry: %v : %w", g, err)
	}
	ps := w.props[:0]
	n, k := binary.Uvarint(raw)
	if k <= 0 || n > uint64(len(raw)) {
		return errProps
	}
	b := raw[k:]
	field := func() ([]byte, bool) {
		n, k := binary.Uvarint(b)
		if k <= 0 || uint64(len(b)-k) < n {
			return nil, false
		}
		v := b[k : k+int(n)]
		b = b[k+int(n):]
		return v, true
	}
	for range n {
		key, ok := field()
		if !ok || len(b) == 0 {
			return errProps
		}
		p := rawProp{key: key, tag: b[0]}
		b = b[1:]
		switch p.tag {
		case propString, propJSON:
			if p.val, ok = field(); !ok {
				return errProps
			}
		case propNumber:
			if len(b) < 8 {
				return errProps
			}
			p.val, b = b[:8], b[8:]
		case propTrue, propFalse:
		default:
			return errProps
		}
		// The tile's own keys take the place of the record's.
		if bytes.Equal(key, keyID) || bytes.Equal(key, keyLayer) || (label && bytes.Equal(key, keyLabel)) {
			continue
		}
		ps = append(ps, p)
	}
	if len(b) != 0 {
		return errProps
	}
	ps = append(ps, rawProp{key: keyID, tag: 'S', str: id}, rawProp{key: keyLayer, tag: 'S', str: layer})
	if label {
		ps = append(ps, rawProp{key: keyLabel, tag: propTrue})
	}
	// A handful of keys, most already in order: insertion sort.
	for i := 1; i < len(ps); i++ {
		for j := i; j > 0 && bytes.Compare(ps[j].key, ps[j-1].key) < 0; j-- {
			ps[j], ps[j-1] = ps[j-1], ps[j]
		}
	}
	w.props = ps
	w.tags = w.tags[:0]
	for _, p := range ps {
		ki, ok := w.keyIdx[string(p.key)]
		if !ok {
			ki = w.key(string(p.key))
		}
		var vi uint32
		switch p.tag {
		case 'S':
			vi = w.str(p.str)
		case propString:
			if vi, ok = w.strIdx[string(p.val)]; !ok {
				vi = w.str(string(p.val))
			}
		case propNumber:
			vi = w.float(math.Float64frombits(binary.LittleEndian.Uint64(p.val)))
		case propTrue, propFalse:
			vi = w.boolean(p.tag == propTrue)
		case propJSON:
			var v any
			if err := json.Unmarshal(p.val, &v); err != nil {
				return fmt.Errorf("property %s: %w", p.key, err)
			}
			if vi, err = w.value(v); err != nil {
				return fmt.Errorf("property %s: %w", p.key, err)
			}
		}
		w.tags = append(w.tags, ki, vi)
	}
	w.message(typ, id)
	return nil
}
