package postgres

import (
	"bytes"
	"context"
	"testing"
	"time"

	"jifen"
	"jifen/store"
	"jifen/store/pgtest"
	"jifen/store/storetest"
)

// testAnswerKey is the answer key of the test stores.
var testAnswerKey = bytes.Repeat([]byte("answer-key-"), 3)

// The PostgreSQL store passes the conformance suite of the store contract,
// each subtest on a database of its own.
func TestConformance(t *testing.T) {
	storetest.Run(t, func(t *testing.T, clock jifen.Clock, loc *time.Location) (store.Ledger, func() store.Ledger) {
		url := pgtest.DB(t)
		open := func() *Store {
			st, err := Open(context.Background(), url, Options{Clock: clock, Location: loc, AnswerKey: testAnswerKey})
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
