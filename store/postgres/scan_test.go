package postgres

import (
	"context"
	"reflect"
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

// ScanEntries decodes what ForEachEntry reads: times before and after
// 2000 to the microsecond, a revoke's reversed entry, quantities, and
// strings in any script.
func TestScanEntriesDecodesEveryField(t *testing.T) {
	t.Parallel()
	s, _ := newStore(t)
	if _, err := s.pool.Exec(context.Background(), `INSERT INTO entries (kind, at, effective, giver, receiver, points, category, behavior, reason, quantity, source)
		VALUES ('award', '2026-03-01 08:00:00.123456+00', '1999-12-31 23:59:59.999999+00', 'g', '员工1', 7, 'teamwork', 'help', 'r', 0, 's'),
		('redeem', '2000-01-01 00:00:00.000001+00', '1970-01-01 00:00:00+00', '', 'B', -30, '', 'mug', '', 3, ''),
		('deduct', '1969-07-20 20:17:40.5+00', '1901-01-01 00:00:00.000001+00', 'g', 'a', -5, 'attendance', 'late', '', 0, '')`); err != nil {
		t.Fatal(err)
	}
	if _, err := s.pool.Exec(context.Background(), `INSERT INTO entries (kind, at, effective, giver, receiver, points, category, behavior, reverses)
		VALUES ('revoke', '2026-03-02 00:00:00+00', '1999-12-31 23:59:59.999999+00', 'admin', '员工1', -7, 'teamwork', 'help', 1)`); err != nil {
		t.Fatal(err)
	}
	var whole, scanned []jifen.Entry
	err := s.Read(context.Background(), func(r store.Reader) error {
		if err := r.ForEachEntry(func(e *jifen.Entry) error {
			e.Reason, e.RuleVersion, e.Approval, e.Source = "", 0, 0, ""
			whole = append(whole, *e)
			return nil
		}); err != nil {
			return err
		}
		return r.ScanEntries(func(e *jifen.Entry) error { scanned = append(scanned, *e); return nil })
	})
	if err != nil {
		t.Fatal(err)
	}
	// By receiver in byte order (B, a, 员工1), then id.
	want := []jifen.Entry{whole[1], whole[2], whole[0], whole[3]}
	if !reflect.DeepEqual(scanned, want) {
		t.Fatalf("ScanEntries gives\n%+v,\nwant\n%+v", scanned, want)
	}
}

// The scan reads the receiver index alone, in its order: no sort of the
// ledger, no visit of the table once vacuum has marked it.
func TestScanEntriesIsAnIndexOnlyScan(t *testing.T) {
	t.Parallel()
	s, _ := newStore(t)
	ctx := context.Background()
	if _, err := s.pool.Exec(ctx, `INSERT INTO entries (kind, at, effective, receiver, points, category, behavior)
		SELECT 'award', now(), now(), 'e' || (i % 500), 1, 'teamwork', 'help' FROM generate_series(1, 20000) i`); err != nil {
		t.Fatal(err)
	}
	if _, err := s.pool.Exec(ctx, "VACUUM ANALYZE entries"); err != nil {
		t.Fatal(err)
	}
	var plan strings.Builder
	rows, err := s.pool.Query(ctx, "EXPLAIN DECLARE c NO SCROLL CURSOR FOR "+scanQuery)
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var line string
		if err := rows.Scan(&line); err != nil {
			t.Fatal(err)
		}
		plan.WriteString(line + "\n")
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(plan.String(), "Index Only Scan using entries_receiver") || strings.Contains(plan.String(), "Sort") {
		t.Fatalf("the scan's plan:\n%s", plan.String())
	}
}
