package store

import (
	"sort"
	"strings"

	"jifen"
)

// The ranking rules both stores share: how a period's counted members are
// ordered, how ties rank, what a leaderboard lists and what a department
// averages. Each store keeps its boards its own way (bbolt: in memory,
// updated by its committer; PostgreSQL: per replica, read again when a
// write moved them) as sorted []Score, and answers Top, RankOf and
// DepartmentAverages with these.

// Score is a counted member's net points in a period.
type Score struct {
	Member string
	Points int64
}

// CompareScores orders a board: points descending, then member id.
func CompareScores(a, b Score) int {
	if a.Points != b.Points {
		if a.Points > b.Points {
			return -1
		}
		return 1
	}
	return strings.Compare(a.Member, b.Member)
}

// ScoresAbove counts the scores of the sorted s with strictly more points
// than p: a member with p points ranks one after them.
func ScoresAbove(s []Score, p int64) int {
	return sort.Search(len(s), func(i int) bool { return s[i].Points <= p })
}

// RankAmong is the rank of a member counted with pts points among all the
// counted members, their department's and their role's (each sorted).
func RankAmong(pts int64, all, dept, role []Score) Rank {
	return Rank{Points: pts,
		Rank: ScoresAbove(all, pts) + 1, Of: len(all),
		DeptRank: ScoresAbove(dept, pts) + 1, DeptOf: len(dept),
		RoleRank: ScoresAbove(role, pts) + 1, RoleOf: len(role)}
}

// Unranked is the rank of a member not counted in the period, with the
// points the ledger holds for them all the same (an entry dated outside
// their employment).
func Unranked(pts int64, all, dept, role []Score) Rank {
	return Rank{Points: pts, Of: len(all), DeptOf: len(dept), RoleOf: len(role)}
}

// TopScores lists the first n of the sorted s as a leaderboard: members
// with more than 0 points (a leaderboard praises; it never lists 0 or
// less), with their competition rank (ties share the rank of the first).
func TopScores(s []Score, n int, member func(id string) jifen.Member) []Standing {
	out := make([]Standing, 0, min(n, len(s)))
	for i, st := range s {
		if i >= n || st.Points <= 0 {
			break
		}
		rank := i + 1
		if i > 0 && st.Points == s[i-1].Points {
			rank = out[i-1].Rank
		}
		out = append(out, Standing{Member: member(st.Member), Points: st.Points, Rank: rank})
	}
	return out
}

// Averages divides a department's net points by category among its n
// counted members (members without points count as zero).
func Averages(cats map[string]int64, n int) map[string]float64 {
	out := map[string]float64{}
	if n == 0 {
		return out
	}
	for cat, v := range cats {
		out[cat] = float64(v) / float64(n)
	}
	return out
}
