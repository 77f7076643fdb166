package store

import (
	"context"
	"time"

	"jifen"
	"jifen/rules"
	"jifen/survey"
)

// The store contract: what the command core, the reports, the scheduler,
// the surveys, the shop and the console need from a ledger, whichever
// database keeps it. The bbolt store in this package (Store, Tx) is one
// implementation; store/postgres is the other. Both pass the conformance
// suite in store/storetest. docs/store-contract.md says why it is shaped
// so.
//
// Reads and writes happen in transactions. A write is a function run by
// Ledger.Write inside one transaction with its idempotency key; a read is
// a function run by Ledger.Read. The methods of Reader and Txn return no
// error: an implementation whose reads can fail (a lost connection) keeps
// the first failure, answers zero values from then on, and the Read or
// Write that handed them out returns that failure, so nothing read from a
// failed transaction is acted upon.

// Ledger is a store of the ledger and everything around it.
type Ledger interface {
	// Write runs fn in one transaction. With a non-empty key the write is
	// idempotent: a key already recorded is not run again, and its first
	// result is returned with replayed = true. An error from fn writes
	// nothing and records no key. A ctx from WithAudit also appends its
	// audit record in the transaction.
	Write(ctx context.Context, key string, fn func(Txn) ([]byte, error)) (res []byte, replayed bool, err error)
	// Read runs fn with a Reader; it returns fn's error or the first read
	// that failed.
	Read(ctx context.Context, fn func(Reader) error) error

	// Writes of their own, each one transaction.
	PutMembers(ctx context.Context, members []jifen.Member) error
	SyncMembers(ctx context.Context, members []jifen.Member) error
	RegisterNewMember(ctx context.Context, m jifen.Member, ids []string, nameSuffix string) (jifen.Member, error)
	LinkMember(ctx context.Context, id string, link jifen.Member) (jifen.Member, error)
	TryLinkMember(ctx context.Context, id string, link jifen.Member) (linked bool, err error)
	ForgetMember(ctx context.Context, id, pseudonym string) error
	PutRatings(ctx context.Context, rs []jifen.Rating) error
	PutKPIs(ctx context.Context, ks []jifen.KPI) error
	AddFeedback(ctx context.Context, key string, f Feedback) error
	RegisterCatalog(ctx context.Context, fingerprint string, content any) (int, error)
	ClaimRun(ctx context.Context, name string, fire time.Time) (bool, error)
	// FirstSeen is when the scheduler first saw a job: now, recorded, the
	// first time it is asked.
	FirstSeen(name string, now time.Time) time.Time
	Audit(ctx context.Context, r AuditRecord) error

	// The outbox: messages queued by writes and sent by senders, one or
	// more per platform, in one process or in several sharing the store.
	Enqueue(ctx context.Context, msgs ...Outgoing) error
	// OutboxClaim claims up to limit messages of platform that are due at
	// now, oldest first, for the caller to send: a claimed message is
	// handed to no other claim until lease has passed (the sender that
	// claimed it died) or it is released, retried or done. A message is
	// claimed only when no earlier message to its receiver is still in the
	// outbox, so one receiver's messages go one at a time and in order
	// whichever sender takes them; and, with spacing set, only when no
	// message to its receiver was claimed in the spacing before now.
	OutboxClaim(ctx context.Context, platform string, now time.Time, limit int, lease, spacing time.Duration) ([]Outgoing, error)
	// OutboxRelease ends claims without counting an attempt: the sender
	// stopped before it sent them.
	OutboxRelease(ctx context.Context, platform string, ids ...uint64) error
	// OutboxDue reads (claims nothing) up to limit messages of platform,
	// oldest first, that are due at now and whose id is above after.
	OutboxDue(platform string, after uint64, now time.Time, limit int) ([]Outgoing, error)
	OutboxGet(platform string, id uint64) (Outgoing, bool, error)
	OutboxLen(platform string) (int, error)
	OutboxDone(ctx context.Context, platform string, ids ...uint64) error
	// OutboxRetry counts a failed attempt, holds the message back until
	// notBefore and ends its claim.
	OutboxRetry(ctx context.Context, platform string, id uint64, notBefore time.Time) (int, error)
	// OutboxChanged is closed when a message is queued, released or
	// rescheduled (on a store shared by several processes, by any of
	// them).
	OutboxChanged() <-chan struct{}

	// Keys kept in the store and left out of backups.
	LinkKey(ctx context.Context) ([]byte, error)
	SessionKey(ctx context.Context) ([]byte, error)
	RotateLinkKey(ctx context.Context) error

	// Verify recomputes every figure from the entries and checks the
	// records refer to each other as they must.
	Verify() (VerifyReport, error)

	// Now is the store's clock (UTC); Location the zone periods are in.
	Now() time.Time
	Location() *time.Location
	// Err is the failure that stopped the store, if any; Failed is closed
	// then.
	Err() error
	Failed() <-chan struct{}
	Ping() error
	Close() error
}

