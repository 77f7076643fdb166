package bot

import (
	"os"
	"path/filepath"
	"syscall"
	"testing"
)

// BenchmarkDiskFloor is what the disk under the benchmarks allows: a bbolt
// commit writes its pages and fdatasyncs, then writes the meta page and
// fdatasyncs again, so no durable award committed alone can be faster than
// "commit-floor"; "fdatasync" is one page write made durable. Compare the
// writers=1 figures of BenchmarkAward with these, measured in the same run.
func BenchmarkDiskFloor(b *testing.B) {
	f, err := os.Create(filepath.Join(b.TempDir(), "floor"))
	if err != nil {
		b.Fatal(err)
	}
	defer f.Close()
	if err := f.Truncate(16 << 20); err != nil {
		b.Fatal(err)
	}
	_ = f.Sync()
	page := make([]byte, 4096)
	sync := func() {
		if err := syscall.Fdatasync(int(f.Fd())); err != nil {
			b.Fatal(err)
		}
	}
	b.Run("fdatasync", func(b *testing.B) {
		i := 0
		for b.Loop() {
			i++
			_, _ = f.WriteAt(page, int64(1+i%1000)*4096)
			sync()
		}
		b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "commits/s")
	})
	b.Run("commit-floor", func(b *testing.B) {
		i := 0
		for b.Loop() {
			i++
			_, _ = f.WriteAt(page, int64(1+i%1000)*4096)
			sync()
			_, _ = f.WriteAt(page, 0)
			sync()
		}
		b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "commits/s")
	})
}
