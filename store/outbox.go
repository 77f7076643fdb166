package store

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sync"
	"time"

	bolt "go.etcd.io/bbolt"
)

// The outbox holds every message the bot has still to send: the notices a
// command causes (written in the command's own transaction), scheduled
// posts and personal reports (written by the job that posts them), and
// replies the platform cannot take in its answer. One sender per platform
// drains it at the platform's pace (package outbox); a message leaves the
// outbox only once the platform took it, so a crash or a restart loses
// none.
//
//	outbox   platform \0 be64(id) → JSON Outgoing, in the order they were queued
var bucketOutbox = []byte("outbox")

// Outgoing is one message to send on one platform.
type Outgoing struct {
	ID       uint64 `json:"id"`
	Platform string `json:"platform"` // slack, feishu
	// To is the member the message goes to (a direct message), looked up
	// when it is sent; Address is a conversation in the platform's own
	// terms (a channel, a chat, a thread), for messages to no member.
	To      string          `json:"to,omitempty"`
	Address json.RawMessage `json:"address,omitempty"`
	// Body is the message (a bot.Message, as JSON).
	Body json.RawMessage `json:"body"`
	// Key names the message for the platform's own duplicate check (Feishu's
	// uuid): the same message queued again, or sent again after a crash,
	// has the same key.
	Key string `json:"key"`
	// Lane, if set, is what Receiver returns: messages of one lane go one
	// at a time, in the order they were queued (a member's card and the
	// answer after it, which go to different places).
	Lane     string    `json:"lane,omitempty"`
	Queued   time.Time `json:"queued"`
	Attempts int       `json:"attempts,omitempty"`
	// NotBefore holds a message back after a failed attempt.
	NotBefore time.Time `json:"not_before,omitzero"`
}

// Receiver names who or where the message goes (or its Lane), for pacing
// sends to one receiver and keeping their order.
func (o Outgoing) Receiver() string {
	if o.Lane != "" {
		return o.Lane
	}
	if o.To != "" {
		return "member:" + o.To
	}
	return string(o.Address)
}

func outboxKey(platform string, id uint64) []byte {
	k := make([]byte, 0, len(platform)+9)
	k = append(k, platform...)
	k = append(k, 0)
	return append(k, encodeU64(id)...)
}

// Enqueue queues o in the transaction: it is sent only if the transaction
// commits, and then at least once. A message whose key was queued before
// on its platform (within the idempotency window) is not queued again:
// the id is then 0.
func (tx *Tx) Enqueue(o Outgoing) (uint64, error) {
	if o.Platform == "" || (o.To == "" && len(o.Address) == 0) || len(o.Body) == 0 {
		return 0, errors.New("enqueue: a message needs a platform, a receiver and a body")
	}
	// A message with a key is queued once for each platform: a job run
	// again after a restart queues only what it had not (within the
	// idempotency window, as for requests).
	dedup := ""
	if o.Key != "" {
		dedup = "outbox:" + o.Platform + ":" + o.Key
		if idemGet(tx.tx, dedup) != nil {
			return 0, nil
		}
	}
	b := tx.tx.Bucket(bucketOutbox)
	id, err := b.NextSequence()
	if err != nil {
		return 0, err
	}
	o.ID, o.Queued, o.Attempts, o.NotBefore = id, tx.now, 0, time.Time{}
	if o.Key == "" {
		o.Key = fmt.Sprintf("outbox:%d", id)
	}
	raw, err := json.Marshal(o)
	if err != nil {
		return 0, err
	}
	if err := tx.put(bucketOutbox, outboxKey(o.Platform, id), raw); err != nil {
		return 0, err
	}
	if dedup != "" {
		if err := idemPut(tx.tx, dedup, tx.now, nil); err != nil {
			return 0, err
		}
	}
	tx.after = append(tx.after, func(uint64) { tx.s.outbox.Notify() })
	return id, nil
}

// Enqueue queues messages in one transaction of their own.
func (s *Store) Enqueue(ctx context.Context, msgs ...Outgoing) error {
	if len(msgs) == 0 {
		return nil
	}
	_, _, err := s.write(ctx, "", func(tx *Tx) ([]byte, error) {
		for _, o := range msgs {
			if _, err := tx.Enqueue(o); err != nil {
				return nil, err
			}
		}
		return nil, nil
	})
	return err
}

