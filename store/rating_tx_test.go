package store

import (
	"context"
	"reflect"
	"testing"

	"jifen"
)

// Ratings and KPIs written in a transaction of one's own (with an
// idempotency key) are stored as PutRatings and PutKPIs store them, and a
// replay of the key writes nothing again.
func TestTxPutRatingAndKPI(t *testing.T) {
	s := openTest(t, "", shanghai, nil)
	ctx := context.Background()
	r := jifen.Rating{Member: "a", Period: "2026-10", Grade: "A", Score: 4}
	k := jifen.KPI{Name: "销售额", Period: "2026-10", Value: 12, Department: "销售部"}
	for i := 0; i < 2; i++ {
		_, replayed, err := s.write(ctx, "import-1", func(tx *Tx) ([]byte, error) {
			if err := tx.PutRating(r); err != nil {
				return nil, err
			}
			return nil, tx.PutKPI(k)
		})
		if err != nil || replayed != (i == 1) {
			t.Fatalf("write %d: replayed %v, %v", i, replayed, err)
		}
	}
	if rs := s.Ratings("2026-10"); !reflect.DeepEqual(rs, []jifen.Rating{r}) {
		t.Errorf("ratings %+v", rs)
	}
	if ks := s.KPIs("2026-10"); !reflect.DeepEqual(ks, []jifen.KPI{k}) {
		t.Errorf("KPIs %+v", ks)
	}
	// The same rating again replaces it, as PutRatings does.
	r.Grade, r.Score = "B", 3
	if err := s.PutRatings(ctx, []jifen.Rating{r}); err != nil {
		t.Fatal(err)
	}
	if rs := s.Ratings("2026-10"); !reflect.DeepEqual(rs, []jifen.Rating{r}) {
		t.Errorf("ratings after PutRatings %+v", rs)
	}
}
