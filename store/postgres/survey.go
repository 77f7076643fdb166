package postgres

import (
	"context"
	"crypto/hmac"
	crand "crypto/rand"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"math/big"
	"slices"
	"time"

	"github.com/jackc/pgx/v5"

	"jifen"
	"jifen/survey"
)

// Survey rounds and answers (docs/survey-anonymity.md says why they are
// kept so, and what an operator must do).
//
//	survey_rounds   (survey, n) → the round (JSON), with anonymous and closed
//	survey_answers  (survey, n, respondent) → the answer (JSON)
//
// The respondent of a named round's answer is the member id. Of an open
// anonymous round's answer it is HMAC-SHA256(AnswerKey, survey \0 be32(n)
// member), in hex: every replica holding the key finds a member's answer,
// so a member may change it on any replica while the round is open, and a
// row under that key is the only record that they answered (no list of
// who answered: a row of it would be written with the answer, in the same
// transaction, and share its xmin). The answer holds no member and no
// time, and of the department and level only what survey.Round.Attributes
// keeps. Without the key, the database does not tell whose an answer is.
// The transaction that writes an anonymous answer writes nothing else but
// its idempotency key, whose times are the round's, not the answer's (see
// Tx.anonymousOnly).
//
// Closing an anonymous round deletes its answers and inserts them again,
// in random order, under fresh random respondents, in the closing
// transaction; after the commit VACUUM FULL rewrites the answers table
// (and the outbox, whose sent cards showed members their answers), so
// that no dead row keeps the old keys or the order the answers came in.
// The planner keeps no statistics of the respondents (a histogram of
// them would list who answered).
// From then on even the key links no answer to anyone.

// ErrNoAnswerKey is returned when an anonymous round is started or
// answered on a store opened without Options.AnswerKey.
var ErrNoAnswerKey = errors.New("store: an anonymous survey needs an answer key (store.answer_key): none is configured")

// Advisory lock classes (the first of the two-int keys; the single bigint
// key of the migration lock lives in another space).
const (
	lockSurvey int32 = 0x6a660001 // a survey's rounds: starting one
	lockRound  int32 = 0x6a660002 // a round: shared by answers, exclusive by the close
	lockAnswer int32 = 0x6a660003 // one respondent's answer: read, changed, written
)

const roundColumns = "round"

func scanRound(r scanner) (survey.Round, error) {
	var raw []byte
	var rd survey.Round
	if err := r.Scan(&raw); err != nil {
		return rd, err
	}
	err := json.Unmarshal(raw, &rd)
	return rd, err
}

// respondent is the key m's answer to r is kept under while r is open.
func (s *Store) respondent(r *survey.Round, member string) (string, error) {
	if !r.Anonymous {
		return member, nil
	}
	if len(s.answerKey) == 0 {
		return "", ErrNoAnswerKey
	}
	mac := hmac.New(sha256.New, s.answerKey)
	mac.Write([]byte(r.Survey))
	mac.Write([]byte{0})
	mac.Write(binary.BigEndian.AppendUint32(nil, uint32(r.N)))
	mac.Write([]byte(member))
	return hex.EncodeToString(mac.Sum(nil)), nil
}

// answerKeyCheck is what meta keeps of the answer key: an HMAC of a
// constant under it, which tells whether two keys are the same and
// nothing of either.
func answerKeyCheck(key []byte) string {
	mac := hmac.New(sha256.New, key)
	mac.Write([]byte("jifen answer key check"))
	return hex.EncodeToString(mac.Sum(nil))
}

