package bolt

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/encoding/wkb"
	bbolt "go.etcd.io/bbolt"

	"github.com/citemap/citemap/layers"
)

// Every record is stored under its entity's key followed by the data
// version that wrote it: `part \0 part \0 ... \0 u64be(version)`. Ids are
// slugs (layers.ValidID), so they hold no \0 and an entity's versions sort
// together, oldest first, and entities sort in id order.

const verLen = 8

// prefix is an entity's key without its version: parts joined by \0, and a
// trailing \0.
func prefix(parts ...string) []byte {
	n := 0
	for _, p := range parts {
		n += len(p) + 1
	}
	b := make([]byte, 0, n+verLen)
	for _, p := range parts {
		b = append(b, p...)
		b = append(b, 0)
	}
	return b
}

// vkey is an entity's key at a version.
func vkey(entity []byte, v uint64) []byte {
	k := make([]byte, len(entity)+verLen)
	copy(k, entity)
	binary.BigEndian.PutUint64(k[len(entity):], v)
	return k
}

// split cuts a versioned key into its entity and version.
func split(k []byte) (entity []byte, v uint64, ok bool) {
	if len(k) < verLen+1 || k[len(k)-verLen-1] != 0 {
		return nil, 0, false
	}
	return k[:len(k)-verLen], binary.BigEndian.Uint64(k[len(k)-verLen:]), true
}

// Record values start with a tag: a tombstone says the version removed the
// entity (or, in the citation index, that the feature no longer cites the
// passage).
const (
	tagGone byte = 0
	tagLive byte = 1
)

var tombstone = []byte{tagGone}

func live(val []byte) bool { return len(val) > 0 && val[0] == tagLive }

// lookup returns an entity's record as version at saw it: the value with the
// greatest version <= at, or nil when there is none or it is a tombstone.
// The value is only valid during tx.
func lookup(b *bbolt.Bucket, entity []byte, at uint64) (ver uint64, val []byte) {
	if b == nil {
		return 0, nil
	}
	c := b.Cursor()
	k, _ := c.Seek(vkey(entity, at+1))
	if k == nil {
		k, val = c.Last()
	} else {
		k, val = c.Prev()
	}
	if k == nil || len(k) != len(entity)+verLen || !bytes.HasPrefix(k, entity) {
		return 0, nil
	}
	return binary.BigEndian.Uint64(k[len(entity):]), liveOrNil(val)
}

func liveOrNil(val []byte) []byte {
	if !live(val) {
		return nil
	}
	return val
}

