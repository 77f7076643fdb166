package store

import (
	"compress/gzip"
	"io"
	"os"
	"path/filepath"
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
	in, err := os.Open("testdata/schema2-demo.db.gz")
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
	if v := schemaOf(t, path); v != 2 {
		t.Fatalf("the test file is schema %d, want the previous one, 2", v)
	}
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
