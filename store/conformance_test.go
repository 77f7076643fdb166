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
	storetest.Run(t, func(t *testing.T, clock jifen.Clock, loc *time.Location) store.Ledger {
		st, err := store.Open(filepath.Join(t.TempDir(), "jifen.db"), store.Options{Clock: clock, Location: loc})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { st.Close() })
		return st
	})
}
