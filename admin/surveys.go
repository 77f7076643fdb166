package admin

// Surveys: the rounds and their results, under the anonymity thresholds
// used everywhere.

// surveyRoutes registers the pages.
func (s *Server) surveyRoutes() {}