// OutboxDue returns up to limit messages of platform, oldest first, that
// are due at now and whose id is above after; held-back messages are
// passed over.
func (s *Store) OutboxDue(platform string, after uint64, now time.Time, limit int) ([]Outgoing, error) {
	var out []Outgoing
	prefix := append([]byte(platform), 0)
	err := s.view(func(btx *bolt.Tx) error {
		c := btx.Bucket(bucketOutbox).Cursor()
		for k, v := c.Seek(outboxKey(platform, after+1)); k != nil && bytes.HasPrefix(k, prefix) && len(out) < limit; k, v = c.Next() {
			var o Outgoing
			if err := json.Unmarshal(v, &o); err != nil {
				return fmt.Errorf("outbox message %s: %w", printable(k), err)
			}
			if o.NotBefore.After(now) {
				continue
			}
			out = append(out, o)
		}
		return nil
	})
	return out, err
}

// OutboxGet reads one message of platform's outbox, as it is now.
func (s *Store) OutboxGet(platform string, id uint64) (Outgoing, bool, error) {
	var o Outgoing
	ok := false
	err := s.view(func(btx *bolt.Tx) error {
		v := btx.Bucket(bucketOutbox).Get(outboxKey(platform, id))
		if v == nil {
			return nil
		}
		if err := json.Unmarshal(v, &o); err != nil {
			return fmt.Errorf("outbox message %s %d: %w", platform, id, err)
		}
		ok = true
		return nil
	})
	if err != nil {
		return Outgoing{}, false, err
	}
	return o, ok, nil
}

// OutboxLen is how many messages of platform wait to be sent.
func (s *Store) OutboxLen(platform string) (int, error) {
	n := 0
	prefix := append([]byte(platform), 0)
	err := s.view(func(btx *bolt.Tx) error {
		c := btx.Bucket(bucketOutbox).Cursor()
		for k, _ := c.Seek(prefix); k != nil && bytes.HasPrefix(k, prefix); k, _ = c.Next() {
			n++
		}
		return nil
	})
	return n, err
}

// outboxClaims are the messages this process's senders hold, and when
// each receiver was last claimed for: a bbolt file is written by one
// process, so its claims need not outlive it.
type outboxClaims struct {
	mu    sync.Mutex
	until map[string]map[uint64]time.Time // platform → id → claimed until
	next  map[string]map[string]time.Time // platform → receiver → not claimed before
}

func (c *outboxClaims) of(platform string) (map[uint64]time.Time, map[string]time.Time) {
	if c.until == nil {
		c.until, c.next = map[string]map[uint64]time.Time{}, map[string]map[string]time.Time{}
	}
	if c.until[platform] == nil {
		c.until[platform], c.next[platform] = map[uint64]time.Time{}, map[string]time.Time{}
	}
	return c.until[platform], c.next[platform]
}

func (c *outboxClaims) end(platform string, ids ...uint64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	until, _ := c.of(platform)
	for _, id := range ids {
		delete(until, id)
	}
}

// claimHead is what a claim reads of a message: not its body.
type claimHead struct {
	Lane      string          `json:"lane"`
	To        string          `json:"to"`
	Address   json.RawMessage `json:"address"`
	NotBefore time.Time       `json:"not_before"`
}

