package importer

import (
	"context"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"jifen"
	"jifen/rules"
	"jifen/store"
)

// A file with one bad row in the middle imports nothing: the reader
// returns no rows at all (never the good ones around the bad one) and
// names the bad row, so the store is left as it was.
func TestBadRowInTheMiddleImportsNothing(t *testing.T) {
	st, err := store.Open(filepath.Join(t.TempDir(), "jifen.db"), store.Options{Location: shanghai})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	ctx := context.Background()
	if err := st.SyncMembers(ctx, []jifen.Member{people["wangfang"], people["liuyang"]}); err != nil {
		t.Fatal(err)
	}
	now := time.Date(2026, 11, 10, 2, 0, 0, 0, time.UTC)
	cat := &rules.Catalog{}
	for _, c := range []struct {
		kind, file, row string
		read            func(*Table) (int, error)
	}{
		{"members", "id,name,department\nx1,孙丽,销售部\nx2,吴 敏,销售部\nx3,郑和,客服部\n", "row 3", func(tb *Table) (int, error) {
			ms, err := Members(tb, st)
			if err == nil {
				err = st.PutMembers(ctx, ms)
			}
			return len(ms), err
		}},
		{"ratings", "member,period,grade\n王芳,2026-10,A\n刘洋,2026-10,E\n王芳,2026-09,B\n", "row 3", func(tb *Table) (int, error) {
			rs, err := Ratings(tb, st, shanghai)
			if err == nil {
				err = st.PutRatings(ctx, rs)
			}
			return len(rs), err
		}},
		{"points", "time,receiver,points\n2026-03-05,王芳,10\n2026-03-06,刘洋,十\n2026-03-07,王芳,5\n", "row 3", func(tb *Table) (int, error) {
			es, err := Points(tb, st, cat, shanghai, now)
			if err == nil {
				_, _, err = st.Write(ctx, "", func(tx store.Txn) ([]byte, error) {
					for i := range es {
						if _, err := tx.Append(&es[i]); err != nil {
							return nil, err
						}
					}
					return nil, nil
				})
			}
			return len(es), err
		}},
	} {
		n, err := c.read(csvTable(t, c.file))
		if n != 0 || err == nil || !strings.Contains(err.Error(), c.row) {
			t.Errorf("%s: %d rows read, %v; want none and the bad %s named", c.kind, n, err, c.row)
		}
	}
	if ms := st.Members(); len(ms) != 2 {
		t.Errorf("members after the failed import: %d, want the 2 there were", len(ms))
	}
	if rs := st.AllRatings(); len(rs) != 0 {
		t.Errorf("ratings after the failed import: %+v", rs)
	}
	if n := st.EntryCount(); n != 0 {
		t.Errorf("entries after the failed import: %d", n)
	}
	if rep, err := st.Verify(); err != nil || !rep.OK() {
		t.Errorf("verify: %+v %v", rep, err)
	}
}
