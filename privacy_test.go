package jifen

import "testing"

func TestScoreVisibility(t *testing.T) {
	emp := Member{ID: "e", Department: "销售部", Role: RoleEmployee}
	mate := Member{ID: "m", Department: "销售部", Role: RoleEmployee}
	other := Member{ID: "o", Department: "客服部", Role: RoleEmployee}
	mgr := Member{ID: "g", Department: "销售部", Role: RoleManager}
	adm := Member{ID: "a", Department: "总经办", Role: RoleAdmin}
	loner := Member{ID: "l", Role: RoleManager} // no department
	noDept := Member{ID: "n", Role: RoleEmployee}
	for _, tc := range []struct {
		name           string
		policy         ScoreVisibility
		viewer, target Member
		want           bool
	}{
		{"one's own, always", ScoreVisibility{RoleEmployee: VisibleSelf}, emp, emp, true},
		{"employee: not a colleague by default", nil, emp, mate, false},
		{"manager: own department by default", nil, mgr, mate, true},
		{"manager: not another department", nil, mgr, other, false},
		{"manager without a department sees no one else", nil, loner, noDept, false},
		{"admin: everyone by default", nil, adm, other, true},
		{"configured everyone for employees", ScoreVisibility{RoleEmployee: VisibleEveryone}, emp, other, true},
		{"configured department for employees", ScoreVisibility{RoleEmployee: VisibleDepartment}, emp, mate, true},
		{"configured self for admins", ScoreVisibility{RoleAdmin: VisibleSelf}, adm, emp, false},
		{"an invalid value falls back to the default", ScoreVisibility{RoleManager: "all"}, mgr, mate, true},
	} {
		if got := tc.policy.MaySee(tc.viewer, tc.target); got != tc.want {
			t.Errorf("%s: %v, want %v", tc.name, got, tc.want)
		}
	}
}
