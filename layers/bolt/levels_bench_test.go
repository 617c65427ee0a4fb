package bolt

import (
	"bytes"
	"compress/gzip"
	"context"
	"errors"
	"fmt"
	"os"
	"testing"
	"time"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/maptile"
	bbolt "go.etcd.io/bbolt"

	"github.com/citemap/citemap/layers"
	"github.com/citemap/citemap/layers/tiles"
)

// tileBenchStore is the store and layer the tile benchmarks read:
// CITEMAP_BENCH_DB and CITEMAP_BENCH_LAYER (an existing database, opened
// read-only), or benchSize() polygons imported first.
func tileBenchStore(b *testing.B) (*Store, string) {
	path, layer := os.Getenv("CITEMAP_BENCH_DB"), os.Getenv("CITEMAP_BENCH_LAYER")
	if path == "" || layer == "" {
		return benchStore(b, benchSize()), "synthetic"
	}
	s, err := OpenReadOnly(path, time.Second)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { s.Close() })
	return s, layer
}

// BenchmarkTileZ6 cuts the z6 tile over Yerevan (the Caucasus) uncached:
// "stored" from the levels in the file, in one read transaction;
// "decoded" (up to 250k features) the way tiles were cut before, decoding
// the layer and generalizing it for z6 first, the same run's reference.
func BenchmarkTileZ6(b *testing.B) {
	s, layer := tileBenchStore(b)
	ctx := context.Background()
	tile := maptile.At(orb.Point{44.5, 40.2}, 6)
	l, err := s.Layer(ctx, layer)
	if err != nil {
		b.Fatal(err)
	}
	b.Run("stored", func(b *testing.B) {
		for i := 0; i < b.N; i++ {
			err := s.ReadTiles(ctx, layer, func(st tiles.Stored) error {
				buf, err := tiles.EncodeStored(st, int(tile.Z), int(tile.X), int(tile.Y))
				b.ReportMetric(float64(len(buf)), "bytes")
				return err
			})
			if err != nil {
				b.Fatal(err)
			}
		}
		b.ReportMetric(float64(l.Count), "features")
	})
	// The gzip a fresh tile is sent with, at the levels a server could use:
	// its time beside the encoding's, and the bytes it sends.
	var plain []byte
	if err := s.ReadTiles(ctx, layer, func(st tiles.Stored) error {
		var err error
		plain, err = tiles.EncodeStored(st, int(tile.Z), int(tile.X), int(tile.Y))
		return err
	}); err != nil {
		b.Fatal(err)
	}
	for _, level := range []int{gzip.BestSpeed, 2, 3, gzip.DefaultCompression, gzip.BestCompression} {
		b.Run(fmt.Sprintf("gzip-%d", level), func(b *testing.B) {
			var buf bytes.Buffer
			for i := 0; i < b.N; i++ {
				buf.Reset()
				zw, _ := gzip.NewWriterLevel(&buf, level)
				if _, err := zw.Write(plain); err != nil {
					b.Fatal(err)
				}
				if err := zw.Close(); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(buf.Len()), "bytes")
		})
	}
	if l.Count > 250_000 {
		return
	}
	b.Run("decoded", func(b *testing.B) {
		for i := 0; i < b.N; i++ {
			sn, err := layers.LoadSnapshot(ctx, s, layer)
			if err != nil {
				b.Fatal(err)
			}
			buf, err := tiles.NewSet(sn).Encode(int(tile.Z), int(tile.X), int(tile.Y))
			if err != nil {
				b.Fatal(err)
			}
			b.ReportMetric(float64(len(buf)), "bytes")
		}
	})
}

var errRollback = errors.New("rolled back")

// BenchmarkBuildLevels computes every stored level of the layer from
// nothing, as its first import does (in a transaction rolled back).
func BenchmarkBuildLevels(b *testing.B) {
	if os.Getenv("CITEMAP_BENCH_DB") != "" {
		b.Skip("writes: needs its own store")
	}
	s, layer := tileBenchStore(b)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		var written int
		err := s.db.Update(func(tx *bbolt.Tx) error {
			at := currentVersion(tx)
			ch := newChange(0)
			ch.ver = at
			rec, err := layerAt(tx, layer, at)
			if err != nil {
				return err
			}
			li := &layerIndex{rec: rec, at: at, bodies: bodiesOf(tx, layer), ids: idsOf(tx, layer)}
			world := orb.Bound{Min: orb.Point{-180, -90}, Max: orb.Point{180, 90}}
			var gs []orb.Geometry
			li.Search(world, func(_ string, bd orb.Bound) bool {
				gs = append(gs, bd.ToPolygon())
				return true
			})
			for _, g := range gs {
				if err := ch.touchLevels(layer, nil, g); err != nil {
					return err
				}
			}
			if err := tx.DeleteBucket(bucketLevels); err != nil {
				return err
			}
			if err := ch.writeLevels(tx); err != nil {
				return err
			}
			tx.Bucket(bucketLevels).Bucket([]byte(layer)).ForEach(func(_, _ []byte) error { written++; return nil })
			return errRollback
		})
		if !errors.Is(err, errRollback) {
			b.Fatal(err)
		}
		b.ReportMetric(float64(written), "records")
	}
}
