package admin

// Decisions: the approvals and redemptions queues, decided with the same
// rules as in chat.

// decisionRoutes registers the pages.
func (s *Server) decisionRoutes() {}
