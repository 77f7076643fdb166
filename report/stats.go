// Package report computes the period summary (小结) from the ledger and
// renders it: what the points were given for, what they did for each
// department and role, how they are distributed, and what to change, each
// suggestion backed by a figure.
package report

import (
	"math"
	"slices"
	"sort"
)

// Ranks returns the rank of each value, 1 for the smallest, with ties given
// the average of the ranks they span (the "fractional" ranking Spearman's
// coefficient needs).
func Ranks(xs []float64) []float64 {
	idx := make([]int, len(xs))
	for i := range idx {
		idx[i] = i
	}
	sort.SliceStable(idx, func(a, b int) bool { return xs[idx[a]] < xs[idx[b]] })
	ranks := make([]float64, len(xs))
	for i := 0; i < len(idx); {
		j := i
		for j+1 < len(idx) && xs[idx[j+1]] == xs[idx[i]] {
			j++
		}
		avg := float64(i+j)/2 + 1
		for k := i; k <= j; k++ {
			ranks[idx[k]] = avg
		}
		i = j + 1
	}
	return ranks
}

// Pearson is the correlation coefficient of xs and ys; NaN when either has
// no variance or they differ in length or have fewer than two values.
func Pearson(xs, ys []float64) float64 {
	n := len(xs)
	if n != len(ys) || n < 2 {
		return math.NaN()
	}
	var mx, my float64
	for i := range xs {
		mx += xs[i]
		my += ys[i]
	}
	mx /= float64(n)
	my /= float64(n)
	var sxy, sxx, syy float64
	for i := range xs {
		dx, dy := xs[i]-mx, ys[i]-my
		sxy += dx * dy
		sxx += dx * dx
		syy += dy * dy
	}
	if sxx == 0 || syy == 0 {
		return math.NaN()
	}
	return sxy / math.Sqrt(sxx*syy)
}

// Spearman is the rank correlation of xs and ys: Pearson's coefficient of
// their ranks, which handles ties correctly (the textbook 1-6Σd²/n(n²-1)
// shortcut does not).
func Spearman(xs, ys []float64) float64 {
	if len(xs) != len(ys) {
		return math.NaN()
	}
	return Pearson(Ranks(xs), Ranks(ys))
}

// Quartiles are the 25th, 50th and 75th percentiles of xs, by linear
// interpolation between closest ranks (the method spreadsheets call
// QUARTILE.INC), with the minimum and maximum.
type Quartiles struct {
	Min, Q1, Median, Q3, Max float64
}

// QuartilesOf computes the quartiles of xs (zero for no values).
func QuartilesOf(xs []float64) Quartiles {
	if len(xs) == 0 {
		return Quartiles{}
	}
	s := slices.Clone(xs)
	slices.Sort(s)
	return Quartiles{Min: s[0], Q1: percentile(s, 0.25), Median: percentile(s, 0.5), Q3: percentile(s, 0.75), Max: s[len(s)-1]}
}

// percentile of sorted values, p in [0,1], interpolating linearly.
func percentile(sorted []float64, p float64) float64 {
	if len(sorted) == 1 {
		return sorted[0]
	}
	pos := p * float64(len(sorted)-1)
	lo := int(math.Floor(pos))
	hi := min(lo+1, len(sorted)-1)
	return sorted[lo] + (pos-float64(lo))*(sorted[hi]-sorted[lo])
}

// Mean is the average of xs (0 for none).
func Mean(xs []float64) float64 {
	if len(xs) == 0 {
		return 0
	}
	var s float64
	for _, x := range xs {
		s += x
	}
	return s / float64(len(xs))
}

// Change is the relative change from before to after, as a fraction
// (0.2 = +20%); NaN when before is zero.
func Change(before, after float64) float64 {
	if before == 0 {
		return math.NaN()
	}
	return (after - before) / math.Abs(before)
}
