package postgres

import (
	"context"
	"testing"

	"jifen"
	"jifen/store"
)

// A replica keeps the members it read: a Read that looks members up costs
// its two round trips and no statement per member while no member changes.
func TestKeptMembersCostNoRoundTrip(t *testing.T) {
	t.Parallel()
	s, c := countedStore(t)
	if err := s.PutMembers(context.Background(), []jifen.Member{
		{ID: "G", Name: "Gao", Role: jifen.RoleManager, Department: "销售部", SlackID: "U1", FeishuOpenID: "ou_1", Email: "Gao@Example.com"},
		{ID: "R", Name: "Ren", Role: jifen.RoleEmployee, Department: "销售部"}}); err != nil {
		t.Fatal(err)
	}
	lookups := func() {
		t.Helper()
		if err := s.Read(context.Background(), func(r store.Reader) error {
			for _, ok := range []bool{
				func() bool { m, ok := r.Member("G"); return ok && m.Name == "Gao" }(),
				func() bool { m, ok := r.MemberBySlackID("U1"); return ok && m.ID == "G" }(),
				func() bool { m, ok := r.MemberByFeishuOpenID("ou_1"); return ok && m.ID == "G" }(),
				func() bool { m, ok := r.MemberByEmail("gao@example.COM"); return ok && m.ID == "G" }(),
				len(r.MembersByName("REN")) == 1,
				len(r.Members()) == 2,
				r.DepartmentSize("销售部") == 2,
			} {
				if !ok {
					t.Errorf("a lookup in the kept members failed")
				}
			}
			if _, ok := r.Member("nobody"); ok {
				t.Error("found a member who is not there")
			}
			return nil
		}); err != nil {
			t.Fatal(err)
		}
	}
	lookups()           // reads the members
	s.background.Wait() // the first write's purge of old keys
	before := c.trips.Load()
	lookups()
	if n := c.trips.Load() - before; n != 2 {
		t.Errorf("a Read of kept members took %d round trips, want 2", n)
	}
}

// A member changed on another replica is seen by this one's next Read, and
// a forgotten member's name is gone from it.
func TestKeptMembersFollowAnotherReplica(t *testing.T) {
	t.Parallel()
	a, url := newStore(t)
	b := openAt(t, url)
	ctx := context.Background()
	if err := a.PutMembers(ctx, []jifen.Member{{ID: "li", Name: "李雷", Role: jifen.RoleEmployee, Department: "销售部", SlackID: "U9"}}); err != nil {
		t.Fatal(err)
	}
	name := func() string {
		t.Helper()
		var n string
		if err := a.Read(ctx, func(r store.Reader) error {
			if m, ok := r.MemberBySlackID("U9"); ok {
				n = m.Name
			}
			return nil
		}); err != nil {
			t.Fatal(err)
		}
		return n
	}
	if got := name(); got != "李雷" {
		t.Fatalf("name %q", got)
	}
	if err := b.PutMembers(ctx, []jifen.Member{{ID: "li", Name: "李磊", Role: jifen.RoleEmployee, Department: "销售部", SlackID: "U9"}}); err != nil {
		t.Fatal(err)
	}
	if got := name(); got != "李磊" {
		t.Errorf("after a rename on another replica: %q, want 李磊", got)
	}
	if err := b.ForgetMember(ctx, "li", "test"); err != nil {
		t.Fatal(err)
	}
	if got := name(); got == "李磊" {
		t.Errorf("after the member was forgotten on another replica this one still names them")
	}
}
