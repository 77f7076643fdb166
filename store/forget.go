package store

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"time"

	"jifen"
)

// ForgetMember removes a member's personal data and keeps the ledger's
// figures: the member keeps their id (entries and aggregates point to it)
// under a pseudonym, without platform ids or level; the free
// text of entries they gave or received is cleared; their feedback and
// ratings are deleted, and so are the stored replies (idempotency results)
// that name them. Verify stays clean: no point moves. The free pages of
// the file are zeroed before it returns, so no old copy of what it removed
// stays readable in the file (or in a backup made afterwards); the key of
// any anonymous answer they gave to an open round is forgotten too.
func (s *Store) ForgetMember(ctx context.Context, id, pseudonym string) error {
	m, ok := s.Member(id)
	if !ok {
		return fmt.Errorf("no member %q", id)
	}
	_, _, err := s.write(ctx, "", func(tx *Tx) ([]byte, error) {
		// Entries: clear the text, keep the figures.
		entries := tx.tx.Bucket(bucketEntries)
		var rewrite [][2][]byte
		if err := entries.ForEach(func(k, v []byte) error {
			var e jifen.Entry
			if err := decodeEntry(v, &e); err != nil {
				return err
			}
			if (e.Receiver == id || e.Giver == id) && e.Reason != "" {
				e.Reason = ""
				rewrite = append(rewrite, [2][]byte{bytes.Clone(k), encodeEntry(&e)})
			}
			return nil
		}); err != nil {
			return nil, err
		}
		for _, kv := range rewrite {
			if err := tx.put(bucketEntries, kv[0], kv[1]); err != nil {
				return nil, err
			}
		}
		// Feedback to them, and ratings.
		del := func(bucket []byte, match func(k, v []byte) bool) error {
			var keys [][]byte
			_ = tx.tx.Bucket(bucket).ForEach(func(k, v []byte) error {
				if match(k, v) {
					keys = append(keys, bytes.Clone(k))
				}
				return nil
			})
			for _, k := range keys {
				tx.writes++
				if err := tx.tx.Bucket(bucket).Delete(k); err != nil {
					return err
				}
			}
			return nil
		}
		pre := prefix(id)
		if err := del(bucketFeedback, func(k, _ []byte) bool { return bytes.HasPrefix(k, pre) }); err != nil {
			return nil, err
		}
		suffix := append([]byte{0}, id...)
		if err := del(bucketRatings, func(k, _ []byte) bool { return bytes.HasSuffix(k, suffix) }); err != nil {
			return nil, err
		}
		// Their answers to non-anonymous surveys (anonymous answers hold
		// nothing that leads to them).
		if err := del(bucketAnswers, func(k, v []byte) bool {
			var a struct{ Member string }
			return bytes.HasSuffix(k, suffix) && json.Unmarshal(v, &a) == nil && a.Member == id
		}); err != nil {
			return nil, err
		}
		// Results that name them, with their place in the expiry order.
		name := []byte(m.Name)
		var expiring [][]byte
		if err := del(bucketIdem, func(k, v []byte) bool {
			if len(v) >= 8 && bytes.Contains(v[8:], name) {
				expiring = append(expiring, append(bytes.Clone(v[:8]), k...))
				return true
			}
			return false
		}); err != nil {
			return nil, err
		}
		for _, k := range expiring {
			tx.writes++
			if err := tx.tx.Bucket(bucketIdemExp).Delete(k); err != nil {
				return nil, err
			}
		}
		if err := tx.PutMember(Forgotten(m, pseudonym, tx.Now(), s.loc)); err != nil {
			return nil, err
		}
		tx.after = append(tx.after, func(uint64) { s.links.dropMember(id) })
		return nil, tx.needScrub()
	})
	if err != nil {
		return err
	}
	return s.Scrub(ctx)
}

// Forgotten is what is kept of a forgotten member: a pseudonym, nothing
// else personal but the dates of employment, which decide who counts in
// each period's figures. A forgotten member is no longer one: without a
// last day (now's, in loc, if they have not left yet), they would count as
// employed in every period to come.
func Forgotten(m jifen.Member, pseudonym string, now time.Time, loc *time.Location) jifen.Member {
	left := m.Left
	if today := now.In(loc); left.IsZero() || !m.HasLeft(today, loc) {
		y, mo, d := today.Date()
		left = time.Date(y, mo, d, 0, 0, 0, 0, time.UTC)
	}
	return jifen.Member{ID: m.ID, Name: pseudonym, Department: m.Department, Role: m.Role, Bot: m.Bot,
		Joined: m.Joined, Left: left}
}
