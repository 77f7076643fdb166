// Package storetest holds the conformance suite every store passes (Run)
// and builds the large stores benchmarks read, once, and
// keeps them between runs. It is imported by tests only.
package storetest

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"jifen"
	"jifen/store"
)

// Cached returns the path of the store file kept as name in the directory
// $JIFEN_BENCH_DIR (else the temporary directory), building it first when
// it is not there: build writes the store at the path it is given, which
// becomes the kept file only once build has succeeded.
func Cached(tb testing.TB, name string, build func(path string) error) string {
	tb.Helper()
	dir := os.Getenv("JIFEN_BENCH_DIR")
	if dir == "" {
		dir = os.TempDir()
	}
	path := filepath.Join(dir, name)
	if _, err := os.Stat(path); err == nil {
		return path
	}
	tmp := path + ".tmp"
	os.Remove(tmp)
	if err := build(tmp); err != nil {
		tb.Fatal(err)
	}
	if err := os.Rename(tmp, path); err != nil {
		tb.Fatal(err)
	}
	return path
}

// Fill appends n entries to st, chunk of them to a transaction. Before each
// transaction next is called with the index of its first entry (to move a
// clock, say), if not nil; entry makes the i-th entry.
func Fill(st *store.Store, n, chunk int, next func(first int), entry func(tx store.Txn, i int) jifen.Entry) error {
	for done := 0; done < n; done += chunk {
		if next != nil {
			next(done)
		}
		_, _, err := st.Write(context.Background(), "", func(tx store.Txn) ([]byte, error) {
			for i := done; i < done+chunk && i < n; i++ {
				e := entry(tx, i)
				if _, err := tx.Append(&e); err != nil {
					return nil, err
				}
			}
			return nil, nil
		})
		if err != nil {
			return err
		}
	}
	return nil
}
