package jifen

// Rating is a member's performance rating for a period (imported by HR):
// a grade A–D, or a numeric score. Score is what correlations use, A=4 …
// D=1 for grades.
type Rating struct {
	Member string  `json:"member"`
	Period string  `json:"period"` // 2026-10, 2026-Q4, 2026
	Grade  string  `json:"grade,omitempty"`
	Score  float64 `json:"score"`
}

// KPI is a business figure for a period (revenue, satisfaction …),
// company-wide or for one department.
type KPI struct {
	Name       string  `json:"name"`
	Period     string  `json:"period"`
	Department string  `json:"department,omitempty"`
	Value      float64 `json:"value"`
}
