package postgres

import (
	"context"
	"strings"
	"testing"

	"jifen"
	"jifen/store"
)

// ScanEntries inside Read passes every entry once, by receiver in byte
// order then id, across the chunks it fetches, and the function it calls
// may read through the same transaction.
func TestScanEntriesInReadCrossesChunks(t *testing.T) {
	t.Parallel()
	s, _ := newStore(t)
	n := 2*sortedChunk + 7
	if _, err := s.pool.Exec(context.Background(), `INSERT INTO entries (kind, at, effective, receiver, points, category, behavior, quantity)
		SELECT 'award', now(), now(), (ARRAY['b', 'B', 'é', 'a', 'z'])[1 + i % 5] || (i % 7), 1 + i % 3, 'teamwork', 'help', i % 2
		FROM generate_series(1, $1) i`, n); err != nil {
		t.Fatal(err)
	}
	var seen int
	var last jifen.Entry
	err := s.Read(context.Background(), func(r store.Reader) error {
		return r.ScanEntries(func(e *jifen.Entry) error {
			if seen > 0 {
				if c := strings.Compare(last.Receiver, e.Receiver); c > 0 || (c == 0 && last.ID >= e.ID) {
					t.Fatalf("entry %d (%s) after %d (%s)", e.ID, e.Receiver, last.ID, last.Receiver)
				}
			}
			if e.Category != "teamwork" || e.Behavior != "help" || e.Points < 1 || e.At.IsZero() || e.Effective.IsZero() {
				t.Fatalf("entry %+v lacks its fields", e)
			}
			if seen%sortedChunk == 0 && r.EntryCount() != n {
				t.Fatal("a read between chunks failed")
			}
			seen++
			last = *e
			return nil
		})
	})
	if err != nil || seen != n {
		t.Fatalf("scanned %d of %d: %v", seen, n, err)
	}
}

// A scan may run inside another scan's callback.
func TestScanEntriesInsideAScan(t *testing.T) {
	t.Parallel()
	s, _ := newStore(t)
	if _, err := s.pool.Exec(context.Background(), `INSERT INTO entries (kind, at, effective, receiver, points)
		SELECT 'award', now(), now(), 'E' || i, 1 FROM generate_series(1, 3) i`); err != nil {
		t.Fatal(err)
	}
	pairs := 0
	err := s.Read(context.Background(), func(r store.Reader) error {
		return r.ScanEntries(func(*jifen.Entry) error {
			return r.ScanEntries(func(*jifen.Entry) error { pairs++; return nil })
		})
	})
	if err != nil || pairs != 9 {
		t.Fatalf("%d pairs, %v; want 9", pairs, err)
	}
}
