package store

import (
	"context"
	"encoding/binary"
	"encoding/json"
	"maps"
	"path/filepath"
	"strings"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"

	"jifen"
)

// encodeRcvLayout1 is the receiver index record as schema 2 wrote it.
func encodeRcvLayout1(e *jifen.Entry) []byte {
	b := make([]byte, 0, 32)
	b = binary.AppendUvarint(b, uint64(len(e.Kind)))
	b = append(b, e.Kind...)
	b = binary.AppendVarint(b, e.At.UnixMilli())
	b = binary.AppendVarint(b, e.Effective.UnixMilli())
	b = binary.AppendVarint(b, e.Points)
	b = binary.AppendVarint(b, e.Quantity)
	b = binary.AppendUvarint(b, uint64(len(e.Category)))
	b = append(b, e.Category...)
	b = append(b, e.Behavior...)
	return b
}

// schema2File writes a ledger of every kind of entry (awards and
// deductions by two givers, thanks, an import without giver, a redemption,
// revokes) and turns the file into what schema 2 left: every receiver
// index record in the first layout, schema version 2.
func schema2File(t *testing.T) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "jifen.db")
	clock := &testClock{t: time.Date(2026, 3, 2, 1, 0, 0, 0, time.UTC)}
	s, err := Open(path, Options{Location: shanghai, Clock: clock})
	if err != nil {
		t.Fatal(err)
	}
	ms := members(5)
	ms[0].Role = jifen.RoleManager
	if err := s.SyncMembers(context.Background(), ms); err != nil {
		t.Fatal(err)
	}
	var ids []uint64
	for i := range 24 {
		clock.Set(clock.Now().Add(7 * time.Hour))
		e := jifen.Entry{Kind: jifen.KindAward, Giver: "m000", Receiver: ms[1+i%4].ID, Points: int64(10 + i), Category: "sales", Behavior: "deal"}
		switch i % 6 {
		case 1:
			e.Kind, e.Points, e.Category, e.Behavior = jifen.KindDeduct, -5, "attendance", "late"
		case 2:
			e.Kind, e.Giver, e.Points, e.Category, e.Behavior = jifen.KindThanks, ms[1+(i+1)%4].ID, 3, "team", "thanks"
		case 3:
			e.Kind, e.Giver, e.Effective, e.Category, e.Behavior = jifen.KindImport, "", time.Date(2025, 12, 1, 0, 0, 0, 0, time.UTC), "", ""
		}
		ids = append(ids, appendEntry(t, s, e))
	}
	appendEntry(t, s, jifen.Entry{Kind: jifen.KindRedeem, Receiver: "m002", Points: -10, Behavior: RewardBehavior("mug"), Quantity: 2})
	appendEntry(t, s, jifen.Entry{Kind: jifen.KindRevoke, Giver: "m000", Reverses: ids[6]})
	appendEntry(t, s, jifen.Entry{Kind: jifen.KindRevoke, Giver: "m000", Reverses: ids[8]})
	s.Close()
	db, err := bolt.Open(path, 0o600, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	err = db.Update(func(btx *bolt.Tx) error {
		var all []jifen.Entry
		err := btx.Bucket(bucketEntries).ForEach(func(_, v []byte) error {
			var e jifen.Entry
			if err := decodeEntry(v, &e); err != nil {
				return err
			}
			all = append(all, e)
			return nil
		})
		if err != nil {
			return err
		}
		// Schema 2 stored the entries as JSON.
		for _, e := range all {
			raw, err := json.Marshal(e)
			if err != nil {
				return err
			}
			if err := btx.Bucket(bucketEntries).Put(encodeU64(e.ID), raw); err != nil {
				return err
			}
			if err := btx.Bucket(bucketAgg).Put(rcvKey(e.Receiver, e.ID), encodeRcvLayout1(&e)); err != nil {
				return err
			}
		}
		return btx.Bucket(bucketMeta).Put([]byte("schema"), encodeU64(2))
	})
	if err != nil {
		t.Fatal(err)
	}
	return path
}

// entryFact is what ScanEntries promises of an entry.
type entryFact struct {
	id, reverses              uint64
	kind                      jifen.EntryKind
	giver, receiver, cat, beh string
	points, qty               int64
	at, effective             int64
}

