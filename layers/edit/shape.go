package edit

import (
	"context"
	"fmt"

	"github.com/citemap/citemap/geo"
	"github.com/citemap/citemap/layers"
)

// classTypes names the GeoJSON types of a geometry class, for messages.
var classTypes = map[string]string{
	geo.Points: "Point or MultiPoint",
	geo.Lines:  "LineString or MultiLineString",
	geo.Areas:  "Polygon or MultiPolygon",
}

// layerClass returns the geometry class of a layer's published features
// ("" for an empty layer): a layer holds one (CONVENTIONS 3), the class of
// its first feature as import decides it. It is read once per revision of
// the layer.
func (s *Service) layerClass(ctx context.Context, l layers.Layer) (string, error) {
	if l.Count == 0 {
		return "", nil
	}
	s.classes.Lock()
	defer s.classes.Unlock()
	if c, ok := s.classes.m[l.ID]; ok && c.revision == l.Revision {
		return c.class, nil
	}
	class, err := s.indexedClass(ctx, l)
	if err != nil {
		return "", err
	}
	if class == "" {
		feats, err := s.store.Features(ctx, l.ID)
		if err != nil {
			return "", err
		}
		for _, f := range feats {
			if f.Geometry != nil {
				class = geo.Class(f.Geometry)
				break
			}
		}
	}
	if s.classes.m == nil {
		s.classes.m = map[string]layerClass{}
	}
	s.classes.m[l.ID] = layerClass{revision: l.Revision, class: class}
	return class, nil
}

// indexedClass is the class of layer l's geometry types as the store's
// index keeps them, without decoding a feature: "" when the store keeps no
// index, holds another revision of l, or l mixes classes (then its first
// feature decides, as at import).
func (s *Service) indexedClass(ctx context.Context, l layers.Layer) (string, error) {
	ix, ok := s.store.(layers.Indexed)
	if !ok {
		return "", nil
	}
	class := ""
	err := ix.ReadIndex(ctx, l.ID, func(li layers.LayerIndex) error {
		if li.Layer().Revision == l.Revision {
			types := li.Types()
			class = types.Class()
		}
		return nil
	})
	if err != nil {
		return "", fmt.Errorf("geometry class of %s: %w", l.ID, err)
	}
	return class, nil
}

type layerClass struct{ revision, class string }

// carryClasses keeps the cached classes of layers across a version this
// service has just published into them: every feature it wrote was checked
// against the class, so a large layer is not read again after each
// publish. before holds the layers as they were when checked.
func (s *Service) carryClasses(ctx context.Context, before map[string]layers.Layer) {
	s.classes.Lock()
	defer s.classes.Unlock()
	for id, l := range before {
		c, ok := s.classes.m[id]
		if !ok || c.revision != l.Revision || c.class == "" {
			continue
		}
		after, err := s.store.Layer(ctx, id)
		if err != nil {
			delete(s.classes.m, id)
			continue
		}
		s.classes.m[id] = layerClass{revision: after.Revision, class: c.class}
	}
}

// wrongClass describes f when its geometry is not of class, else "".
func wrongClass(l layers.Layer, class string, f *layers.Feature) string {
	if class == "" || f.Geometry == nil || geo.Class(f.Geometry) == class {
		return ""
	}
	return fmt.Sprintf("layer %s holds %s (%s): this feature is a %s; a layer holds one geometry type",
		l.ID, class, classTypes[class], f.Geometry.GeoJSONType())
}

// countryAreas returns the basemap's country areas, read once per version
// of the basemap layers; nil when there is no basemap (nothing to check
// against, as `check` warns).
func (s *Service) countryAreas(ctx context.Context) (*layers.CountryAreas, error) {
	ls, err := s.store.Layers(ctx)
	if err != nil {
		return nil, err
	}
	key := ""
	var ids []string
	for _, l := range ls {
		if l.Kind == layers.KindBasemap {
			key += l.ID + "@" + l.Revision + ";"
			ids = append(ids, l.ID)
		}
	}
	if len(ids) == 0 {
		return nil, nil
	}
	s.countries.Lock()
	defer s.countries.Unlock()
	if s.countries.areas != nil && s.countries.key == key {
		return s.countries.areas, nil
	}
	var basemap []layers.Feature
	for _, id := range ids {
		fs, err := s.store.Features(ctx, id)
		if err != nil {
			return nil, err
		}
		basemap = append(basemap, fs...)
	}
	s.countries.areas, s.countries.key = layers.NewCountryAreas(basemap), key
	return s.countries.areas, nil
}

// countryProblems checks a feature's `country` property (CONVENTIONS 4):
// every vertex within CountryTolerance of the named basemap countries.
func (s *Service) countryProblems(ctx context.Context, f *layers.Feature) (layers.Problems, error) {
	if _, ok := f.Properties["country"]; !ok {
		return nil, nil
	}
	ca, err := s.countryAreas(ctx)
	if err != nil || ca == nil {
		return nil, err
	}
	return ca.Check(*f, "", f.Layer+"/"+f.ID), nil
}