// OutboxClaim claims up to limit messages due at now for the caller, for
// lease: see Ledger. The claims are kept in memory.
func (s *Store) OutboxClaim(ctx context.Context, platform string, now time.Time, limit int, lease, spacing time.Duration) ([]Outgoing, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	s.claims.mu.Lock()
	defer s.claims.mu.Unlock()
	until, next := s.claims.of(platform)
	for r, t := range next {
		if !t.After(now) {
			delete(next, r)
		}
	}
	var out []Outgoing
	prefix := append([]byte(platform), 0)
	err := s.view(func(btx *bolt.Tx) error {
		waiting := map[string]bool{} // receivers with an earlier message in the outbox
		c := btx.Bucket(bucketOutbox).Cursor()
		for k, v := c.Seek(prefix); k != nil && bytes.HasPrefix(k, prefix) && len(out) < limit; k, v = c.Next() {
			var h claimHead
			if err := json.Unmarshal(v, &h); err != nil {
				return fmt.Errorf("outbox message %s: %w", printable(k), err)
			}
			r := Outgoing{Lane: h.Lane, To: h.To, Address: h.Address}.Receiver()
			if waiting[r] {
				continue
			}
			waiting[r] = true
			id := decodeU64(k[len(prefix):])
			if h.NotBefore.After(now) || until[id].After(now) || next[r].After(now) {
				continue
			}
			var o Outgoing
			if err := json.Unmarshal(v, &o); err != nil {
				return fmt.Errorf("outbox message %s: %w", printable(k), err)
			}
			out = append(out, o)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	for _, o := range out {
		until[o.ID] = now.Add(lease)
		if spacing > 0 {
			next[o.Receiver()] = now.Add(spacing)
		}
	}
	return out, nil
}

// OutboxRelease ends claims without counting an attempt.
func (s *Store) OutboxRelease(ctx context.Context, platform string, ids ...uint64) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	s.claims.end(platform, ids...)
	s.outbox.Notify()
	return nil
}

// OutboxDone removes sent (or given up) messages.
func (s *Store) OutboxDone(ctx context.Context, platform string, ids ...uint64) error {
	if len(ids) == 0 {
		return nil
	}
	_, _, err := s.write(ctx, "", func(tx *Tx) ([]byte, error) {
		b := tx.tx.Bucket(bucketOutbox)
		for _, id := range ids {
			k := outboxKey(platform, id)
			if b.Get(k) == nil {
				continue
			}
			tx.writes++
			if err := b.Delete(k); err != nil {
				return nil, err
			}
		}
		return nil, nil
	})
	if err == nil {
		s.claims.end(platform, ids...)
	}
	return err
}

// OutboxRetry counts a failed attempt at a message, holds it back until
// notBefore and ends its claim. It reports the attempts made so far.
func (s *Store) OutboxRetry(ctx context.Context, platform string, id uint64, notBefore time.Time) (int, error) {
	res, _, err := s.write(ctx, "", func(tx *Tx) ([]byte, error) {
		k := outboxKey(platform, id)
		raw := tx.tx.Bucket(bucketOutbox).Get(k)
		if raw == nil {
			return nil, nil
		}
		var o Outgoing
		if err := json.Unmarshal(raw, &o); err != nil {
			return nil, err
		}
		o.Attempts++
		o.NotBefore = notBefore.UTC()
		raw, err := json.Marshal(o)
		if err != nil {
			return nil, err
		}
		tx.after = append(tx.after, func(uint64) { tx.s.outbox.Notify() })
		return encodeU64(uint64(o.Attempts)), tx.put(bucketOutbox, k, raw)
	})
	if err != nil || len(res) != 8 {
		return 0, err
	}
	s.claims.end(platform, id)
	return int(decodeU64(res)), nil
}

// OutboxChanged returns a channel closed at the next commit that queues or
// reschedules a message, or the next release of a claim.
func (s *Store) OutboxChanged() <-chan struct{} { return s.outbox.Wait() }

// Signal wakes whoever waits for a change: Wait returns a channel that
// the next Notify closes. A store's OutboxChanged is one, so the senders
// wake when messages are queued. The zero Signal is ready to use.
type Signal struct {
	mu sync.Mutex
	ch chan struct{}
}

// Wait returns a channel closed at the next Notify.
func (o *Signal) Wait() <-chan struct{} {
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.ch == nil {
		o.ch = make(chan struct{})
	}
	return o.ch
}

// Notify closes the channel Wait gave, if any.
func (o *Signal) Notify() {
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.ch != nil {
		close(o.ch)
		o.ch = nil
	}
}

// verifyOutbox checks the messages waiting in the outbox: each decodes,
// is filed under its platform and id, and has a receiver and a body.
func verifyOutbox(btx *bolt.Tx, rep *VerifyReport) []string {
	var diffs []string
	_ = btx.Bucket(bucketOutbox).ForEach(func(k, v []byte) error {
		rep.Outbox++
		var o Outgoing
		if err := json.Unmarshal(v, &o); err != nil {
			diffs = append(diffs, fmt.Sprintf("outbox message %s: cannot decode", printable(k)))
			return nil
		}
		switch {
		case !bytes.Equal(k, outboxKey(o.Platform, o.ID)):
			diffs = append(diffs, fmt.Sprintf("outbox message %s: filed under another platform or id (%s %d)", printable(k), o.Platform, o.ID))
		case o.To == "" && len(o.Address) == 0 || len(o.Body) == 0:
			diffs = append(diffs, fmt.Sprintf("outbox message %s %d: no receiver or no body", o.Platform, o.ID))
		}
		return nil
	})
	return diffs
}