// checkAnswerKey records which answer key the open anonymous rounds'
// answers are filed under, and refuses another one while such a round is
// open: the answers filed under the first could no longer be found, and
// their members could answer again. With no round open the key may
// change.
func (s *Store) checkAnswerKey(ctx context.Context) error {
	if len(s.answerKey) == 0 {
		return nil
	}
	check := answerKeyCheck(s.answerKey)
	var stored string
	var open bool
	err := s.pool.QueryRow(ctx, `WITH ins AS (INSERT INTO meta (key, value) VALUES ('answer_key', $1)
		ON CONFLICT (key) DO NOTHING RETURNING value)
		SELECT coalesce((SELECT value FROM ins), (SELECT value FROM meta WHERE key = 'answer_key')),
			EXISTS (SELECT 1 FROM survey_rounds WHERE anonymous AND closed IS NULL)`, check).Scan(&stored, &open)
	switch {
	case err != nil:
		return fmt.Errorf("read the store's answer key check: %w", err)
	case stored == check:
		return nil
	case open:
		return errors.New("store.answer_key is not the key the open anonymous survey rounds' answers are filed under: give every replica the same key, and change it only while no anonymous round is open")
	}
	_, err = s.pool.Exec(ctx, "UPDATE meta SET value = $1 WHERE key = 'answer_key'", check)
	return err
}

// randomRespondent is a key that leads to no one: 32 random bytes, in
// hex, as long as an HMAC.
func randomRespondent() string {
	b := make([]byte, 32)
	_, _ = crand.Read(b)
	return hex.EncodeToString(b)
}

// advisory takes a transaction-scoped advisory lock.
func (tx *Tx) advisory(class int32, key string, shared bool) error {
	fn := "pg_advisory_xact_lock"
	if shared {
		fn = "pg_advisory_xact_lock_shared"
	}
	_, err := tx.exec("SELECT "+fn+"($1, hashtext($2))", class, key)
	return err
}

func roundLockKey(surveyID string, n int) string { return fmt.Sprintf("%s\x1f%d", surveyID, n) }

// StartRound records a new round of r.Survey, numbered after the last
// one. A survey has one open round at a time: starting another while one
// is open is a conflict. An anonymous round needs the answer key.
func (tx *Tx) StartRound(r *survey.Round) error {
	if r.Anonymous && len(tx.s.answerKey) == 0 {
		return ErrNoAnswerKey
	}
	// Two replicas starting a round of one survey run one after the other.
	if err := tx.advisory(lockSurvey, r.Survey, false); err != nil {
		return err
	}
	last, ok := tx.LastRound(r.Survey)
	if tx.err != nil {
		return tx.err
	}
	if ok && last.Open(tx.now) {
		return jifen.Errorf(jifen.ECONFLICT, "err.survey_open", last.ID())
	}
	r.N = last.N + 1
	return tx.PutRound(r)
}

// PutRound saves a round's state (reminded, closed).
func (tx *Tx) PutRound(r *survey.Round) error {
	raw, err := json.Marshal(r)
	if err != nil {
		return err
	}
	var closed *time.Time
	if !r.Closed.IsZero() {
		c := r.Closed.UTC()
		closed = &c
	}
	_, err = tx.exec(`INSERT INTO survey_rounds (survey, n, anonymous, closed, round) VALUES ($1, $2, $3, $4, $5::json)
		ON CONFLICT (survey, n) DO UPDATE SET anonymous = excluded.anonymous, closed = excluded.closed, round = excluded.round`,
		r.Survey, r.N, r.Anonymous, closed, string(raw))
	return err
}

// CloseRound closes a round now. An anonymous round's answers are filed
// again, in random order under random respondents, and the answers table
// is rewritten after the commit (VACUUM FULL): nothing leads from a
// member to an answer any more, with the answer key or without it.
func (tx *Tx) CloseRound(r *survey.Round) error {
	// Answers being written to the round finish first; later ones find
	// it closed.
	if err := tx.advisory(lockRound, roundLockKey(r.Survey, r.N), false); err != nil {
		return err
	}
	r.Closed = tx.now
	if err := tx.PutRound(r); err != nil {
		return err
	}
	if !r.Anonymous {
		return nil
	}
	rows, err := tx.tx.Query(tx.ctx, "SELECT answer::text FROM survey_answers WHERE survey = $1 AND n = $2", r.Survey, r.N)
	if err != nil {
		tx.note(err)
		return err
	}
	answers, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		tx.note(err)
		return err
	}
	if _, err := tx.exec("DELETE FROM survey_answers WHERE survey = $1 AND n = $2", r.Survey, r.N); err != nil {
		return err
	}
	shuffle(answers)
	keys := make([]string, len(answers))
	for i := range keys {
		keys[i] = randomRespondent()
	}
	// One statement inserts them in the shuffled order.
	if _, err := tx.exec(`INSERT INTO survey_answers (survey, n, respondent, answer)
		SELECT $1, $2, k, a::json FROM unnest($3::text[], $4::text[]) AS u(k, a)`, r.Survey, r.N, keys, answers); err != nil {
		return err
	}
	// The outbox too: a card sent to a member, marked with their answer,
	// is a dead row once sent.
	return tx.vacuumAfter("survey_answers", "outbox")
}