// walk calls fn, in key order, for every entity under pfx as version at saw
// it, skipping those it did not hold. Values are only valid during tx.
func walk(b *bbolt.Bucket, pfx []byte, at uint64, fn func(entity, val []byte) error) error {
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
	for k, val := c.Seek(pfx); k != nil && bytes.HasPrefix(k, pfx); k, val = c.Next() {
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

// firstPart is the first \0-separated part of an entity key.
func firstPart(entity []byte) string {
	i := bytes.IndexByte(entity, 0)
	if i < 0 {
		return string(entity)
	}
	return string(entity[:i])
}

// parts splits an entity key into its parts.
func parts(entity []byte) []string {
	return strings.Split(strings.TrimSuffix(string(entity), "\x00"), "\x00")
}

// A feature record: the tag, then the claims (JSON) and the properties
// (JSON), each behind its length as a uvarint, then the geometry as WKB.
// The claims come first so the claims alone decode without the rest.

// encodeFeature encodes f deterministically: equal features encode equal,
// which is how an import finds what did not change. Claims are ordered by
// passage and aspect, one per pair (the last given wins).
func encodeFeature(f layers.Feature) ([]byte, error) {
	g, err := wkb.Marshal(f.Geometry, binary.LittleEndian)
	if err != nil {
		return nil, fmt.Errorf("feature %s: %w", f.ID, err)
	}
	return encodeFeatureWKB(f, g)
}

// encodeFeatureWKB is encodeFeature given the geometry's WKB (the body
// holds the same bytes).
func encodeFeatureWKB(f layers.Feature, g []byte) ([]byte, error) {
	claims := normalClaims(f.Claims)
	cj, err := json.Marshal(claims)
	if err != nil {
		return nil, fmt.Errorf("feature %s: %w", f.ID, err)
	}
	props := f.Properties
	if props == nil {
		props = map[string]any{}
	}
	var arr [512]byte
	pj, err := appendJSONObject(arr[:0], props)
	if err != nil {
		return nil, fmt.Errorf("feature %s: %w", f.ID, err)
	}
	b := make([]byte, 0, 1+2*binary.MaxVarintLen32+len(cj)+len(pj)+len(g))
	b = append(b, tagLive)
	b = binary.AppendUvarint(b, uint64(len(cj)))
	b = append(b, cj...)
	b = binary.AppendUvarint(b, uint64(len(pj)))
	b = append(b, pj...)
	return append(b, g...), nil
}

// normalClaims orders claims by passage and aspect, keeping the last of
// each pair, with the feature and layer left out (the key holds them).
func normalClaims(cs []layers.Claim) []layers.Claim {
	out := make([]layers.Claim, 0, len(cs))
	for _, c := range cs {
		c.Feature, c.Layer = "", ""
		if i := slices.IndexFunc(out, func(o layers.Claim) bool { return o.Passage == c.Passage && o.Aspect == c.Aspect }); i >= 0 {
			out[i] = c
			continue
		}
		out = append(out, c)
	}
	slices.SortStableFunc(out, func(a, b layers.Claim) int {
		if c := strings.Compare(a.Passage, b.Passage); c != 0 {
			return c
		}
		return strings.Compare(a.Aspect, b.Aspect)
	})
	return out
}

var errCorrupt = errors.New("corrupt feature record")

// featureParts splits a live feature record.
func featureParts(val []byte) (claims, props, geom []byte, err error) {
	if !live(val) {
		return nil, nil, nil, errCorrupt
	}
	rest := val[1:]
	n, k := binary.Uvarint(rest)
	if k <= 0 || uint64(len(rest)-k) < n {
		return nil, nil, nil, errCorrupt
	}
	claims, rest = rest[k:k+int(n)], rest[k+int(n):]
	n, k = binary.Uvarint(rest)
	if k <= 0 || uint64(len(rest)-k) < n {
		return nil, nil, nil, errCorrupt
	}
	return claims, rest[k : k+int(n)], rest[k+int(n):], nil
}

func decodeFeature(layer, id string, val []byte) (layers.Feature, error) {
	cj, pj, g, err := featureParts(val)
	if err != nil {
		return layers.Feature{}, fmt.Errorf("feature %s/%s: %w", layer, id, err)
	}
	f := layers.Feature{ID: id, Layer: layer, Properties: map[string]any{}}
	if err := json.Unmarshal(pj, &f.Properties); err != nil {
		return f, fmt.Errorf("decode feature %s/%s: %w", layer, id, err)
	}
	if f.Properties == nil {
		f.Properties = map[string]any{}
	}
	if f.Geometry, err = wkb.Unmarshal(g); err != nil {
		return f, fmt.Errorf("decode geometry of %s/%s: %w", layer, id, err)
	}
	if f.Claims, err = decodeClaims(layer, id, cj); err != nil {
		return f, err
	}
	return f, nil
}

func decodeClaims(layer, id string, cj []byte) ([]layers.Claim, error) {
	var cs []layers.Claim
	if err := json.Unmarshal(cj, &cs); err != nil {
		return nil, fmt.Errorf("decode claims of %s/%s: %w", layer, id, err)
	}
	if len(cs) == 0 {
		return nil, nil
	}
	for i := range cs {
		cs[i].Layer, cs[i].Feature = layer, id
	}
	return cs, nil
}

// featureClaims decodes only the claims of a feature record.
func featureClaims(layer, id string, val []byte) ([]layers.Claim, error) {
	cj, _, _, err := featureParts(val)
	if err != nil {
		return nil, fmt.Errorf("feature %s/%s: %w", layer, id, err)
	}
	return decodeClaims(layer, id, cj)
}

// featureFacts is what a layer's description sums up of one feature.
type featureFacts struct {
	bound    orb.Bound
	from, to string // valid_from, valid_to
	passages []string
	props    map[string]any // the feature's own, not copied
	geometry orb.Geometry
}

func factsOf(f layers.Feature) featureFacts {
	ff := featureFacts{bound: f.Geometry.Bound(), props: f.Properties, geometry: f.Geometry}
	ff.from, _ = f.Properties["valid_from"].(string)
	ff.to, _ = f.Properties["valid_to"].(string)
	for _, c := range f.Claims {
		if !slices.Contains(ff.passages, c.Passage) {
			ff.passages = append(ff.passages, c.Passage)
		}
	}
	return ff
}

// storedFacts reads the facts of a stored feature record.
func storedFacts(layer, id string, val []byte) (featureFacts, error) {
	f, err := decodeFeature(layer, id, val)
	if err != nil {
		return featureFacts{}, err
	}
	return factsOf(f), nil
}

// putJSON stores v behind the live tag.
func liveJSON(v any) ([]byte, error) {
	b, err := json.Marshal(v)
	if err != nil {
		return nil, err
	}
	return append([]byte{tagLive}, b...), nil
}

func decodeJSON(val []byte, v any) error {
	if !live(val) {
		return errCorrupt
	}
	return json.Unmarshal(val[1:], v)
}
