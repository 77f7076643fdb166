package admin

// Rules: the catalog's versions and what each changed, and a proposed
// catalog simulated against what happened.

// ruleRoutes registers the pages.
func (s *Server) ruleRoutes() {}
