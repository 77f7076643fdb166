package config

import (
	"strings"

	"jifen"
)

// Privacy says who may see what of whom. The public leaderboard is not
// part of it: what a leaderboard shows is posted to everyone.
type Privacy struct {
	// ScoreVisibility is, per role, whose score /score @someone shows to
	// a member of that role: self, department or everyone. Every role is
	// set after a load; roles the file leaves out get their default
	// (employee: self, manager: department, admin: everyone).
	ScoreVisibility jifen.ScoreVisibility
}

// privacy decodes
//
//	privacy:
//	  score_visibility: {employee: self, manager: department, admin: everyone}
func (d *decoder) privacy(v value) Privacy {
	p := Privacy{ScoreVisibility: jifen.DefaultScoreVisibility()}
	f := d.fields(v, "score_visibility")
	sv := f.get("score_visibility")
	roles := d.fields(sv, string(jifen.RoleEmployee), string(jifen.RoleManager), string(jifen.RoleAdmin))
	for _, r := range []jifen.Role{jifen.RoleEmployee, jifen.RoleManager, jifen.RoleAdmin} {
		rv := roles.get(string(r))
		if rv.null() {
			continue
		}
		s := jifen.Visibility(strings.ToLower(d.str(rv)))
		if !s.Valid() {
			d.add(rv.node, rv.path, "unknown visibility %q (want self, department or everyone)", clip(string(s)))
			continue
		}
		p.ScoreVisibility[r] = s
	}
	return p
}
