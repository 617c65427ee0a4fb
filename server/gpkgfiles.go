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
	"time"
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

// keptGPKG is one layer's kept file and the build under way, if any:
// requests for the same layer wait for one build.
type keptGPKG struct {
	key   string     // what it was built from: revision and address
	path  string     // "" until one is built
	build *gpkgBuild // nil when none is under way
}

// gpkgBuild is a build under way. It is not the request's: it goes on
// when the request that started it gives up (its deadline passed), and
// the next request for the same revision sends its file. A GeoPackage of
// bench's 1M polygons takes longer than a request's 50 s, so built within
// one it could never be downloaded.
type gpkgBuild struct {
	key  string
	done chan struct{} // closed when it ends; err is set before
	err  error
}

// gpkgBuildTimeout bounds one build.
const gpkgBuildTimeout = 15 * time.Minute

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
// given, with a context of its own (see gpkgBuild). A request gives up
// waiting when ctx ends; the build goes on. A file replaced while another
// request sends it stays readable through that request's descriptor.
func (g *gpkgFiles) open(ctx context.Context, layer, key string, build func(ctx context.Context, path string) error) (*os.File, error) {
	for {
		g.mu.Lock()
		k := g.layers[layer]
		if k == nil {
			k = &keptGPKG{}
			g.layers[layer] = k
		}
		if k.path != "" && k.key == key {
			path := k.path
			g.mu.Unlock()
			if f, err := os.Open(path); err == nil {
				return f, nil
			}
			g.mu.Lock()
		}
		b := k.build
		if b == nil {
			b = &gpkgBuild{key: key, done: make(chan struct{})}
			k.build = b
			go g.run(k, layer, b, build)
		}
		g.mu.Unlock()
		select {
		case <-b.done:
		case <-ctx.Done():
			return nil, ctx.Err()
		}
		if b.key != key {
			continue // another revision's build ended: now this one's
		}
		if b.err != nil {
			return nil, b.err
		}
		g.mu.Lock()
		path, kept := k.path, k.key
		g.mu.Unlock()
		if kept == key {
			return os.Open(path)
		}
	}
}

// run builds b's file and keeps it in place of the layer's last one.
func (g *gpkgFiles) run(k *keptGPKG, layer string, b *gpkgBuild, build func(ctx context.Context, path string) error) {
	ctx, cancel := context.WithTimeout(context.Background(), gpkgBuildTimeout)
	defer cancel()
	path, err := g.buildFile(ctx, layer, b.key, build)
	g.mu.Lock()
	if err == nil {
		if k.path != "" && k.path != path {
			_ = os.Remove(k.path) // the last revision's: nothing asks for it now
		}
		k.key, k.path = b.key, path
	}
	k.build = nil
	g.mu.Unlock()
	b.err = err
	close(b.done)
}

// buildFile builds layer's file for key in a folder of its own, then moves
// it to the path it is kept at.
func (g *gpkgFiles) buildFile(ctx context.Context, layer, key string, build func(ctx context.Context, path string) error) (string, error) {
	if err := os.MkdirAll(g.dir, 0o755); err != nil {
		return "", fmt.Errorf("build %s.gpkg: %w", layer, err)
	}
	tmp, err := os.MkdirTemp(g.dir, "build-")
	if err != nil {
		return "", fmt.Errorf("build %s.gpkg: %w", layer, err)
	}
	defer os.RemoveAll(tmp)
	built := filepath.Join(tmp, "layer.gpkg")
	if err := build(ctx, built); err != nil {
		return "", err
	}
	sum := sha256.Sum256([]byte(layer + "\x00" + key))
	path := filepath.Join(g.dir, hex.EncodeToString(sum[:12])+".gpkg")
	if err := os.Rename(built, path); err != nil {
		return "", fmt.Errorf("keep %s.gpkg: %w", layer, err)
	}
	return path, nil
}