// shuffle puts xs in a random order drawn from crypto/rand (Fisher-Yates).
func shuffle(xs []string) {
	for i := len(xs) - 1; i > 0; i-- {
		j, err := crand.Int(crand.Reader, big.NewInt(int64(i+1)))
		if err != nil {
			panic(err) // crypto/rand does not fail
		}
		k := int(j.Int64())
		xs[i], xs[k] = xs[k], xs[i]
	}
}

// Round reads a round as the transaction sees it.
func (tx *Tx) Round(surveyID string, n int) (survey.Round, bool) {
	r := tx.reader()
	rd, ok := r.Round(surveyID, n)
	tx.note(r.err)
	return rd, ok
}

// LastRound is a survey's latest round.
func (tx *Tx) LastRound(surveyID string) (survey.Round, bool) {
	rd, err := scanRound(tx.tx.QueryRow(tx.ctx, "SELECT "+roundColumns+" FROM survey_rounds WHERE survey = $1 ORDER BY n DESC LIMIT 1", surveyID))
	if err != nil {
		if !isNoRows(err) {
			tx.note(err)
		}
		return survey.Round{}, false
	}
	return rd, true
}

// AnswerOf is m's answer to an open round so far (the zero Answer if
// none). Until the transaction ends no other transaction changes it, so
// an answer read, changed and written back loses no click made meanwhile
// on another replica.
func (tx *Tx) AnswerOf(r *survey.Round, member string) survey.Answer {
	if !r.Closed.IsZero() {
		return survey.Answer{}
	}
	key, err := tx.s.respondent(r, member)
	if err != nil {
		tx.note(err)
		return survey.Answer{}
	}
	// The locks PutAnswer takes, in the same order: the round's, shared,
	// then the answer's.
	if tx.advisory(lockRound, roundLockKey(r.Survey, r.N), true) != nil ||
		tx.advisory(lockAnswer, roundLockKey(r.Survey, r.N)+"\x1f"+key, false) != nil {
		return survey.Answer{}
	}
	rd := tx.reader()
	a := rd.answer(r, key)
	tx.note(rd.err)
	return a
}

// PutAnswer saves m's answer to an open round, replacing any earlier one.
// An anonymous round's answer is stripped of the member and the time, and
// its department and level are coarsened to groups large enough; the
// transaction must then write nothing else (Tx.anonymousOnly).
func (tx *Tx) PutAnswer(r *survey.Round, m jifen.Member, a survey.Answer) error {
	if !r.Closed.IsZero() {
		return jifen.Errorf(jifen.ECONFLICT, "err.survey_closed", r.ID())
	}
	key, err := tx.s.respondent(r, m.ID)
	if err != nil {
		return err
	}
	// The close, on any replica, waits for this transaction, or this one
	// for the close, and then finds the round closed.
	if err := tx.advisory(lockRound, roundLockKey(r.Survey, r.N), true); err != nil {
		return err
	}
	if err := tx.advisory(lockAnswer, roundLockKey(r.Survey, r.N)+"\x1f"+key, false); err != nil {
		return err
	}
	var closed bool
	found, err := tx.row("SELECT closed IS NOT NULL FROM survey_rounds WHERE survey = $1 AND n = $2", []any{r.Survey, r.N}, &closed)
	if err != nil {
		return err
	}
	if !found {
		return jifen.Errorf(jifen.ENOTFOUND, "err.survey_unknown", r.ID())
	}
	if closed {
		return jifen.Errorf(jifen.ECONFLICT, "err.survey_closed", r.ID())
	}
	a.Department, a.Level = r.Attributes(m)
	a.Member, a.At = m.ID, tx.now
	if r.Anonymous {
		a.Member, a.At = "", time.Time{}
		tx.anonymous = append(tx.anonymous, *r)
	}
	raw, err := json.Marshal(a)
	if err != nil {
		return err
	}
	// Not tracked: the one write an anonymous answer's transaction makes.
	_, err = tx.tx.Exec(tx.ctx, `INSERT INTO survey_answers (survey, n, respondent, answer) VALUES ($1, $2, $3, $4::json)
		ON CONFLICT (survey, n, respondent) DO UPDATE SET answer = excluded.answer`, r.Survey, r.N, key, string(raw))
	tx.note(err)
	return err
}

