package store

import (
	"os"
	"path/filepath"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"

	"jifen"
)

// BenchmarkScanIndex walks the receiver index of the store that
// simulate's BenchmarkSimulateYear builds (1,000,000 entries, 5,000
// members) in $JIFEN_BENCH_DIR, and skips when it is not there:
//
//	JIFEN_BENCH_DIR=/tmp/bench go test ./store -run '^$' -bench ScanIndex -benchtime 3x
//
// floor is bbolt's ForEach over the agg bucket with each index record
// decoded and nothing else: the least any scan of the ledger costs (and
// so `jifen rules simulate`). ScanEntries adds the entries it hands out, to
// a callback that does nothing.
func BenchmarkScanIndex(b *testing.B) {
	path := filepath.Join(os.Getenv("JIFEN_BENCH_DIR"), "jifen-simulate-5000-1000000.db")
	if _, err := os.Stat(path); os.Getenv("JIFEN_BENCH_DIR") == "" || err != nil {
		b.Skip("no $JIFEN_BENCH_DIR/jifen-simulate-5000-1000000.db: run simulate's BenchmarkSimulateYear first")
	}
	t0 := time.Now()
	s, err := Open(path, Options{Location: shanghai})
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	b.Logf("open: %v", time.Since(t0))
	b.Run("floor", func(b *testing.B) {
		for b.Loop() {
			n := 0
			err := s.view(func(btx *bolt.Tx) error {
				in := interned{}
				return btx.Bucket(bucketAgg).ForEach(func(k, v []byte) error {
					if isRcvKey(k) {
						if _, ok := decodeRcvIn(v, in); ok {
							n++
						}
					}
					return nil
				})
			})
			if err != nil || n < 1_000_000 {
				b.Fatalf("%d records, %v", n, err)
			}
		}
	})
	b.Run("ScanEntries", func(b *testing.B) {
		for b.Loop() {
			n := 0
			if err := s.ScanEntries(func(*jifen.Entry) error { n++; return nil }); err != nil || n < 1_000_000 {
				b.Fatalf("%d entries, %v", n, err)
			}
		}
	})
}
