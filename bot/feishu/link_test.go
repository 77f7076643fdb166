package feishu

import (
	"fmt"
	"slices"
	"testing"

	"jifen"
)

// Issue 18, item 1: at start-up, members with an email and no open_id are
// looked up (batch_get_id, 50 emails a call) and linked, so that
// scheduled direct messages reach them before their first message.
func TestLinkByEmail(t *testing.T) {
	h := newHarness(t, false)
	ctx := t.Context()
	const (
		zhao = "ou_zhaomin0000000000000000000001"
		qian = "ou_qiannew0000000000000000000001"
		gone = "ou_gone000000000000000000000001"
		twin = "ou_twin000000000000000000000001"
	)
	members := []jifen.Member{
		{ID: "E1024", Name: "赵敏", Email: "Zhao.Min@example.com", Role: jifen.RoleManager},
		{ID: "E2048", Name: "钱进", Email: "qian@example.com", FeishuOpenID: "ou_qianold", Role: jifen.RoleEmployee},
		{ID: "E3001", Name: "孙无", Email: "nobody@example.com", Role: jifen.RoleEmployee},
		{ID: "E3002", Name: "周离", Email: "gone@example.com", Role: jifen.RoleEmployee},
		{ID: "E3004", Name: "郑重", Email: "twin@example.com", Role: jifen.RoleEmployee},
		{ID: "E3005", Name: "郑双", FeishuOpenID: twin, Role: jifen.RoleEmployee},
	}
	// 120 more, each found: three calls of 50, 50 and 24 emails.
	for i := range 120 {
		m := jifen.Member{ID: fmt.Sprintf("G%03d", i), Name: fmt.Sprintf("员工%03d", i),
			Email: fmt.Sprintf("g%03d@example.com", i), Role: jifen.RoleEmployee}
		members = append(members, m)
		h.api.byEmail[m.Email] = emailUser{OpenID: fmt.Sprintf("ou_g%03d", i)}
	}
	if err := h.st.SyncMembers(ctx, members); err != nil {
		t.Fatal(err)
	}
	h.api.byEmail["Zhao.Min@example.com"] = emailUser{OpenID: zhao}
	h.api.byEmail["qian@example.com"] = emailUser{OpenID: qian}
	h.api.byEmail["gone@example.com"] = emailUser{OpenID: gone, Resigned: true}
	h.api.byEmail["twin@example.com"] = emailUser{OpenID: twin}

	linked, err := h.a.LinkByEmail(ctx)
	if err != nil || linked != 121 {
		t.Fatalf("linked %d, %v; want 121", linked, err)
	}
	want := map[string]string{
		"E1024": zhao,         // found by email
		"E2048": "ou_qianold", // had an id: not even asked for
		"E3001": "",           // nobody has the email
		"E3002": "",           // resigned
		"E3004": "",           // the account is another member's
		"E3005": twin,
		"G000":  "ou_g000",
		"G119":  "ou_g119",
	}
	for id, open := range want {
		if m, _ := h.st.Member(id); m.FeishuOpenID != open {
			t.Errorf("%s: feishu_open_id %q, want %q", id, m.FeishuOpenID, open)
		}
	}
	h.api.mu.Lock()
	batches := slices.Clone(h.api.batches)
	h.api.mu.Unlock()
	slices.Sort(batches)
	if !slices.Equal(batches, []int{24, 50, 50}) {
		t.Errorf("batch_get_id calls with %v emails, want 50, 50 and 24", batches)
	}
}
