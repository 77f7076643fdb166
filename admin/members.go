package admin

// Members: the directory with platform ids, department, level, joined
// and left dates, and the directory sync's preview.

// memberRoutes registers the pages.
func (s *Server) memberRoutes() {}
