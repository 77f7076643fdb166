package admin

// The ledger: entries searched by member, department, behavior and
// period, with their history, and the filtered rows exported.

// ledgerRoutes registers the pages.
func (s *Server) ledgerRoutes() {}
