package store

import (
	"context"
	"path/filepath"
	"sync"
	"testing"

	"jifen"
)

// Registrations of new platform users choose their ids and names inside
// the write: many at once with the same wanted id and name become as many
// members; registering an open_id again returns the member who has it.
func TestRegisterNewMemberAtOnce(t *testing.T) {
	st := openTest(t, filepath.Join(t.TempDir(), "jifen.db"), nil, nil)
	ctx := context.Background()
	open := []string{"ou_a_same6c", "ou_b_same6c", "ou_c_same6c"}
	got := make([]jifen.Member, len(open))
	var wg sync.WaitGroup
	for i, o := range open {
		wg.Go(func() {
			m, err := st.RegisterNewMember(ctx, jifen.Member{Name: "赵新", FeishuOpenID: o, Role: jifen.RoleEmployee},
				[]string{"feishu-same6c", "feishu-" + o}, "e6c")
			if err != nil {
				t.Error(err)
			}
			got[i] = m
		})
	}
	wg.Wait()
	ids, names := map[string]bool{}, map[string]bool{}
	for i, m := range got {
		stored, ok := st.MemberByFeishuOpenID(open[i])
		if !ok || stored != m {
			t.Fatalf("%s: returned %+v, stored %+v", open[i], m, stored)
		}
		ids[m.ID], names[m.Name] = true, true
	}
	if len(ids) != len(open) || len(names) != len(open) {
		t.Fatalf("ids %v, names %v", ids, names)
	}
	again, err := st.RegisterNewMember(ctx, jifen.Member{Name: "别名", FeishuOpenID: open[0], Role: jifen.RoleEmployee},
		[]string{"feishu-other"}, "x")
	if err != nil || again != got[0] || len(st.Members()) != len(open) {
		t.Fatalf("registering %s again: %+v %v (%d members)", open[0], again, err, len(st.Members()))
	}
}
