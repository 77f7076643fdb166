package postgres

import (
	"context"
	"reflect"
	"testing"
	"time"

	"jifen"
	"jifen/store"
)

// Forgetting a member keeps their id and figures under a pseudonym and
// removes what leads to them: platform ids, email, level, birthday, the
// text of their entries, the feedback to them, their ratings and the
// stored replies naming them. (The conformance suite's Forget checks
// this too, with the survey answers.)
func TestForgetMember(t *testing.T) {
	s, _ := newStore(t)
	ctx := context.Background()
	day := func(y int, mo time.Month, d int) time.Time { return time.Date(y, mo, d, 0, 0, 0, 0, time.UTC) }
	ou := jifen.Member{ID: "ouyang", Name: "欧阳娜娜", Email: "nana@example.com", SlackID: "U07FORGET", FeishuOpenID: "ou_forget",
		Department: "销售部", Level: "高层", Role: jifen.RoleEmployee, Joined: day(2024, 1, 1), Birthday: "07-29"}
	old := jifen.Member{ID: "old", Name: "老员工", Department: "销售部", Role: jifen.RoleEmployee, Left: day(2026, 1, 31), SlackID: "U0OLD"}
	li := jifen.Member{ID: "li", Name: "李雷", Department: "销售部", Role: jifen.RoleEmployee}
	if err := s.PutMembers(ctx, []jifen.Member{ou, old, li, {ID: "g", Name: "钱总", Role: jifen.RoleManager}}); err != nil {
		t.Fatal(err)
	}
	entries := []jifen.Entry{
		{Kind: jifen.KindAward, Giver: "g", Receiver: "ouyang", Points: 5, Category: "c", Reason: "感谢欧阳娜娜的帮助"},
		{Kind: jifen.KindThanks, Giver: "ouyang", Receiver: "li", Points: 3, Category: "c", Reason: "谢谢李雷"},
		{Kind: jifen.KindAward, Giver: "g", Receiver: "li", Points: 2, Category: "c", Reason: "保留的理由"},
	}
	for i := range entries {
		if _, _, err := s.Write(ctx, "", func(tx store.Txn) ([]byte, error) { _, err := tx.Append(&entries[i]); return nil, err }); err != nil {
			t.Fatal(err)
		}
	}
	for _, f := range []store.Feedback{{Member: "ouyang", From: "g", Text: "做得好"}, {Member: "li", From: "g", Text: "继续"}} {
		if err := s.AddFeedback(ctx, "", f); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.PutRatings(ctx, []jifen.Rating{{Member: "ouyang", Period: "2026-10", Grade: "A", Score: 4}, {Member: "li", Period: "2026-10", Grade: "B", Score: 3}}); err != nil {
		t.Fatal(err)
	}
	for key, res := range map[string]string{"reply-1": "已给欧阳娜娜 5 分", "reply-2": "已给李雷 2 分"} {
		if _, _, err := s.Write(ctx, key, func(store.Txn) ([]byte, error) { return []byte(res), nil }); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.ForgetMember(ctx, "ouyang", "成员A"); err != nil {
		t.Fatal(err)
	}
	if err := s.ForgetMember(ctx, "old", "成员B"); err != nil {
		t.Fatal(err)
	}
	if err := s.ForgetMember(ctx, "nobody", "成员C"); err == nil {
		t.Error("forgetting an unknown member succeeded")
	}
	err := s.Read(ctx, func(rd store.Reader) error {
		want := jifen.Member{ID: "ouyang", Name: "成员A", Department: "销售部", Role: jifen.RoleEmployee, Joined: day(2024, 1, 1), Left: day(2026, 11, 20)}
		if got, ok := rd.Member("ouyang"); !ok || !reflect.DeepEqual(got, want) {
			t.Errorf("forgotten member %+v,\nwant %+v", got, want)
		}
		if got, _ := rd.Member("old"); !reflect.DeepEqual(got, jifen.Member{ID: "old", Name: "成员B", Department: "销售部", Role: jifen.RoleEmployee, Left: day(2026, 1, 31)}) {
			t.Errorf("forgotten member who had left: %+v (keeps their leaving date)", got)
		}
		if _, ok := rd.MemberBySlackID("U07FORGET"); ok {
			t.Error("found by the forgotten Slack id")
		}
		if _, ok := rd.MemberByEmail("nana@example.com"); ok {
			t.Error("found by the forgotten email")
		}
		if len(rd.MembersByName("欧阳娜娜")) != 0 || len(rd.MembersByName("成员A")) != 1 {
			t.Error("names: the old one still finds the member, or the pseudonym does not")
		}
		all := jifen.PeriodOf(jifen.AllTime, testNow, shanghai)
		if got := rd.FeedbackIn("ouyang", all); len(got) != 0 {
			t.Errorf("feedback to the forgotten member kept: %+v", got)
		}
		if got := rd.FeedbackIn("li", all); len(got) != 1 {
			t.Errorf("feedback to another member: %+v", got)
		}
		if got := rd.Ratings("2026-10"); len(got) != 1 || got[0].Member != "li" {
			t.Errorf("ratings %+v, want li's only", got)
		}
		if _, ok := rd.Seen("reply-1"); ok {
			t.Error("a stored reply naming the forgotten member is kept")
		}
		if v, ok := rd.Seen("reply-2"); !ok || string(v) != "已给李雷 2 分" {
			t.Errorf("another stored reply: %q %v", v, ok)
		}
		for _, en := range entries {
			got, _, _ := rd.Entry(en.ID)
			if en.Receiver == "ouyang" || en.Giver == "ouyang" {
				en.Reason = ""
			}
			if !reflect.DeepEqual(got, en) {
				t.Errorf("entry after forgetting: %+v, want %+v", got, en)
			}
		}
		if rd.Balance("ouyang") != 5 || rd.Totals("li", all).Net != 5 || rd.GiverUsed("ouyang", "thanks", all) != 3 {
			t.Errorf("figures moved: balance %d, li %d, thanks given %d", rd.Balance("ouyang"), rd.Totals("li", all).Net, rd.GiverUsed("ouyang", "thanks", all))
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if rep, err := s.Verify(); err != nil || !rep.OK() {
		t.Fatalf("verify: %v %v", err, rep.Problems)
	}
}
