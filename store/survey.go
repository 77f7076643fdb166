package store

import (
	"bytes"
	"crypto/rand"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"slices"
	"sync"
	"time"

	bolt "go.etcd.io/bbolt"

	"jifen"
	"jifen/survey"
)

// Survey rounds and answers.
//
//	survey_rounds    survey \0 be32(n) → JSON survey.Round
//	survey_answers   survey \0 be32(n) \0 respondent → JSON survey.Answer
//	survey_answered  survey \0 be32(n) \0 member → empty: who has answered
//	                 an anonymous round, while it is open
//
// The respondent of a non-anonymous round is the member id. Of an
// anonymous round it is a random key, drawn when the member first
// answers: the answer holds no member id and no time, and of the
// department and level only those whose group in the round's audience is
// large enough (survey.Round.Attributes). Which member drew which key is
// kept in memory only (links, below), never in the file: while the
// process runs a member can change their answer; after a restart a member
// listed in survey_answered is told their answer is recorded and can no
// longer be changed. survey_answered lets the bot remind those who have
// not answered and refuse a second answer. Closing the round deletes it,
// writes the round's answers anew (so the pages they sit on say nothing
// of when each came) and has every free page of the file zeroed
// (scrub.go), so that the stale page versions written while the round was
// open, which could be compared to pair a new answer with a new
// respondent, are gone too. Backups are compacted copies without free
// pages (backup.go). From the close on, neither the file nor a backup
// made afterwards links an answer to anyone.
//
// The links live in one process. The PostgreSQL store, which several
// replicas share, files an open round's answers under an HMAC of a key
// kept outside the database instead (store/postgres/survey.go,
// docs/survey-anonymity.md).

func roundKey(surveyID string, n int) []byte {
	return binary.BigEndian.AppendUint32(prefix(surveyID), uint32(n))
}

// links holds, per open anonymous round, the key each member's answer is
// stored under: the only link between a member and an anonymous answer,
// kept in memory only.
type links struct {
	mu sync.Mutex
	m  map[string]map[string]string // round key → member → respondent
}

func (l *links) get(round []byte, member string) (string, bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	k, ok := l.m[string(round)][member]
	return k, ok
}

func (l *links) set(round []byte, member, key string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.m == nil {
		l.m = map[string]map[string]string{}
	}
	if l.m[string(round)] == nil {
		l.m[string(round)] = map[string]string{}
	}
	l.m[string(round)][member] = key
}

func (l *links) dropRound(round []byte) {
	l.mu.Lock()
	delete(l.m, string(round))
	l.mu.Unlock()
}

func (l *links) dropMember(member string) {
	l.mu.Lock()
	for _, byMember := range l.m {
		delete(byMember, member)
	}
	l.mu.Unlock()
}

// StartRound records a new round of r.Survey, numbered after the last
// one. A survey has one open round at a time: starting another while one
// is open is a conflict.
func (tx *Tx) StartRound(r *survey.Round) error {
	last, ok := tx.LastRound(r.Survey)
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
	return tx.put(bucketRounds, roundKey(r.Survey, r.N), raw)
}

// CloseRound closes a round now. Of an anonymous round it deletes who
// answered, rewrites the answers and has the file's free pages zeroed
// after the commit; the members' keys are forgotten.
func (tx *Tx) CloseRound(r *survey.Round) error {
	r.Closed = tx.now
	if err := tx.PutRound(r); err != nil {
		return err
	}
	if !r.Anonymous {
		return nil
	}
	pre := append(roundKey(r.Survey, r.N), 0)
	var answered [][]byte
	c := tx.tx.Bucket(bucketAnswered).Cursor()
	for k, _ := c.Seek(pre); k != nil && bytes.HasPrefix(k, pre); k, _ = c.Next() {
		answered = append(answered, bytes.Clone(k))
	}
	for _, k := range answered {
		tx.writes++
		if err := tx.tx.Bucket(bucketAnswered).Delete(k); err != nil {
			return err
		}
	}
	var answers [][2][]byte
	c = tx.tx.Bucket(bucketAnswers).Cursor()
	for k, v := c.Seek(pre); k != nil && bytes.HasPrefix(k, pre); k, v = c.Next() {
		answers = append(answers, [2][]byte{bytes.Clone(k), bytes.Clone(v)})
	}
	for _, kv := range answers {
		if err := tx.put(bucketAnswers, kv[0], kv[1]); err != nil {
			return err
		}
	}
	round := roundKey(r.Survey, r.N)
	tx.after = append(tx.after, func(uint64) { tx.s.links.dropRound(round) })
	return tx.needScrub()
}

// Round reads a round inside the transaction.
func (tx *Tx) Round(surveyID string, n int) (survey.Round, bool) {
	return getRound(tx.tx, surveyID, n)
}

// LastRound is a survey's latest round.
func (tx *Tx) LastRound(surveyID string) (survey.Round, bool) {
	c := tx.tx.Bucket(bucketRounds).Cursor()
	pre := prefix(surveyID)
	k, v := c.Seek(binary.BigEndian.AppendUint32(slices.Clone(pre), ^uint32(0)))
	if k == nil || !bytes.HasPrefix(k, pre) {
		k, v = c.Prev()
	}
	var r survey.Round
	if k == nil || !bytes.HasPrefix(k, pre) || len(k) != len(pre)+4 || json.Unmarshal(v, &r) != nil {
		return survey.Round{}, false
	}
	return r, true
}

