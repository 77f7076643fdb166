package store_test

import (
	"path/filepath"
	"testing"
	"time"

	"jifen"
	"jifen/store"
	"jifen/store/storetest"
)

// The bbolt store passes the conformance suite of the store contract.
func TestConformance(t *testing.T) {
	storetest.Run(t, func(t *testing.T, clock jifen.Clock, loc *time.Location) (store.Ledger, func() store.Ledger) {
		path := filepath.Join(t.TempDir(), "jifen.db")
		open := func() *store.Store {
			st, err := store.Open(path, store.Options{Clock: clock, Location: loc})
			if err != nil {
				t.Fatal(err)
			}
			return st
		}
		// One cleanup closes whichever store is open last, after the
		// suite's own cleanup has verified it.
		st := open()
		t.Cleanup(func() { st.Close() })
		return st, func() store.Ledger {
			if err := st.Close(); err != nil {
				t.Fatal(err)
			}
			st = open()
			return st
		}
	})
}
