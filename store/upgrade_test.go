package store

import (
	"bytes"
	"compress/gzip"
	"encoding/json"
	"errors"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"

	"jifen"
)

// TestUpgradeFromThePreviousSchema opens a store the previous release wrote
// (schema 2: `jifen demo --members 25` on commit 929b69a, then `jifen
// backup`; testdata/schema2-demo.db.gz): it migrates at open, says schema 3,
// verifies clean, and its compact index now carries each entry's giver.
func TestUpgradeFromThePreviousSchema(t *testing.T) {
	path := unpackTestStore(t, "testdata/schema2-demo.db.gz", 2)
	sh, _ := time.LoadLocation("Asia/Shanghai")
	s, err := Open(path, Options{Location: sh})
	if err != nil {
		t.Fatal(err)
	}
	rep, err := s.Verify()
	if err != nil || !rep.OK() {
		t.Fatalf("verify after the upgrade: %v %v", rep.Problems, err)
	}
	if n := s.EntryCount(); n != 1796 {
		t.Errorf("entries %d, want the 1796 the old version wrote", n)
	}
	givers, awards := 0, 0
	if err := s.ScanEntries(func(e *jifen.Entry) error {
		if e.Kind == jifen.KindAward {
			awards++
			if e.Giver != "" {
				givers++
			}
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if awards == 0 || givers != awards {
		t.Errorf("%d of %d awards carry their giver in the index", givers, awards)
	}
	s.Close()
	if v := schemaOf(t, path); v != SchemaVersion {
		t.Errorf("schema %d after the upgrade, want %d", v, SchemaVersion)
	}
}

// TestUpgradeFromSchema3 opens a store schema 3 wrote (`jifen demo
// --members 25` on commit 8e6c97a, then `jifen backup`;
// testdata/schema3-demo.db.gz), whose earned points sat in the members'
// yearly records: it migrates at open, says schema 4, verifies clean (every
// figure in the new records equals its recomputation from the entries, and
// none is left in the old place), and every leaderboard and score equals
// one computed from the entries themselves.
func TestUpgradeFromSchema3(t *testing.T) {
	path := unpackTestStore(t, "testdata/schema3-demo.db.gz", 3)
	old := rawEntries(t, path)
	// Several transactions of the entries' rewrite.
	defer func(n int) { entryMigrationChunk = n }(entryMigrationChunk)
	entryMigrationChunk = 100
	sh, _ := time.LoadLocation("Asia/Shanghai")
	s, err := Open(path, Options{Location: sh})
	if err != nil {
		t.Fatal(err)
	}
	if old[0][0] != '{' {
		t.Fatalf("the test file's entries are not JSON: %q", old[0])
	}
	var ids []uint64
	_ = s.view(func(btx *bolt.Tx) error {
		return btx.Bucket(bucketEntries).ForEach(func(k, v []byte) error {
			var was, is jifen.Entry
			if err := json.Unmarshal(old[len(ids)], &was); err != nil {
				t.Fatal(err)
			}
			if v[0] != entryLayout || decodeEntry(v, &is) != nil || !reflect.DeepEqual(is, was) {
				t.Fatalf("entry %d after the upgrade: %q, want %+v", decodeU64(k), v, was)
			}
			ids = append(ids, decodeU64(k))
			return nil
		})
	})
	if len(ids) != len(old) {
		t.Fatalf("%d entries after the upgrade, %d before", len(ids), len(old))
	}
	rep, err := s.Verify()
	if err != nil || !rep.OK() {
		t.Fatalf("verify after the upgrade: %v %v", rep.Problems, err)
	}
	if rep.Entries == 0 {
		t.Fatal("the test file holds no entries")
	}
	checkBoardsAgainstEntries(t, s)
	s.Close()
	if v := schemaOf(t, path); v != SchemaVersion {
		t.Errorf("schema %d after the upgrade, want %d", v, SchemaVersion)
	}
}

// An upgrade to schema 4 that a crash cut short goes on at the next Open:
// first cut in the middle of the aggregates' rebuild (some entries' effects
// in the new records, the mark saying the last), then with the mark put
// back at the start and a stale figure of the old layout beside the new
// records, and the entries' rewrite cut halfway.
func TestInterruptedSchema4MigrationRunsAgain(t *testing.T) {
	path := unpackTestStore(t, "testdata/schema3-demo.db.gz", 3)
	sh, _ := time.LoadLocation("Asia/Shanghai")
	s, marks := openCutShort(t, path, sh, 5)
	if s != nil {
		s.Close()
		t.Fatal("the rebuild was not cut short: too few entries in the test file")
	}
	checkRebuildSteps(t, marks, 5)
	s, err := Open(path, Options{Location: sh})
	if err != nil {
		t.Fatal(err)
	}
	if rep, err := s.Verify(); err != nil || !rep.OK() {
		t.Fatalf("verify after the resumed rebuild: %v %v", rep.Problems, err)
	}
	checkBoardsAgainstEntries(t, s)
	s.Close()
	// Put the mark back and a stale figure of the old layout beside the
	// new records, as a crash between the two steps would leave them.
	db, err := bolt.Open(path, 0o600, &bolt.Options{Timeout: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	err = db.Update(func(tx *bolt.Tx) error {
		var r record
		r = r.add(subKey(aggTotal, "2026-11", ""), Agg{Net: 999, Plus: 999, Count: 1})
		if err := tx.Bucket(bucketAgg).Put([]byte(recordKey("someone", "2026-11")), r.encode()); err != nil {
			return err
		}
		// The entries' rewrite cut short halfway: the later half still JSON.
		entries := tx.Bucket(bucketEntries)
		n := entries.Stats().KeyN
		var half [][2][]byte
		_ = entries.ForEach(func(k, v []byte) error {
			if decodeU64(k) > uint64(n/2) {
				var e jifen.Entry
				if err := decodeEntry(v, &e); err != nil {
					return err
				}
				raw, _ := json.Marshal(e)
				half = append(half, [2][]byte{bytes.Clone(k), raw})
			}
			return nil
		})
		for _, kv := range half {
			if err := entries.Put(kv[0], kv[1]); err != nil {
				return err
			}
		}
		if err := tx.Bucket(bucketMeta).Put(metaEntriesMigrated, encodeU64(uint64(n/2))); err != nil {
			return err
		}
		return tx.Bucket(bucketMeta).Put(metaAggMigrate, []byte{1})
	})
	db.Close()
	if err != nil {
		t.Fatal(err)
	}
	s, err = Open(path, Options{Location: sh})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if rep, err := s.Verify(); err != nil || !rep.OK() {
		t.Fatalf("verify after the resumed upgrade: %v %v", rep.Problems, err)
	}
	_ = s.view(func(btx *bolt.Tx) error {
		if m := btx.Bucket(bucketMeta).Get(metaEntriesMigrated); m != nil {
			t.Errorf("the mark of the entries' rewrite is still there: %q", m)
		}
		return btx.Bucket(bucketEntries).ForEach(func(k, v []byte) error {
			if v[0] != entryLayout {
				t.Errorf("entry %d is still JSON", decodeU64(k))
			}
			return nil
		})
	})
	checkBoardsAgainstEntries(t, s)
}

// openCutShort opens path with the aggregates' rebuild made to stop (as a
// crash would) after its steps-th transaction that adds entries' effects,
// aggRebuildChunk = 7 entries to a transaction, and returns the store if
// Open went through anyway, and the mark as each transaction left it.
func openCutShort(t *testing.T, path string, loc *time.Location, steps int) (*Store, [][]byte) {
	t.Helper()
	defer func(n int) { aggRebuildChunk = n }(aggRebuildChunk)
	aggRebuildChunk = 7
	var marks [][]byte
	added := 0
	aggRebuildStep = func(db *bolt.DB) error {
		var mark []byte
		_ = db.View(func(btx *bolt.Tx) error {
			mark = bytes.Clone(btx.Bucket(bucketMeta).Get(metaAggMigrate))
			return nil
		})
		marks = append(marks, mark)
		if len(mark) == 9 && mark[0] == aggFromEntries && decodeU64(mark[1:]) > 0 {
			if added++; added == steps {
				return errors.New("cut short")
			}
		}
		return nil
	}
	defer func() { aggRebuildStep = nil }()
	s, err := Open(path, Options{Location: loc})
	if err == nil {
		return s, marks
	}
	if !strings.Contains(err.Error(), "cut short") {
		t.Fatal(err)
	}
	return nil, marks
}

// checkRebuildSteps checks the marks openCutShort saw: the old records
// dropped first, then the entries' effects added, a chunk of entries a
// transaction.
func checkRebuildSteps(t *testing.T, marks [][]byte, steps int) {
	t.Helper()
	var added []uint64
	for i, m := range marks {
		switch {
		case len(m) == 9 && m[0] == aggFromEntries:
			added = append(added, decodeU64(m[1:]))
		case len(added) > 0:
			t.Fatalf("step %d: mark %q after the entries' effects began", i, m)
		}
	}
	if len(added) != steps+1 || added[0] != 0 || len(added) == len(marks) {
		t.Fatalf("marks after each step: %q", marks)
	}
	for i := 1; i < len(added); i++ {
		if added[i] != added[i-1]+7 {
			t.Fatalf("step %d added entries %d to %d, want 7 a step", i, added[i-1], added[i])
		}
	}
}

// checkBoardsAgainstEntries compares every period's ranking (loaded cold)
// and every member's totals with sums of the entries.
func checkBoardsAgainstEntries(t *testing.T, s *Store) {
	t.Helper()
	want := map[string]map[string]int64{} // period → member → net
	periods := map[string]jifen.Period{}
	err := s.ForEachEntry(func(e *jifen.Entry) error {
		if e.Kind == jifen.KindRedeem {
			return nil // spent, not earned
		}
		if o, _, _ := s.Entry(e.Reverses); e.Kind == jifen.KindRevoke && o.Kind == jifen.KindRedeem {
			return nil // a refund
		}
		for _, kind := range jifen.PeriodKinds {
			p := jifen.PeriodOf(kind, e.Effective, s.Location())
			periods[p.Key] = p
			if want[p.Key] == nil {
				want[p.Key] = map[string]int64{}
			}
			want[p.Key][e.Receiver] += e.Points
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	members := s.Members()
	for key, p := range periods {
		s.DropBoards()
		top := s.Top(p, len(members), "")
		for i, st := range top {
			if st.Points != want[key][st.Member.ID] {
				t.Errorf("%s: %s has %d on the board, the entries give %d", key, st.Member.ID, st.Points, want[key][st.Member.ID])
			}
			if i > 0 && st.Points > top[i-1].Points {
				t.Errorf("%s: the board is not sorted at %d", key, i)
			}
		}
		for _, m := range members {
			if got := s.Totals(m.ID, p).Net; got != want[key][m.ID] {
				t.Errorf("%s: %s totals %d, the entries give %d", key, m.ID, got, want[key][m.ID])
			}
		}
	}
}

// rawEntries reads the stored values of the entries, in id order.
func rawEntries(t *testing.T, path string) [][]byte {
	t.Helper()
	db, err := bolt.Open(path, 0o600, &bolt.Options{ReadOnly: true, Timeout: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var out [][]byte
	_ = db.View(func(tx *bolt.Tx) error {
		return tx.Bucket(bucketEntries).ForEach(func(_, v []byte) error {
			out = append(out, bytes.Clone(v))
			return nil
		})
	})
	if len(out) == 0 {
		t.Fatal("no entries in the test file")
	}
	return out
}

// unpackTestStore writes the gzipped store file to a temporary directory
// and checks its schema.
func unpackTestStore(t *testing.T, gz string, schema uint64) string {
	t.Helper()
	in, err := os.Open(gz)
	if err != nil {
		t.Fatal(err)
	}
	defer in.Close()
	zr, err := gzip.NewReader(in)
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "jifen.db")
	out, err := os.OpenFile(path, os.O_CREATE|os.O_WRONLY, 0o600)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := io.Copy(out, zr); err != nil {
		t.Fatal(err)
	}
	out.Close()
	if v := schemaOf(t, path); v != schema {
		t.Fatalf("the test file is schema %d, want %d", v, schema)
	}
	return path
}

func schemaOf(t *testing.T, path string) uint64 {
	t.Helper()
	db, err := bolt.Open(path, 0o600, &bolt.Options{ReadOnly: true, Timeout: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var v uint64
	_ = db.View(func(tx *bolt.Tx) error {
		if b := tx.Bucket(bucketMeta); b != nil {
			v = decodeU64(b.Get([]byte("schema")))
		}
		return nil
	})
	return v
}

// A transaction of the aggregates' rebuild ends its chunk of entries when
// their effects reach aggRebuildRecords records, and the rebuild still
// ends equal to the entries.
func TestRebuildChunkEndsAtTheRecordLimit(t *testing.T) {
	path := unpackTestStore(t, "testdata/schema3-demo.db.gz", 3)
	defer func(n, r int) { aggRebuildChunk, aggRebuildRecords = n, r }(aggRebuildChunk, aggRebuildRecords)
	aggRebuildChunk, aggRebuildRecords = 1_000_000, 10
	var added []uint64
	aggRebuildStep = func(db *bolt.DB) error {
		return db.View(func(btx *bolt.Tx) error {
			if m := btx.Bucket(bucketMeta).Get(metaAggMigrate); len(m) == 9 && m[0] == aggFromEntries {
				added = append(added, decodeU64(m[1:]))
			}
			return nil
		})
	}
	defer func() { aggRebuildStep = nil }()
	sh, _ := time.LoadLocation("Asia/Shanghai")
	s, err := Open(path, Options{Location: sh})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if len(added) < 3 {
		t.Fatalf("the rebuild took %d steps of entries: %v", len(added), added)
	}
	for i := 1; i < len(added); i++ {
		if added[i] <= added[i-1] {
			t.Fatalf("step %d added entries %d to %d", i, added[i-1], added[i])
		}
	}
	if rep, err := s.Verify(); err != nil || !rep.OK() {
		t.Fatalf("verify after the rebuild: %v %v", rep.Problems, err)
	}
	checkBoardsAgainstEntries(t, s)
}
