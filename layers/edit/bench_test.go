package edit

import (
	"context"
	"fmt"
	"sync/atomic"
	"testing"

	"github.com/paulmach/orb"

	"github.com/citemap/citemap/layers"
)

// BenchmarkPatch measures draft writes on a real bbolt file (each is on
// disk before it returns): one writer at a time, then 16 at once by four
// editors on features of their own, as bench/write.sh writes. With group
// commit the parallel writes share their fsyncs.
func BenchmarkPatch(b *testing.B) {
	for _, writers := range []int{1, 16} {
		b.Run(fmt.Sprintf("writers=%d", writers), func(b *testing.B) {
			svc, _, ed, _ := newService(b)
			ctx := context.Background()
			var eds []layers.User
			var ids [][]string
			for i := range 4 {
				u := ed
				if i > 0 {
					var err error
					if u, _, err = svc.AddUser(ctx, fmt.Sprintf("bench%d", i), layers.RoleEditor); err != nil {
						b.Fatal(err)
					}
				}
				eds = append(eds, u)
				var mine []string
				for j := range 5 {
					id := fmt.Sprintf("f-%d-%d", i, j)
					if _, err := svc.Create(ctx, u, "bases", cited(id, orb.Point{44 + float64(i)/10, 40 + float64(j)/10}, nil)); err != nil {
						b.Fatal(err)
					}
					mine = append(mine, id)
				}
				ids = append(ids, mine)
			}
			var n atomic.Int64
			b.SetParallelism(writers)
			b.ResetTimer()
			if writers == 1 {
				for i := range b.N {
					patch := fmt.Appendf(nil, `{"properties":{"status":"s%d"}}`, i)
					if _, err := svc.Patch(ctx, eds[i%4], "bases", ids[i%4][i%5], patch, ""); err != nil {
						b.Fatal(err)
					}
				}
				return
			}
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					i := int(n.Add(1))
					patch := fmt.Appendf(nil, `{"properties":{"status":"s%d"}}`, i)
					if _, err := svc.Patch(ctx, eds[i%4], "bases", ids[i%4][i%5], patch, ""); err != nil {
						b.Error(err)
						return
					}
				}
			})
		})
	}
}
