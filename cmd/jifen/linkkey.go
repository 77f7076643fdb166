package main

import (
	"context"
	"sync"
	"time"

	"jifen/store"
)

// linkKeyTTL is how long serve keeps the report-link key before it reads
// it from the store again. On a store several replicas share, `jifen
// report revoke-links` runs while they serve: each refuses the revoked
// links, and signs with the new key, within it.
const linkKeyTTL = 10 * time.Second

// linkKeys is the key report links are signed with, as the store holds
// it, read again once linkKeyTTL has passed.
type linkKeys struct {
	load func(context.Context) ([]byte, error)
	now  func() time.Time

	mu  sync.Mutex
	key []byte
	at  time.Time // when key was read
}

// storeLinkKeys is the report-link key of st.
func storeLinkKeys(st store.Ledger) *linkKeys {
	return &linkKeys{load: st.LinkKey, now: time.Now}
}

// fixedLinkKey is always key.
func fixedLinkKey(key []byte) *linkKeys {
	return &linkKeys{load: func(context.Context) ([]byte, error) { return key, nil }, now: time.Now}
}

// get returns the key: the one read last, if it was read within
// linkKeyTTL, else the store's now. A read that fails keeps the key read
// before, if any: a store that stops answering for a moment does not
// stop the links.
func (k *linkKeys) get(ctx context.Context) ([]byte, error) {
	k.mu.Lock()
	defer k.mu.Unlock()
	now := k.now()
	if k.key != nil && now.Sub(k.at) < linkKeyTTL && !now.Before(k.at) {
		return k.key, nil
	}
	key, err := k.load(ctx)
	if err != nil {
		if k.key != nil {
			return k.key, nil
		}
		return nil, err
	}
	k.key, k.at = key, now
	return key, nil
}
