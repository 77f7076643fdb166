package report

// Coverage is what the summary rests on, so that a reader knows why a
// section is empty: the months and members of the period, its entries, and
// what was configured and imported for it.
type Coverage struct {
	Months          int `json:"months"`           // months_begun
	Members         int `json:"members"`          // counted members
	PreviousMembers int `json:"previous_members"` // counted members of the previous period
	Departments     int `json:"departments"`      // departments of the counted members
	Entries         int `json:"entries"`          // points.entries
	Targets         int `json:"targets"`          // configured targets
	Policies        int `json:"policies"`         // policies listed
	// Ratings: ratings were imported for the period (or combined from its
	// months or quarters: RatingsSource); Rated: how many counted members
	// they rate.
	Ratings       bool   `json:"ratings"`
	Rated         int    `json:"rated"`
	RatingsSource string `json:"ratings_source"` // "" without ratings
	KPIs          int    `json:"kpis"`           // KPI values imported for the period
	SurveyRounds  int    `json:"survey_rounds"`  // survey rounds started in the period
}

// coverage gathers what the figures of s rest on; call it once they are
// computed.
func coverage(s *Summary) Coverage {
	c := Coverage{Months: s.Months, Members: s.Members, PreviousMembers: s.PreviousMembers, Departments: len(s.Departments),
		Entries: s.Points.Entries, Targets: len(s.Targets), Policies: len(s.Policies), KPIs: len(s.KPIs), SurveyRounds: len(s.Surveys)}
	if r := s.Ratings; r != nil {
		c.Ratings, c.Rated, c.RatingsSource = true, r.Rated, r.Source
	}
	return c
}

// coverageLines are the one-line "rests on" of each section of the
// Markdown, by section: targets, points, performance, effect, analysis,
// suggestions.
func coverageLines(c Coverage, t func(string, ...any) string) map[string]string {
	ratings, kpis := t("report.coverage.ratings_none"), t("report.coverage.kpis_none")
	if c.Ratings {
		ratings = t("report.coverage.ratings", c.Rated)
	}
	if c.KPIs > 0 {
		kpis = t("report.coverage.kpis", c.KPIs)
	}
	return map[string]string{
		"targets":     t("report.coverage.targets", c.Targets, c.Months, c.Members, kpis),
		"points":      t("report.coverage.points", c.Months, c.Entries),
		"performance": t("report.coverage.performance", c.Departments, c.Members, c.PreviousMembers),
		"effect":      t("report.coverage.effect", c.Policies, c.SurveyRounds),
		"analysis":    t("report.coverage.analysis", c.Members, ratings, kpis),
		"suggestions": t("report.coverage.suggestions", ratings, kpis, c.SurveyRounds),
	}
}
