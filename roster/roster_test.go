package roster

import (
	"strings"
	"testing"
	"time"

	"jifen"
)

var today = time.Date(2026, 11, 10, 0, 0, 0, 0, time.UTC)

func kinds(p Plan) string {
	var out []string
	for _, c := range p.Changes {
		out = append(out, string(c.Kind)+":"+c.Member.ID)
	}
	for _, n := range p.Notes {
		out = append(out, "note "+string(n.Kind)+":"+n.Member.ID)
	}
	return strings.Join(out, " ")
}

// The rules a plan keeps, each in a case that reads like it.
func TestBuild(t *testing.T) {
	admin := jifen.Member{ID: "boss", Name: "老板", Email: "boss@example.com", Role: jifen.RoleAdmin, Department: "总经办"}
	wang := jifen.Member{ID: "E7", Name: "王芳", Email: "Wang.Fang@example.com", Role: jifen.RoleEmployee}
	linked := jifen.Member{ID: "E8", Name: "李雷", Email: "li@example.com", SlackID: "U0LI", Role: jifen.RoleEmployee}
	reg := jifen.Member{ID: "slack-u0reg", Name: "韩梅", SlackID: "U0REG", Role: jifen.RoleEmployee}
	bot := jifen.Member{ID: "jifen_bot", Name: "积分助手", Role: jifen.RoleEmployee, Bot: true}
	members := []jifen.Member{admin, wang, linked, reg, bot}
	config := map[string]jifen.Member{"boss": admin, "E7": wang, "E8": linked}
	for _, tc := range []struct {
		name     string
		platform Platform
		people   []Person
		want     string
		check    func(t *testing.T, p Plan)
	}{
		{"an email in another case links the member, never a duplicate such as 王芳-abcd", Slack,
			[]Person{{ID: "U0WANG", Name: "王芳", Email: "wang.fang@EXAMPLE.com"}}, "linked:E7",
			func(t *testing.T, p Plan) {
				if m := p.Write[0]; m.SlackID != "U0WANG" || m.Name != "王芳" || m.Email != "Wang.Fang@example.com" {
					t.Errorf("%+v", m)
				}
			}},
		{"a member with another id on the platform keeps it", Slack,
			[]Person{{ID: "U0LI2", Name: "李雷", Email: "li@example.com"}}, "note taken:E8", nil},
		{"a new person gets a unique name and the platform's id scheme", Slack,
			[]Person{{ID: "U0NEWWANG", Name: "王芳", Email: "other@example.com"}}, "new:slack-u0newwang",
			func(t *testing.T, p Plan) {
				if m := p.Write[0]; m.Name != "王芳-wang" || m.Role != jifen.RoleEmployee || m.Email != "other@example.com" {
					t.Errorf("%+v", m)
				}
			}},
		{"bots are skipped", Slack, []Person{{ID: "B1", Name: "bot", Bot: true}}, "",
			func(t *testing.T, p Plan) {
				if p.Bots != 1 {
					t.Errorf("bots %d", p.Bots)
				}
			}},
		{"deactivated: left today, once", Slack, []Person{{ID: "U0LI", Name: "李雷", Inactive: true}}, "left:E8",
			func(t *testing.T, p Plan) {
				if !p.Write[0].Left.Equal(today) {
					t.Errorf("%v", p.Write[0].Left)
				}
			}},
		{"deactivated people jifen never knew are not added", Slack, []Person{{ID: "U0GONE", Name: "走了", Inactive: true}}, "", nil},
		{"admin is never touched, the config's department wins", Feishu,
			[]Person{{ID: "ou_boss", Name: "老板", Email: "boss@example.com", Department: "董事会", Leader: true}},
			"linked:boss note config_department:boss",
			func(t *testing.T, p Plan) {
				if m := p.Write[0]; m.Role != jifen.RoleAdmin || m.Department != "总经办" {
					t.Errorf("%+v", m)
				}
			}},
		{"a registered member leading a department becomes its manager", Feishu,
			[]Person{{ID: "ou_reg", EmployeeNo: "slack-u0reg", Name: "韩梅", Department: "市场部", Leader: true}},
			"linked:slack-u0reg department:slack-u0reg manager:slack-u0reg", nil},
		{"a 工号 with another email is someone else", Feishu,
			[]Person{{ID: "ou_x", EmployeeNo: "E7", Name: "王芳", Email: "x@example.com"}}, "new:feishu-ou_x",
			func(t *testing.T, p Plan) {
				if m := p.Write[0]; m.ID == "E7" || m.Email != "x@example.com" {
					t.Errorf("%+v", m)
				}
			}},
		{"a bot member is never linked", Feishu, []Person{{ID: "ou_bot", EmployeeNo: "jifen_bot", Name: "积分助手2"}}, "new:feishu-ou_bot", nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := Build(Input{Platform: tc.platform, Members: members, Config: config, People: tc.people, Today: today})
			if got := kinds(p); got != tc.want {
				t.Fatalf("plan %q, want %q", got, tc.want)
			}
			if tc.check != nil {
				tc.check(t, p)
			}
			// Applied, the plan leaves nothing to do.
			after := applied(members, p.Write)
			again := Build(Input{Platform: tc.platform, Members: after, Config: config, People: tc.people, Today: today.AddDate(0, 0, 1)})
			if len(again.Changes) != 0 || len(again.Write) != 0 {
				t.Fatalf("second plan: %s", kinds(again))
			}
		})
	}
}

func applied(members, write []jifen.Member) []jifen.Member {
	byID := map[string]int{}
	out := append([]jifen.Member(nil), members...)
	for i, m := range out {
		byID[m.ID] = i
	}
	for _, m := range write {
		if i, ok := byID[m.ID]; ok {
			out[i] = m
		} else {
			out = append(out, m)
		}
	}
	return out
}