// Reader reads the ledger.
type Reader interface {
	Now() time.Time
	Location() *time.Location

	// The directory.
	Member(id string) (jifen.Member, bool)
	MemberBySlackID(id string) (jifen.Member, bool)
	MemberByFeishuOpenID(id string) (jifen.Member, bool)
	MemberByEmail(email string) (jifen.Member, bool)
	MembersByName(name string) []jifen.Member
	Members() []jifen.Member
	DepartmentSize(dept string) int
	Departments() map[string]int

	// Figures and standings.
	Totals(member string, p jifen.Period) Agg
	Balance(member string) int64
	Spent(member string, p jifen.Period) int64
	GiverUsed(giver, pool string, p jifen.Period) int64
	Categories(member string, p jifen.Period) map[string]Agg
	RankOf(member string, p jifen.Period) Rank
	Top(p jifen.Period, n int, dept string) []Standing
	Headcount(p jifen.Period, dept string) int
	DepartmentAverages(p jifen.Period, dept string) map[string]float64

	// Entries.
	History(member string, n int) []jifen.Entry
	Entry(id uint64) (e jifen.Entry, reversedBy uint64, ok bool)
	EntryCount() int
	HasEntries() bool
	// ForEachEntry passes every entry, whole, in id order (export);
	// ScanEntries passes the fields analyses read, by receiver then id
	// (reports).
	ScanEntries(fn func(e *jifen.Entry) error) error
	ForEachEntry(fn func(e *jifen.Entry) error) error
	LedgerIDs(f LedgerFilter) ([]uint64, error)
	LedgerRows(ids []uint64, fn func(r *LedgerRow) error) error

	// Approvals, redemptions and stock.
	Approval(id uint64) (Approval, bool)
	OpenApprovals() ([]Approval, error)
	Redemptions(member string, n int) []Redemption
	StockUsed(item string) int64

	// Surveys.
	Rounds(surveyID string) []survey.Round
	Round(surveyID string, n int) (survey.Round, bool)
	Answers(surveyID string, n int) []survey.Answer
	Answered(r *survey.Round, member string) bool
	Locked(r *survey.Round, member string) bool
	AnswerOf(r *survey.Round, member string) survey.Answer

	// Imported by HR, and feedback.
	Ratings(period string) []jifen.Rating
	KPIs(period string) []jifen.KPI
	AllRatings() []jifen.Rating
	AllKPIs() []jifen.KPI
	FeedbackIn(member string, p jifen.Period) []Feedback

	// Bookkeeping.
	Seen(key string) ([]byte, bool)
	LastRun(name string) time.Time
	CatalogVersions() ([]CatalogVersion, error)
	AuditLog(f AuditFilter) []AuditRecord
}

// Txn is a write transaction: it reads what the transaction sees,
// including its own writes, and its writes are committed together or not
// at all.
type Txn interface {
	Now() time.Time
	Location() *time.Location

	Member(id string) (jifen.Member, bool)
	PutMember(m jifen.Member) error
	// Members and DepartmentSize read the directory as committed: what a
	// write needs of it (the admins who decide, the size of the giver's
	// team, which sizes their allowance).
	Members() []jifen.Member
	DepartmentSize(dept string) int
	// MembersByName reads the directory as Members does, for a write
	// that names members (an import's rows).
	MembersByName(name string) []jifen.Member

	// Entries and the figures limits are checked against.
	Append(e *jifen.Entry) (uint64, error)
	Entry(id uint64) (jifen.Entry, bool)
	ReversedBy(id uint64) uint64
	Balance(member string) int64
	Net(member string, p jifen.Period) int64
	PendingPoints(member string, p jifen.Period) int64
	Usage() rules.Usage
	Seen(key string) ([]byte, bool)

	AddApproval(a *Approval) (uint64, error)
	Approval(id uint64) (Approval, bool)
	DecideApproval(a *Approval) error

	AddRedemption(r *Redemption) (uint64, error)
	PutRedemption(r *Redemption) error
	Redemption(id uint64) (Redemption, bool)
	RedemptionOf(entry uint64) (Redemption, bool)
	RefundRedemption(r *Redemption, status RedemptionStatus, revoke jifen.Entry) (uint64, error)
	StockUsed(item string) int64

	StartRound(r *survey.Round) error
	PutRound(r *survey.Round) error
	CloseRound(r *survey.Round) error
	Round(surveyID string, n int) (survey.Round, bool)
	LastRound(surveyID string) (survey.Round, bool)
	AnswerOf(r *survey.Round, member string) survey.Answer
	PutAnswer(r *survey.Round, m jifen.Member, a survey.Answer) error

	PutRating(r jifen.Rating) error
	PutKPI(k jifen.KPI) error
	ClaimRun(name string, fire time.Time) (bool, error)
	Enqueue(o Outgoing) (uint64, error)
	Audit(r AuditRecord) error
}

// OutboxPacer is implemented by a store several processes share: each
// platform's send pace is kept in the store, so the senders of every
// process together keep to it (Feishu's limit is per app, not per
// process). A sender of a store without it paces itself.
type OutboxPacer interface {
	// OutboxSlot reserves platform's next send slot, interval after the
	// one reserved before it and not before now, and returns it: the
	// caller sends at that time.
	OutboxSlot(ctx context.Context, platform string, now time.Time, interval time.Duration) (time.Time, error)
	// OutboxHold moves platform's next slot to until, if it is earlier
	// (the platform asked every sender to wait).
	OutboxHold(ctx context.Context, platform string, until time.Time) error
}

// FindMember looks a member up in one read of l: lookup picks them (by
// id, platform id, email, …). A read that failed is the error, never "no
// such member".
func FindMember(ctx context.Context, l Ledger, lookup func(Reader) (jifen.Member, bool)) (m jifen.Member, ok bool, err error) {
	err = l.Read(ctx, func(r Reader) error {
		m, ok = lookup(r)
		return nil
	})
	if err != nil {
		return jifen.Member{}, false, err
	}
	return m, ok, nil
}

// Read runs fn with the store itself: a bbolt read cannot fail.
func (s *Store) Read(ctx context.Context, fn func(Reader) error) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	return fn(s)
}

var (
	_ Ledger = (*Store)(nil)
	_ Reader = (*Store)(nil)
	_ Txn    = (*Tx)(nil)
)
