package postgres

import (
	"context"
	"reflect"
	"sync"
	"testing"

	"jifen"
	"jifen/store"
)

func TestCatalogVersionsAcrossReplicas(t *testing.T) {
	t.Parallel()
	s, url := newStore(t)
	other := openAt(t, url)
	ctx := context.Background()
	content := map[string]any{"behaviors": []string{"help", "早到"}, "z": 1, "a": 2}
	versions := make([]int, 8)
	var wg sync.WaitGroup
	for i := range versions {
		wg.Go(func() {
			st := s
			if i%2 == 1 {
				st = other
			}
			v, err := st.RegisterCatalog(ctx, "fp1", content)
			if err != nil {
				t.Error(err)
			}
			versions[i] = v
		})
	}
	wg.Wait()
	for _, v := range versions {
		if v != 1 {
			t.Fatalf("versions %v, want 1 for all", versions)
		}
	}
	if v, _ := other.RegisterCatalog(ctx, "fp2", content); v != 2 {
		t.Fatalf("second catalog is version %d", v)
	}
	if v, _ := s.RegisterCatalog(ctx, "fp1", nil); v != 1 {
		t.Fatalf("a catalog back after a change is version %d, want 1", v)
	}
	cvs, err := s.CatalogVersions()
	if err != nil || len(cvs) != 2 || cvs[0].Fingerprint != "fp1" || string(cvs[0].Catalog) != `{"a":2,"behaviors":["help","早到"],"z":1}` || !cvs[1].Since.Equal(testNow) {
		t.Fatalf("versions %+v %v", cvs, err)
	}
}

func TestRatingsKPIsAndFeedback(t *testing.T) {
	t.Parallel()
	s, _ := newStore(t)
	ctx := context.Background()
	if err := s.PutRatings(ctx, []jifen.Rating{
		{Member: "E2", Period: "2026-10", Grade: "A", Score: 4.5},
		{Member: "E1", Period: "2026-10", Grade: "B", Score: 3},
		{Member: "E1", Period: "2026-Q4", Score: 3.5},
	}); err != nil {
		t.Fatal(err)
	}
	if err := s.PutRatings(ctx, []jifen.Rating{{Member: "E1", Period: "2026-10", Grade: "A", Score: 4}}); err != nil {
		t.Fatal(err)
	}
	want := []jifen.Rating{{Member: "E1", Period: "2026-10", Grade: "A", Score: 4}, {Member: "E2", Period: "2026-10", Grade: "A", Score: 4.5}}
	if got := s.Ratings("2026-10"); !reflect.DeepEqual(got, want) {
		t.Fatalf("ratings %+v", got)
	}
	if got := s.AllRatings(); len(got) != 3 {
		t.Fatalf("all ratings %+v", got)
	}
	if err := s.PutKPIs(ctx, []jifen.KPI{{Name: "revenue", Period: "2026-10", Value: 1e6}, {Name: "revenue", Period: "2026-10", Department: "销售", Value: 4e5}}); err != nil {
		t.Fatal(err)
	}
	if got := s.KPIs("2026-10"); len(got) != 2 || got[0].Department != "" || got[1].Value != 4e5 {
		t.Fatalf("KPIs %+v", got)
	}
	f := store.Feedback{Member: "E1", From: "M1", Text: "做得好"}
	for range 2 {
		if err := s.AddFeedback(ctx, "slack:fb1", f); err != nil {
			t.Fatal(err)
		}
	}
	month := jifen.PeriodOf(jifen.Month, testNow, shanghai)
	got := s.FeedbackIn("E1", month)
	if len(got) != 1 || got[0].Text != "做得好" || !got[0].At.Equal(testNow) {
		t.Fatalf("feedback %+v", got)
	}
	if got := s.FeedbackIn("E1", jifen.PeriodOf(jifen.Month, testNow.AddDate(0, 1, 0), shanghai)); len(got) != 0 {
		t.Fatalf("next month's feedback %+v", got)
	}
}
