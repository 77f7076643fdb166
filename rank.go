package jifen

import (
	"cmp"
	"slices"
)

// CompetitionRanks ranks people by their points, high to low, as every
// figure of jifen does: 1 + the number of people with strictly more
// points, so 10, 0, 0, -5 rank 1, 2, 2, 4 (zeros above negatives, ties
// sharing a rank).
func CompetitionRanks(people []Member, points func(id string) int64) map[string]int {
	pts := make([]int64, len(people))
	for i, m := range people {
		pts[i] = points(m.ID)
	}
	sorted := slices.Clone(pts)
	slices.SortFunc(sorted, func(a, b int64) int { return cmp.Compare(b, a) })
	out := make(map[string]int, len(people))
	for i, m := range people {
		// The first index holding a value not above pts[i] is how many
		// have more.
		n, _ := slices.BinarySearchFunc(sorted, pts[i], func(v, target int64) int { return cmp.Compare(target, v) })
		out[m.ID] = n + 1
	}
	return out
}
