package jifen

// Visibility is whose score a member may look up (/score @someone): their
// own only, their department's, or everyone's. Their own is always
// visible. The public leaderboard is not governed by it: it is public by
// being posted.
type Visibility string

const (
	VisibleSelf       Visibility = "self"
	VisibleDepartment Visibility = "department"
	VisibleEveryone   Visibility = "everyone"
)

// Visibilities lists the valid values, narrowest first.
var Visibilities = []Visibility{VisibleSelf, VisibleDepartment, VisibleEveryone}

// Valid reports whether v is one of the known values.
func (v Visibility) Valid() bool {
	return v == VisibleSelf || v == VisibleDepartment || v == VisibleEveryone
}

// ScoreVisibility says, per role, whose score a member of that role may
// see. A role it does not name gets its default.
type ScoreVisibility map[Role]Visibility

// DefaultScoreVisibility is what the README has always promised: employees
// see their own score, managers their department's, admins everyone's.
func DefaultScoreVisibility() ScoreVisibility {
	return ScoreVisibility{RoleEmployee: VisibleSelf, RoleManager: VisibleDepartment, RoleAdmin: VisibleEveryone}
}

// Of returns the visibility of a role, its default when not set.
func (s ScoreVisibility) Of(r Role) Visibility {
	if v, ok := s[r]; ok && v.Valid() {
		return v
	}
	if v, ok := DefaultScoreVisibility()[r]; ok {
		return v
	}
	return VisibleSelf // an unknown role sees no more than an employee
}

// MaySee reports whether viewer may see target's score. "department" means
// a member of the viewer's own department; a viewer without a department
// has none to see.
func (s ScoreVisibility) MaySee(viewer, target Member) bool {
	if viewer.ID != "" && viewer.ID == target.ID {
		return true
	}
	switch s.Of(viewer.Role) {
	case VisibleEveryone:
		return true
	case VisibleDepartment:
		return viewer.Department != "" && viewer.Department == target.Department
	}
	return false
}
