package postgres

// The Store's own read methods, for this package's tests: each reads on
// the pool in a snapshot of its own and can only log a failed read, so
// the store offers its reads through Read alone.

import (
	"jifen"
	"jifen/store"
	"time"
)

// direct is a reader on the pool, for the Store's own read methods (each
// query its own snapshot); done logs a failed read, which those methods
// cannot return.
func (s *Store) direct() (*reader, func()) {
	ctx, cancel := s.readCtx()
	r := &reader{s: s, ctx: ctx, q: s.pool}
	return r, func() {
		cancel()
		if r.err != nil {
			s.log.Error("store: a read failed", "err", r.err)
		}
	}
}

// History: see reader.History.
func (s *Store) History(member string, n int) []jifen.Entry {
	r, done := s.direct()
	defer done()
	return r.History(member, n)
}

// EntryCount: see reader.EntryCount.
func (s *Store) EntryCount() int {
	r, done := s.direct()
	defer done()
	return r.EntryCount()
}

// HasEntries: see reader.HasEntries.
func (s *Store) HasEntries() bool {
	r, done := s.direct()
	defer done()
	return r.HasEntries()
}

// Totals: see reader.Totals.
func (s *Store) Totals(member string, p jifen.Period) store.Agg {
	r, done := s.direct()
	defer done()
	return r.Totals(member, p)
}

// Spent: see reader.Spent.
func (s *Store) Spent(member string, p jifen.Period) int64 {
	r, done := s.direct()
	defer done()
	return r.Spent(member, p)
}

// Balance: see reader.Balance.
func (s *Store) Balance(member string) int64 {
	r, done := s.direct()
	defer done()
	return r.Balance(member)
}

// GiverUsed: see reader.GiverUsed.
func (s *Store) GiverUsed(giver, pool string, p jifen.Period) int64 {
	r, done := s.direct()
	defer done()
	return r.GiverUsed(giver, pool, p)
}

// Categories: see reader.Categories.
func (s *Store) Categories(member string, p jifen.Period) map[string]store.Agg {
	r, done := s.direct()
	defer done()
	return r.Categories(member, p)
}

// StockUsed: see reader.StockUsed.
func (s *Store) StockUsed(item string) int64 {
	r, done := s.direct()
	defer done()
	return r.StockUsed(item)
}

// Entry: see reader.Entry.
func (s *Store) Entry(id uint64) (e jifen.Entry, reversedBy uint64, ok bool) {
	r, done := s.direct()
	defer done()
	return r.Entry(id)
}

// Member: see reader.Member.
func (s *Store) Member(id string) (jifen.Member, bool) {
	r, done := s.direct()
	defer done()
	return r.Member(id)
}

// MemberBySlackID: see reader.MemberBySlackID.
func (s *Store) MemberBySlackID(id string) (jifen.Member, bool) {
	r, done := s.direct()
	defer done()
	return r.MemberBySlackID(id)
}

// MemberByFeishuOpenID: see reader.MemberByFeishuOpenID.
func (s *Store) MemberByFeishuOpenID(id string) (jifen.Member, bool) {
	r, done := s.direct()
	defer done()
	return r.MemberByFeishuOpenID(id)
}

// MemberByEmail: see reader.MemberByEmail.
func (s *Store) MemberByEmail(email string) (jifen.Member, bool) {
	r, done := s.direct()
	defer done()
	return r.MemberByEmail(email)
}

// MembersByName: see reader.MembersByName.
func (s *Store) MembersByName(name string) []jifen.Member {
	r, done := s.direct()
	defer done()
	return r.MembersByName(name)
}

// Members: see reader.Members.
func (s *Store) Members() []jifen.Member {
	r, done := s.direct()
	defer done()
	return r.Members()
}

// RankOf: see reader.RankOf.
func (s *Store) RankOf(member string, p jifen.Period) store.Rank {
	r, done := s.direct()
	defer done()
	return r.RankOf(member, p)
}

// Headcount: see reader.Headcount.
func (s *Store) Headcount(p jifen.Period, dept string) int {
	r, done := s.direct()
	defer done()
	return r.Headcount(p, dept)
}

// Top: see reader.Top.
func (s *Store) Top(p jifen.Period, n int, dept string) []store.Standing {
	r, done := s.direct()
	defer done()
	return r.Top(p, n, dept)
}

// DepartmentAverages: see reader.DepartmentAverages.
func (s *Store) DepartmentAverages(p jifen.Period, dept string) map[string]float64 {
	r, done := s.direct()
	defer done()
	return r.DepartmentAverages(p, dept)
}

// Departments: see reader.Departments.
func (s *Store) Departments() map[string]int {
	r, done := s.direct()
	defer done()
	return r.Departments()
}

// DepartmentSize: see reader.DepartmentSize.
func (s *Store) DepartmentSize(dept string) int {
	r, done := s.direct()
	defer done()
	return r.DepartmentSize(dept)
}

// OpenApprovals: see reader.OpenApprovals.
func (s *Store) OpenApprovals() ([]store.Approval, error) {
	r, done := s.direct()
	defer done()
	return r.OpenApprovals()
}

// Approval: see reader.Approval.
func (s *Store) Approval(id uint64) (store.Approval, bool) {
	r, done := s.direct()
	defer done()
	return r.Approval(id)
}

// Redemptions: see reader.Redemptions.
func (s *Store) Redemptions(member string, n int) []store.Redemption {
	r, done := s.direct()
	defer done()
	return r.Redemptions(member, n)
}

// CatalogVersions: see reader.CatalogVersions.
func (s *Store) CatalogVersions() ([]store.CatalogVersion, error) {
	r, done := s.direct()
	defer done()
	return r.CatalogVersions()
}

// Ratings: see reader.Ratings.
func (s *Store) Ratings(period string) []jifen.Rating {
	r, done := s.direct()
	defer done()
	return r.Ratings(period)
}

// AllRatings: see reader.AllRatings.
func (s *Store) AllRatings() []jifen.Rating {
	r, done := s.direct()
	defer done()
	return r.AllRatings()
}

// KPIs: see reader.KPIs.
func (s *Store) KPIs(period string) []jifen.KPI {
	r, done := s.direct()
	defer done()
	return r.KPIs(period)
}

// AllKPIs: see reader.AllKPIs.
func (s *Store) AllKPIs() []jifen.KPI {
	r, done := s.direct()
	defer done()
	return r.AllKPIs()
}

// FeedbackIn: see reader.FeedbackIn.
func (s *Store) FeedbackIn(member string, p jifen.Period) []store.Feedback {
	r, done := s.direct()
	defer done()
	return r.FeedbackIn(member, p)
}

// LastRun: see reader.LastRun.
func (s *Store) LastRun(name string) time.Time {
	r, done := s.direct()
	defer done()
	return r.LastRun(name)
}

// AuditLog: see reader.AuditLog.
func (s *Store) AuditLog(f store.AuditFilter) []store.AuditRecord {
	r, done := s.direct()
	defer done()
	return r.AuditLog(f)
}

// Seen reports whether an idempotency key is recorded, and its result.
func (s *Store) Seen(key string) ([]byte, bool) {
	ctx, cancel := s.readCtx()
	defer cancel()
	res, found, err := s.lookup(ctx, key)
	return res, found && err == nil
}
