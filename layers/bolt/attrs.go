package bolt

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"

	bbolt "go.etcd.io/bbolt"

	"github.com/citemap/citemap/layers"
)

// bucketAttrs holds, per layer, each feature's body without its geometry:
// its bound, validity and properties, in id order. A search, a property
// filter, a count or an offset read these instead of the bodies, which are
// filed by cell: over bench's 1M polygons a search that read every body
// took 46 s, a filter hit the 50 s deadline, and an offset of 500000 took
// 23 s, each body a random read of a record mostly geometry.
var bucketAttrs = []byte("attrs")

func attrsOf(tx *bbolt.Tx, layer string) *bbolt.Bucket {
	return tx.Bucket(bucketAttrs).Bucket([]byte(layer))
}

// attrsValue is the attributes record of a body record (see encodeBody):
// the tag, the bound, the validity's two parts, then the properties. It is
// made from the body, so the two cannot disagree.
func attrsValue(body []byte) ([]byte, error) {
	b, err := decodeBody("", body)
	if err != nil {
		return nil, err
	}
	v := make([]byte, 0, 33+2*binary.MaxVarintLen32+len(b.From)+len(b.To)+len(b.Properties))
	v = append(v, body[:33]...)
	v = appendPart(v, b.From)
	v = appendPart(v, b.To)
	return append(v, b.Properties...), nil
}

// decodeAttrs splits a live attributes record; its slices alias val.
func decodeAttrs(id string, val []byte) (layers.Body, error) {
	a := layers.Body{ID: id}
	if !live(val) || len(val) < 33 {
		return a, errCorrupt
	}
	a.Bound = getBound(val[1:33])
	var parts [2][]byte
	rest, ok := cutParts(val[33:], parts[:])
	if !ok {
		return a, errCorrupt
	}
	a.From, a.To, a.Properties = string(parts[0]), string(parts[1]), rest
	return a, nil
}

// putAttrs stages the attributes record of body, feature ent's new body,
// unless base holds it unchanged (a body can change in its geometry alone).
func (ch *change) putAttrs(tx *bbolt.Tx, layer string, ent, body []byte) error {
	val, err := attrsValue(body)
	if err != nil {
		return fmt.Errorf("attributes of %s/%s: %w", layer, firstPart(ent), err)
	}
	if _, old := lookup(attrsOf(tx, layer), ent, ch.base); old != nil && bytes.Equal(old, val) {
		return nil
	}
	ch.put(layer, bucketAttrs, ent, val)
	return nil
}

// Attributes implements layers.LayerIndex.
func (li *layerIndex) Attributes(from string, fn func(layers.Body) bool) error {
	var start []byte
	if from != "" {
		start = prefix(from)
	}
	err := walkFrom(li.attrs, start, li.at, func(ent, val []byte) error {
		a, err := decodeAttrs(firstPart(ent), val)
		if err != nil {
			return fmt.Errorf("attributes of %s/%s: %w", li.rec.Layer.ID, firstPart(ent), err)
		}
		if !fn(a) {
			return errStop
		}
		return nil
	})
	if errors.Is(err, errStop) {
		return nil
	}
	return err
}
