package admin

// Imports: members, ratings, KPIs and points uploaded as CSV or XLSX,
// previewed, and written only when confirmed.

// importRoutes registers the pages.
func (s *Server) importRoutes() {}
