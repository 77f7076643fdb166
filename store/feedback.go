package store

import (
	"context"
	"encoding/json"
	"time"

	bolt "go.etcd.io/bbolt"

	"jifen"
)

// Feedback is a manager's written feedback to a member (/feedback), shown
// in the member's personal report.
type Feedback struct {
	Member string    `json:"member"`
	From   string    `json:"from"`
	Text   string    `json:"text"`
	At     time.Time `json:"at"`
}

// AddFeedback stores feedback; key keeps a retried delivery from adding it
// twice.
func (s *Store) AddFeedback(ctx context.Context, key string, f Feedback) error {
	_, _, err := s.write(ctx, key, func(tx *Tx) ([]byte, error) {
		f.At = tx.Now()
		raw, err := json.Marshal(f)
		if err != nil {
			return nil, err
		}
		b := tx.tx.Bucket(bucketFeedback)
		seq, err := b.NextSequence()
		if err != nil {
			return nil, err
		}
		return nil, tx.put(bucketFeedback, append(prefix(f.Member), encodeU64(seq)...), raw)
	})
	return err
}

// FeedbackIn returns a member's feedback given in a period, oldest first.
func (s *Store) FeedbackIn(member string, p jifen.Period) []Feedback {
	var out []Feedback
	_ = s.view(func(btx *bolt.Tx) error {
		c := btx.Bucket(bucketFeedback).Cursor()
		pre := prefix(member)
		for k, v := c.Seek(pre); k != nil && len(k) == len(pre)+8 && string(k[:len(pre)]) == string(pre); k, v = c.Next() {
			var f Feedback
			if json.Unmarshal(v, &f) == nil && p.Contains(f.At) {
				out = append(out, f)
			}
		}
		return nil
	})
	return out
}
