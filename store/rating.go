package store

import (
	"bytes"
	"context"
	"encoding/json"

	bolt "go.etcd.io/bbolt"

	"jifen"
)

// PutRatings stores imported ratings, all in one transaction; a rating for
// the same member and period replaces the earlier one.
func (s *Store) PutRatings(ctx context.Context, rs []jifen.Rating) error {
	return putJSON(ctx, s, bucketRatings, rs, func(r jifen.Rating) []byte { return key(r.Period, r.Member) })
}

// Ratings returns the ratings of a period.
func (s *Store) Ratings(period string) []jifen.Rating {
	return scanJSON[jifen.Rating](s, bucketRatings, prefix(period))
}

// PutKPIs stores imported KPIs in one transaction; the same name, period
// and department replaces the earlier value.
func (s *Store) PutKPIs(ctx context.Context, ks []jifen.KPI) error {
	return putJSON(ctx, s, bucketKPIs, ks, func(k jifen.KPI) []byte { return key(k.Period, k.Name, k.Department) })
}

// KPIs returns the KPIs of a period.
func (s *Store) KPIs(period string) []jifen.KPI {
	return scanJSON[jifen.KPI](s, bucketKPIs, prefix(period))
}

// PutRating stores a rating in the transaction, as PutRatings does: a
// write that must go with others (an idempotent import, its audit record).
func (tx *Tx) PutRating(r jifen.Rating) error {
	return tx.putJSON(bucketRatings, key(r.Period, r.Member), r)
}

// PutKPI stores a KPI in the transaction, as PutKPIs does.
func (tx *Tx) PutKPI(k jifen.KPI) error {
	return tx.putJSON(bucketKPIs, key(k.Period, k.Name, k.Department), k)
}

func (tx *Tx) putJSON(bucket, k []byte, v any) error {
	raw, err := json.Marshal(v)
	if err != nil {
		return err
	}
	return tx.put(bucket, k, raw)
}

// putJSON stores items as JSON under their keys, in one transaction.
func putJSON[T any](ctx context.Context, s *Store, bucket []byte, items []T, keyOf func(T) []byte) error {
	_, _, err := s.write(ctx, "", func(tx *Tx) ([]byte, error) {
		for _, it := range items {
			raw, err := json.Marshal(it)
			if err != nil {
				return nil, err
			}
			if err := tx.put(bucket, keyOf(it), raw); err != nil {
				return nil, err
			}
		}
		return nil, nil
	})
	return err
}

// scanJSON decodes the JSON values under a key prefix, in key order,
// skipping any that do not decode.
func scanJSON[T any](s *Store, bucket, pre []byte) []T {
	var out []T
	_ = s.view(func(btx *bolt.Tx) error {
		c := btx.Bucket(bucket).Cursor()
		for k, v := c.Seek(pre); k != nil && bytes.HasPrefix(k, pre); k, v = c.Next() {
			var x T
			if json.Unmarshal(v, &x) == nil {
				out = append(out, x)
			}
		}
		return nil
	})
	return out
}

// AllRatings returns every rating, by period.
func (s *Store) AllRatings() []jifen.Rating { return scanJSON[jifen.Rating](s, bucketRatings, nil) }

// AllKPIs returns every KPI, by period.
func (s *Store) AllKPIs() []jifen.KPI { return scanJSON[jifen.KPI](s, bucketKPIs, nil) }
