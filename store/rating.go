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
	_, _, err := s.Write(ctx, "", func(tx *Tx) ([]byte, error) {
		for _, r := range rs {
			raw, err := json.Marshal(r)
			if err != nil {
				return nil, err
			}
			if err := tx.put(bucketRatings, key(r.Period, r.Member), raw); err != nil {
				return nil, err
			}
		}
		return nil, nil
	})
	return err
}

// Ratings returns the ratings of a period.
func (s *Store) Ratings(period string) []jifen.Rating {
	return scanJSON[jifen.Rating](s, bucketRatings, prefix(period))
}

// PutKPIs stores imported KPIs in one transaction; the same name, period
// and department replaces the earlier value.
func (s *Store) PutKPIs(ctx context.Context, ks []jifen.KPI) error {
	_, _, err := s.Write(ctx, "", func(tx *Tx) ([]byte, error) {
		for _, k := range ks {
			raw, err := json.Marshal(k)
			if err != nil {
				return nil, err
			}
			if err := tx.put(bucketKPIs, key(k.Period, k.Name, k.Department), raw); err != nil {
				return nil, err
			}
		}
		return nil, nil
	})
	return err
}

// KPIs returns the KPIs of a period.
func (s *Store) KPIs(period string) []jifen.KPI {
	return scanJSON[jifen.KPI](s, bucketKPIs, prefix(period))
}

// scanJSON decodes the JSON values under a key prefix, in key order,
// skipping any that do not decode.
func scanJSON[T any](s *Store, bucket, pre []byte) []T {
	var out []T
	_ = s.db.View(func(btx *bolt.Tx) error {
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