func entryFacts(t *testing.T, scan func(func(*jifen.Entry) error) error) map[entryFact]int {
	t.Helper()
	out := map[entryFact]int{}
	if err := scan(func(e *jifen.Entry) error {
		out[entryFact{e.ID, e.Reverses, e.Kind, e.Giver, e.Receiver, e.Category, e.Behavior, e.Points, e.Quantity, e.At.UnixMilli(), e.Effective.UnixMilli()}]++
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	return out
}

// checkMigrated checks a store opened on a schema 2 file: schema 3, no
// mark left, every index record in the second layout, the scan giving
// what the entries hold (givers and reverses too), Verify clean.
func checkMigrated(t *testing.T, s *Store) {
	t.Helper()
	err := s.view(func(btx *bolt.Tx) error {
		meta := btx.Bucket(bucketMeta)
		if v := decodeU64(meta.Get([]byte("schema"))); v != SchemaVersion || meta.Get(metaRcvMigrated) != nil {
			t.Errorf("schema %d, mark %q", v, meta.Get(metaRcvMigrated))
		}
		return btx.Bucket(bucketAgg).ForEach(func(k, v []byte) error {
			if isRcvKey(k) && v[0] != rcvLayout2 {
				t.Errorf("record %s is still in the first layout", printable(k))
			}
			return nil
		})
	})
	if err != nil {
		t.Fatal(err)
	}
	full, fast := entryFacts(t, s.ForEachEntry), entryFacts(t, s.ScanEntries)
	if len(full) != 27 || !maps.Equal(full, fast) {
		t.Errorf("ledger %v\nindex  %v", full, fast)
	}
	revokes := 0
	for f := range fast {
		if f.kind == jifen.KindRevoke && f.reverses != 0 && f.giver == "m000" {
			revokes++
		}
	}
	if revokes != 2 {
		t.Errorf("%d revokes with their giver and reversed id in the scan, want 2", revokes)
	}
	verifyClean(t, s)
}

// A schema 2 file has the receiver index in the first layout, without
// givers and reversed ids: opening it rewrites every record from its
// entry, a few to a transaction.
func TestSchema2ReceiverIndexIsMigrated(t *testing.T) {
	path := schema2File(t)
	defer func(n int) { rcvMigrationChunk = n }(rcvMigrationChunk)
	rcvMigrationChunk = 4
	s := openTest(t, path, shanghai, nil)
	checkMigrated(t, s)
}

// A migration a crash cut short leaves a file of both layouts, already
// schema 3 (an older jifen refuses it), with the mark of how far it went:
// it reads, and the next Open finishes the migration.
func TestInterruptedReceiverIndexMigrationResumes(t *testing.T) {
	path := schema2File(t)
	db, err := bolt.Open(path, 0o600, nil)
	if err != nil {
		t.Fatal(err)
	}
	// What Open commits first, then one chunk, then the crash.
	err = db.Update(func(btx *bolt.Tx) error {
		if err := btx.Bucket(bucketMeta).Put(metaRcvMigrated, []byte{0}); err != nil {
			return err
		}
		return btx.Bucket(bucketMeta).Put([]byte("schema"), encodeU64(3))
	})
	if err != nil {
		t.Fatal(err)
	}
	var n int
	err = db.Update(func(btx *bolt.Tx) error {
		g, err := readEntryGivers(btx, func() {})
		if err != nil {
			return err
		}
		var done bool
		n, done, err = migrateRcvChunk(btx, g, 10)
		if done {
			t.Error("10 of 27 records migrated and done")
		}
		return err
	})
	if err != nil || n != 10 {
		t.Fatalf("first chunk: %d records, %v", n, err)
	}
	layouts := map[bool]int{}
	err = db.View(func(btx *bolt.Tx) error {
		if meta := btx.Bucket(bucketMeta); decodeU64(meta.Get([]byte("schema"))) != 3 || meta.Get(metaRcvMigrated) == nil {
			t.Errorf("after one chunk: schema %d, mark %q", decodeU64(meta.Get([]byte("schema"))), meta.Get(metaRcvMigrated))
		}
		return btx.Bucket(bucketAgg).ForEach(func(k, v []byte) error {
			if !isRcvKey(k) {
				return nil
			}
			layouts[v[0] == rcvLayout2]++
			// Either layout reads, with the same figures.
			e, _ := getEntry(btx, decodeU64(k[len(k)-8:]))
			r, ok := decodeRcv(v)
			if !ok || r.kind != e.Kind || r.points != e.Points || !r.at.Equal(e.At) || !r.effective.Equal(e.Effective) ||
				r.quantity != e.Quantity || r.category != e.Category || r.behavior != e.Behavior {
				t.Errorf("record %s reads %+v, entry %+v", printable(k), r, e)
			}
			if v[0] == rcvLayout2 && (r.giver != e.Giver || r.reverses != e.Reverses) {
				t.Errorf("record %s: giver %q reverses %d, entry %q %d", printable(k), r.giver, r.reverses, e.Giver, e.Reverses)
			}
			return nil
		})
	})
	db.Close()
	if err != nil {
		t.Fatal(err)
	}
	if layouts[true] != 10 || layouts[false] != 17 {
		t.Fatalf("after one chunk %d records in the second layout, %d in the first", layouts[true], layouts[false])
	}
	s := openTest(t, path, shanghai, nil)
	checkMigrated(t, s)
}

// Verify compares every index record with its entry, giver and reversed
// id included, so a record with the wrong giver, or one left in the first
// layout, is reported.
func TestVerifyChecksTheReceiverIndex(t *testing.T) {
	s := openTest(t, "", shanghai, nil)
	a := appendEntry(t, s, jifen.Entry{Kind: jifen.KindAward, Giver: "g", Receiver: "r", Points: 5, Category: "c", Behavior: "b"})
	b := appendEntry(t, s, jifen.Entry{Kind: jifen.KindAward, Giver: "g", Receiver: "r", Points: 7, Category: "c", Behavior: "b"})
	rv := appendEntry(t, s, jifen.Entry{Kind: jifen.KindRevoke, Giver: "g", Reverses: a})
	verifyClean(t, s)
	for name, damage := range map[string]func(e *jifen.Entry) []byte{
		"giver":        func(e *jifen.Entry) []byte { e.Giver = "h"; return encodeRcv(e) },
		"reverses":     func(e *jifen.Entry) []byte { e.Reverses = b; return encodeRcv(e) },
		"first layout": encodeRcvLayout1,
	} {
		var undo []byte
		err := s.db.Update(func(btx *bolt.Tx) error {
			e, _ := getEntry(btx, rv)
			undo = encodeRcv(&e)
			return btx.Bucket(bucketAgg).Put(rcvKey("r", rv), damage(&e))
		})
		if err != nil {
			t.Fatal(err)
		}
		rep, err := s.Verify()
		if err != nil || len(rep.Problems) != 1 || !strings.Contains(rep.Problems[0], "receiver index") {
			t.Errorf("%s: verify %+v %v", name, rep, err)
		}
		if err := s.db.Update(func(btx *bolt.Tx) error { return btx.Bucket(bucketAgg).Put(rcvKey("r", rv), undo) }); err != nil {
			t.Fatal(err)
		}
	}
	verifyClean(t, s)
}