func getRound(btx *bolt.Tx, surveyID string, n int) (survey.Round, bool) {
	v := btx.Bucket(bucketRounds).Get(roundKey(surveyID, n))
	var r survey.Round
	if v == nil || json.Unmarshal(v, &r) != nil {
		return survey.Round{}, false
	}
	return r, true
}

func memberKey(r *survey.Round, member string) []byte {
	return append(append(roundKey(r.Survey, r.N), 0), member...)
}

// answerKey is the key of member's answer to r; for an anonymous round
// without a key in memory, none (nil).
func (s *Store) answerKey(r *survey.Round, member string) []byte {
	if !r.Anonymous {
		return memberKey(r, member)
	}
	k, ok := s.links.get(roundKey(r.Survey, r.N), member)
	if !ok {
		return nil
	}
	return append(append(roundKey(r.Survey, r.N), 0), k...)
}

// AnswerOf is m's answer to an open round so far (the zero Answer if none
// or, for an anonymous round, if it can no longer be read: see Locked).
func (tx *Tx) AnswerOf(r *survey.Round, member string) survey.Answer {
	a, _ := getAnswer(tx.tx, tx.s.answerKey(r, member))
	return a
}

func getAnswer(btx *bolt.Tx, key []byte) (survey.Answer, bool) {
	var a survey.Answer
	if key == nil {
		return a, false
	}
	v := btx.Bucket(bucketAnswers).Get(key)
	if v != nil {
		_ = json.Unmarshal(v, &a)
	}
	return a, v != nil
}

// answered reports whether member is listed as having answered the open
// anonymous round r.
func answered(btx *bolt.Tx, r *survey.Round, member string) bool {
	return btx.Bucket(bucketAnswered).Get(memberKey(r, member)) != nil
}

// PutAnswer saves m's answer to an open round, replacing any earlier one.
// An anonymous round's answer is stripped of the member and the time, and
// its department and level are coarsened to groups large enough. A member
// who answered an anonymous round before the process restarted cannot
// change the answer: nothing leads to it any more (ECONFLICT).
func (tx *Tx) PutAnswer(r *survey.Round, m jifen.Member, a survey.Answer) error {
	if !r.Closed.IsZero() {
		return jifen.Errorf(jifen.ECONFLICT, "err.survey_closed", r.ID())
	}
	a.Department, a.Level = r.Attributes(m)
	a.Member, a.At = m.ID, tx.now
	key := memberKey(r, m.ID)
	if r.Anonymous {
		a.Member, a.At = "", time.Time{}
		key = tx.s.answerKey(r, m.ID)
		if key == nil {
			if answered(tx.tx, r, m.ID) {
				return jifen.Errorf(jifen.ECONFLICT, "err.survey_answer_locked", r.ID())
			}
			b := make([]byte, 16)
			if _, err := rand.Read(b); err != nil {
				return err
			}
			// Kept at once: if this batch rolls back, a retry uses the
			// same key, which nothing else holds.
			tx.s.links.set(roundKey(r.Survey, r.N), m.ID, hex.EncodeToString(b))
			key = tx.s.answerKey(r, m.ID)
		}
		if !answered(tx.tx, r, m.ID) {
			if err := tx.put(bucketAnswered, memberKey(r, m.ID), nil); err != nil {
				return err
			}
		}
	}
	raw, err := json.Marshal(a)
	if err != nil {
		return err
	}
	return tx.put(bucketAnswers, key, raw)
}

// Rounds lists a survey's rounds, oldest first; "" lists every survey's.
func (s *Store) Rounds(surveyID string) []survey.Round {
	var pre []byte
	if surveyID != "" {
		pre = prefix(surveyID)
	}
	var out []survey.Round
	_ = s.view(func(btx *bolt.Tx) error {
		c := btx.Bucket(bucketRounds).Cursor()
		for k, v := c.Seek(pre); k != nil && bytes.HasPrefix(k, pre); k, v = c.Next() {
			var r survey.Round
			if json.Unmarshal(v, &r) == nil {
				out = append(out, r)
			}
		}
		return nil
	})
	return out
}

// Round reads one round.
func (s *Store) Round(surveyID string, n int) (r survey.Round, ok bool) {
	_ = s.view(func(btx *bolt.Tx) error {
		r, ok = getRound(btx, surveyID, n)
		return nil
	})
	return r, ok
}

// Answers lists a round's answers, in the order of their keys (for an
// anonymous round, a random order).
func (s *Store) Answers(surveyID string, n int) []survey.Answer {
	return scanJSON[survey.Answer](s, bucketAnswers, append(roundKey(surveyID, n), 0))
}

// Answered reports whether member has answered round r, which must be
// open if it is anonymous.
func (s *Store) Answered(r *survey.Round, member string) (ok bool) {
	_ = s.view(func(btx *bolt.Tx) error {
		if r.Anonymous {
			ok = answered(btx, r, member)
		} else {
			_, ok = getAnswer(btx, memberKey(r, member))
		}
		return nil
	})
	return ok
}

// Locked reports whether member answered the open anonymous round r
// before the process restarted: their answer is recorded, and can no
// longer be read or changed.
func (s *Store) Locked(r *survey.Round, member string) bool {
	return r.Anonymous && s.answerKey(r, member) == nil && s.Answered(r, member)
}

// AnswerOf reads member's answer to an open round (the zero Answer if none).
func (s *Store) AnswerOf(r *survey.Round, member string) (a survey.Answer) {
	_ = s.view(func(btx *bolt.Tx) error {
		a, _ = getAnswer(btx, s.answerKey(r, member))
		return nil
	})
	return a
}
