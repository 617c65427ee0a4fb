package server

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"sync"
)

// gpkgFiles keeps, in a folder of its own, the GeoPackage last built for
// each layer too large to keep its downloads in memory, so the next
// request for the same revision (and address) sends the file instead of
// building it again: a GeoPackage of 100,000 polygons took 1.8-2.0 s to
// build, one of a million about ten times that. The folder holds at most
// one file per layer: a new revision's replaces the last one's.
type gpkgFiles struct {
	dir string

	mu     sync.Mutex
	layers map[string]*keptGPKG // by layer id
}

// keptGPKG is one layer's kept file. Its lock (a slot, so that a waiter
// can give up when its request does) is held while the file is looked up
// or built: requests for the same layer wait for one build.
type keptGPKG struct {
	lock chan struct{}
	key  string // what it was built from: revision and address
	path string // "" until one is built
}

// newGPKGFiles takes dir for the kept files (made when the first is
// built) and removes what an earlier run left there: it keeps no record
// of which revision a file holds.
func newGPKGFiles(dir string) (*gpkgFiles, error) {
	entries, err := os.ReadDir(dir) // none yet when it does not exist
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("download folder: %w", err)
	}
	for _, e := range entries {
		if strings.HasSuffix(e.Name(), ".gpkg") || strings.HasPrefix(e.Name(), "build-") {
			if err := os.RemoveAll(filepath.Join(dir, e.Name())); err != nil {
				return nil, fmt.Errorf("download folder: %w", err)
			}
		}
	}
	return &gpkgFiles{dir: dir, layers: map[string]*keptGPKG{}}, nil
}

// open returns layer's GeoPackage for key, open at its start: the kept
// file when it was built for key, else one build writes at the path it is
// given. A file replaced while another request sends it stays readable
// through that request's descriptor.
func (g *gpkgFiles) open(ctx context.Context, layer, key string, build func(ctx context.Context, path string) error) (*os.File, error) {
	g.mu.Lock()
	k := g.layers[layer]
	if k == nil {
		k = &keptGPKG{lock: make(chan struct{}, 1)}
		g.layers[layer] = k
	}
	g.mu.Unlock()

	select {
	case k.lock <- struct{}{}:
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	defer func() { <-k.lock }()
	if k.path != "" && k.key == key {
		if f, err := os.Open(k.path); err == nil {
			return f, nil
		}
	}
	if err := os.MkdirAll(g.dir, 0o755); err != nil {
		return nil, fmt.Errorf("build %s.gpkg: %w", layer, err)
	}
	tmp, err := os.MkdirTemp(g.dir, "build-")
	if err != nil {
		return nil, fmt.Errorf("build %s.gpkg: %w", layer, err)
	}
	defer os.RemoveAll(tmp)
	built := filepath.Join(tmp, "layer.gpkg")
	if err := build(ctx, built); err != nil {
		return nil, err
	}
	sum := sha256.Sum256([]byte(layer + "\x00" + key))
	path := filepath.Join(g.dir, hex.EncodeToString(sum[:12])+".gpkg")
	if err := os.Rename(built, path); err != nil {
		return nil, fmt.Errorf("keep %s.gpkg: %w", layer, err)
	}
	if k.path != "" && k.path != path {
		_ = os.Remove(k.path) // the last revision's: nothing asks for it now
	}
	k.key, k.path = key, path
	return os.Open(path)
}
