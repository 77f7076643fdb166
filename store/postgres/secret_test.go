package postgres

import (
	"bytes"
	"context"
	"sync"
	"testing"
)

func TestReplicasShareTheirKeys(t *testing.T) {
	t.Parallel()
	s, url := newStore(t)
	other := openAt(t, url)
	ctx := context.Background()
	keys := make([][]byte, 8)
	var wg sync.WaitGroup
	for i := range keys {
		wg.Go(func() {
			st := s
			if i%2 == 1 {
				st = other
			}
			k, err := st.LinkKey(ctx)
			if err != nil {
				t.Error(err)
			}
			keys[i] = k
		})
	}
	wg.Wait()
	for i, k := range keys {
		if len(k) != 32 || !bytes.Equal(k, keys[0]) {
			t.Fatalf("replica read %d: key %x, first %x", i, k, keys[0])
		}
	}
	sess, err := other.SessionKey(ctx)
	if err != nil || len(sess) != 32 || bytes.Equal(sess, keys[0]) {
		t.Fatalf("session key %x %v: must be its own", sess, err)
	}
	if err := s.RotateLinkKey(ctx); err != nil {
		t.Fatal(err)
	}
	k, _ := other.LinkKey(ctx)
	if bytes.Equal(k, keys[0]) || len(k) != 32 {
		t.Fatal("the link key did not change for the other replica")
	}
	if k2, _ := other.SessionKey(ctx); !bytes.Equal(k2, sess) {
		t.Fatal("rotating the link key changed the session key")
	}
}