// anonymousOnly refuses a transaction that wrote an anonymous answer and
// anything else: every row a transaction writes carries its id (xmin),
// so a row naming the member (an entry, an audit record, a queued
// message, a caller's idempotency key and its result) would say whose the
// answer is. Every statement of a Tx that writes or locks rows is noted
// (Tx.track), but for PutAnswer's own; the write's own idempotency key is
// recorded after the check, with the round's times (keyTimes).
func (tx *Tx) anonymousOnly(callerKey bool, res []byte) error {
	if len(tx.anonymous) == 0 {
		return nil
	}
	if callerKey {
		return errors.New("store: an anonymous survey answer is written without an idempotency key (it would be kept beside the answer)")
	}
	if len(res) > 0 {
		return errors.New("store: an anonymous survey answer's write returns no result (it would be kept beside the answer, in its key's row)")
	}
	others := slices.Compact(slices.Sorted(slices.Values(tx.writes)))
	if len(others) > 0 {
		return fmt.Errorf("store: an anonymous survey answer is written in a transaction of its own; this one also writes %v", others)
	}
	return nil
}

// keyTimes are the times recorded with the write's own idempotency key:
// now and the key's expiry, or, for a write of anonymous answers, the
// start of their rounds and the expiry after their close, which say
// nothing of when the answer came.
func (tx *Tx) keyTimes() (at, expires time.Time) {
	if len(tx.anonymous) == 0 {
		return tx.now, tx.now.Add(tx.s.ttl)
	}
	at, until := tx.anonymous[0].Started, tx.anonymous[0].Closes
	for _, r := range tx.anonymous[1:] {
		at, until = minTime(at, r.Started), maxTime(until, r.Closes)
	}
	until = maxTime(until, tx.now)
	return at.UTC(), until.Add(tx.s.ttl).UTC()
}

func minTime(a, b time.Time) time.Time {
	if b.Before(a) {
		return b
	}
	return a
}

func maxTime(a, b time.Time) time.Time {
	if b.After(a) {
		return b
	}
	return a
}

// Rounds lists a survey's rounds, oldest first; "" lists every survey's.
func (r *reader) Rounds(surveyID string) []survey.Round {
	return collect(r, "survey rounds", "SELECT "+roundColumns+` FROM survey_rounds WHERE $1 = '' OR survey = $1 ORDER BY survey COLLATE "C", n`,
		func(row pgx.CollectableRow) (survey.Round, error) { return scanRound(row) }, surveyID)
}

// Round reads one round.
func (r *reader) Round(surveyID string, n int) (survey.Round, bool) {
	rd, err := scanRound(r.q.QueryRow(r.ctx, "SELECT "+roundColumns+" FROM survey_rounds WHERE survey = $1 AND n = $2", surveyID, n))
	if err != nil {
		if !isNoRows(err) {
			r.fail("a survey round", err)
		}
		return survey.Round{}, false
	}
	return rd, true
}

