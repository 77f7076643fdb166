package store

import (
	"context"
	"math"
	"strconv"
	"strings"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"

	"jifen"
)

// A long read (a report or backup over the whole ledger) holds its read
// transaction while the writes go on: they must not wait for it, even
// when they grow the file well past its size at open.
func TestLongReadDoesNotHoldBackWrites(t *testing.T) {
	s := openTest(t, "", shanghai, nil)
	var before int64
	held, release := make(chan struct{}), make(chan struct{})
	readerDone := make(chan error, 1)
	go func() {
		readerDone <- s.view(func(btx *bolt.Tx) error {
			before = btx.Size()
			close(held)
			<-release
			return nil
		})
	}()
	<-held
	reason := strings.Repeat("长", 1000)
	written := make(chan error, 1)
	go func() {
		for range 400 {
			if _, _, err := s.write(context.Background(), "", func(tx *Tx) ([]byte, error) {
				_, err := tx.Append(&jifen.Entry{Kind: jifen.KindAward, Giver: "g", Receiver: "r", Points: 1, Reason: reason})
				return nil, err
			}); err != nil {
				written <- err
				return
			}
		}
		written <- nil
	}()
	select {
	case err := <-written:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(liveness):
		close(release)
		t.Fatal("writes wait for a long read transaction to end")
	}
	close(release)
	if err := <-readerDone; err != nil {
		t.Fatal(err)
	}
	// bbolt's own mapping at open would have been 32 KiB, doubled as the
	// data grew: the writes crossed several remaps.
	var after int64
	_ = s.view(func(btx *bolt.Tx) error { after = btx.Size(); return nil })
	if after < 1<<20 || after < 16*before {
		t.Fatalf("the data grew from %d to %d bytes only: the test crossed no remap", before, after)
	}
}

func TestInitialMapping(t *testing.T) {
	for _, c := range []struct {
		name    string
		size    int64
		goos    string
		intSize int
		want    int64
	}{
		{"a small file gets 1 GiB", 1 << 20, "linux", 64, 1 << 30},
		{"a large file twice its size", 3 << 30, "darwin", 64, 6 << 30},
		{"windows grows the file to the mapping", 1 << 20, "windows", 64, 0},
		{"32-bit gets a smaller floor", 1 << 20, "linux", 32, 256 << 20},
		{"32-bit with a large file leaves it to bbolt", 1 << 30, "linux", 32, 0},
	} {
		if strconv.IntSize == 32 && c.want > math.MaxInt32 {
			continue // a 64-bit case, not representable here
		}
		if got := initialMapping(c.size, c.goos, c.intSize); int64(got) != c.want {
			t.Errorf("%s: %d, want %d", c.name, got, c.want)
		}
	}
}
