package report

import (
	"time"

	"jifen"
	"jifen/rules"
	"jifen/survey"
)

// Source is a ledger with what HR imported, as the store is.
type Source interface {
	Ledger
	Location() *time.Location
	Now() time.Time // the clock
	Ratings(period string) []jifen.Rating
	KPIs(period string) []jifen.KPI
}

// AnalyzeSource is Analyze as of src's clock, with the ratings and KPIs of
// the period, and of the one before, read from src.
func AnalyzeSource(src Source, p jifen.Period, cat *rules.Catalog, t func(string, ...any) string) (*Summary, error) {
	loc := src.Location()
	prev := p.Previous(loc)
	ratings, source := CombinedRatings(src.Ratings, p, loc)
	previous, _ := CombinedRatings(src.Ratings, prev, loc)
	opt := Options{Location: loc, Now: src.Now(), Catalog: cat, T: t,
		Ratings: ratings, RatingsSource: source, PreviousRatings: previous,
		KPIs: src.KPIs(p.Key), PreviousKPIs: src.KPIs(prev.Key), RatingsOf: src.Ratings}
	if ss, ok := src.(SurveySource); ok {
		opt.Surveys = SurveysIn(ss, p)
	}
	return Analyze(src, p, opt)
}

// SurveySource holds survey rounds and answers, as the store does.
type SurveySource interface {
	Rounds(survey string) []survey.Round
	Answers(survey string, n int) []survey.Answer
}

// SurveysIn tallies the survey rounds started in p, survey by survey,
// each against the round before it.
func SurveysIn(src SurveySource, p jifen.Period) []survey.Results {
	all := src.Rounds("")
	out := []survey.Results{}
	for i := 0; i < len(all); {
		j := i
		for j < len(all) && all[j].Survey == all[i].Survey {
			j++
		}
		rounds := all[i:j]
		for k := range rounds {
			if p.Contains(rounds[k].Started) {
				out = append(out, survey.TallyRounds(rounds, k, src.Answers))
			}
		}
		i = j
	}
	return out
}