// Answers lists a round's answers in the order of their respondents (for
// an anonymous round, an order that says nothing).
func (r *reader) Answers(surveyID string, n int) []survey.Answer {
	return collect(r, "survey answers", `SELECT answer::text FROM survey_answers WHERE survey = $1 AND n = $2 ORDER BY respondent COLLATE "C"`,
		func(row pgx.CollectableRow) (survey.Answer, error) {
			var raw string
			var a survey.Answer
			if err := row.Scan(&raw); err != nil {
				return a, err
			}
			return a, json.Unmarshal([]byte(raw), &a)
		}, surveyID, n)
}

// answer reads the answer filed under key (the zero Answer if none).
func (r *reader) answer(rd *survey.Round, key string) survey.Answer {
	var raw string
	var a survey.Answer
	err := r.q.QueryRow(r.ctx, "SELECT answer::text FROM survey_answers WHERE survey = $1 AND n = $2 AND respondent = $3", rd.Survey, rd.N, key).Scan(&raw)
	switch {
	case isNoRows(err):
	case err != nil:
		r.fail("a survey answer", err)
	default:
		if err := json.Unmarshal([]byte(raw), &a); err != nil {
			r.fail("a survey answer", err)
		}
	}
	return a
}

// Answered reports whether member has answered round r; of an anonymous
// round, only while it is open (its close files the answers under keys
// that lead to no one).
func (r *reader) Answered(rd *survey.Round, member string) bool {
	if rd.Anonymous && !rd.Closed.IsZero() {
		return false
	}
	key, err := r.s.respondent(rd, member)
	if err != nil {
		r.fail("who answered", err)
		return false
	}
	var ok bool
	if err := r.q.QueryRow(r.ctx, "SELECT EXISTS (SELECT 1 FROM survey_answers WHERE survey = $1 AND n = $2 AND respondent = $3)",
		rd.Survey, rd.N, key).Scan(&ok); err != nil {
		r.fail("a survey answer", err)
	}
	return ok
}

// Locked is always false here: every replica finds a member's answer to
// an open anonymous round through the answer key, before a restart and
// after, so a member can always read and change it until the close.
func (r *reader) Locked(*survey.Round, string) bool { return false }

// AnswerOf reads member's answer to an open round (the zero Answer if
// none).
func (r *reader) AnswerOf(rd *survey.Round, member string) survey.Answer {
	if !rd.Closed.IsZero() {
		return survey.Answer{}
	}
	key, err := r.s.respondent(rd, member)
	if err != nil {
		r.fail("a survey answer", err)
		return survey.Answer{}
	}
	return r.answer(rd, key)
}

// forgetAnswers removes what leads to member from the survey answers: the
// answers of named rounds, and the answer to each open anonymous round
// filed under their key (a row kept under another key would still be
// told apart: by the forgetting's xmin, or, with the answer key, as the
// one no member's key matches).
func (tx *Tx) forgetAnswers(member string) error {
	if _, err := tx.exec(`DELETE FROM survey_answers a USING survey_rounds r
		WHERE a.survey = r.survey AND a.n = r.n AND NOT r.anonymous AND a.respondent = $1`, member); err != nil {
		return err
	}
	if len(tx.s.answerKey) == 0 {
		return nil
	}
	rows, err := tx.tx.Query(tx.ctx, "SELECT "+roundColumns+" FROM survey_rounds WHERE anonymous AND closed IS NULL")
	if err != nil {
		tx.note(err)
		return err
	}
	open, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (survey.Round, error) { return scanRound(row) })
	if err != nil {
		tx.note(err)
		return err
	}
	var surveys []string
	var ns []int32
	var keys []string
	for i := range open {
		key, err := tx.s.respondent(&open[i], member)
		if err != nil {
			return err
		}
		surveys, ns, keys = append(surveys, open[i].Survey), append(ns, int32(open[i].N)), append(keys, key)
	}
	if len(keys) == 0 {
		return nil
	}
	_, err = tx.exec(`DELETE FROM survey_answers a USING unnest($1::text[], $2::int[], $3::text[]) AS k(survey, n, respondent)
		WHERE a.survey = k.survey AND a.n = k.n AND a.respondent = k.respondent`, surveys, ns, keys)
	return err
}
