package bolt

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/paulmach/orb"
	bbolt "go.etcd.io/bbolt"

	"github.com/citemap/citemap/layers"
)

// bucketNames holds, per layer, each feature's bound and names: a search
// of a layer of a million features read every body, geometry and all (46 s
// for bench's 1M polygons), where the names are a few dozen bytes each.
var bucketNames = []byte("names")

func namesOf(tx *bbolt.Tx, layer string) *bbolt.Bucket {
	return tx.Bucket(bucketNames).Bucket([]byte(layer))
}

// namesValue is a names record: the tag, the bound (4 float64), then the
// feature's name, name_* and aliases as a JSON object (those it has).
func namesValue(f layers.Feature) ([]byte, error) {
	names := map[string]string{}
	for k, v := range f.Properties {
		if s, ok := v.(string); ok && (k == "name" || k == "aliases" || strings.HasPrefix(k, "name_")) {
			names[k] = s
		}
	}
	j, err := json.Marshal(names) // keys sorted: the same names, the same bytes
	if err != nil {
		return nil, fmt.Errorf("names of %s: %w", f.ID, err)
	}
	b := make([]byte, 0, 1+32+len(j))
	b = append(b, tagLive)
	b = putBound(b, f.Geometry.Bound())
	return append(b, j...), nil
}

// putNames stages f's names record unless base holds it unchanged.
func (ch *change) putNames(tx *bbolt.Tx, layer string, ent []byte, f layers.Feature) error {
	val, err := namesValue(f)
	if err != nil {
		return err
	}
	if _, old := lookup(namesOf(tx, layer), ent, ch.base); old != nil && bytes.Equal(old, val) {
		return nil
	}
	ch.put(layer, bucketNames, ent, val)
	return nil
}

// Names implements layers.Named.
func (v view) Names(ctx context.Context, layer string, fn func(feature string, bound orb.Bound, names []byte) error) error {
	return v.read(func(tx *bbolt.Tx, at uint64) error {
		if _, err := layerAt(tx, layer, at); err != nil {
			return err
		}
		n := 0
		return walk(namesOf(tx, layer), nil, at, func(ent, val []byte) error {
			if n++; n%4096 == 0 {
				if err := ctx.Err(); err != nil {
					return err
				}
			}
			if len(val) < 33 {
				return fmt.Errorf("names of %s/%s: corrupt record", layer, firstPart(ent))
			}
			return fn(firstPart(ent), getBound(val[1:33]), val[33:])
		})
	})
}
