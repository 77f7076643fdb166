package store

import (
	"bytes"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"slices"
	"time"

	bolt "go.etcd.io/bbolt"

	"jifen"
	"jifen/survey"
)

// Survey rounds and answers.
//
//	survey_rounds   survey \0 be32(n) → JSON survey.Round
//	survey_answers  survey \0 be32(n) \0 respondent → JSON survey.Answer
//
// The respondent of a non-anonymous round is the member id. Of an
// anonymous round it is a token, HMAC-SHA256(round salt, member id): it
// lets a member change an answer and keeps anyone from answering twice,
// and the answer itself holds no member id and no time. The salt is erased
// when the round closes; from then on no one, even holding the file, can
// tell whose an answer is.

func roundKey(surveyID string, n int) []byte {
	return binary.BigEndian.AppendUint32(prefix(surveyID), uint32(n))
}

// StartRound records a new round of r.Survey, numbered after the last
// one, with a fresh salt if it is anonymous. A survey has one open round
// at a time: starting another while one is open is a conflict.
func (tx *Tx) StartRound(r *survey.Round) error {
	last, ok := tx.LastRound(r.Survey)
	if ok && last.Open(tx.now) {
		return jifen.Errorf(jifen.ECONFLICT, "err.survey_open", last.ID())
	}
	r.N = last.N + 1
	r.Salt = nil
	if r.Anonymous {
		r.Salt = make([]byte, 32)
		if _, err := rand.Read(r.Salt); err != nil {
			return err
		}
	}
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

// CloseRound closes a round now and erases its salt.
func (tx *Tx) CloseRound(r *survey.Round) error {
	r.Closed = tx.now
	clear(r.Salt)
	r.Salt = nil
	return tx.PutRound(r)
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

// respondent is the key part naming m's answer in round r.
func respondent(r *survey.Round, member string) []byte {
	if !r.Anonymous {
		return []byte(member)
	}
	mac := hmac.New(sha256.New, r.Salt)
	mac.Write([]byte(member))
	return []byte(hex.EncodeToString(mac.Sum(nil)[:16]))
}

func answerKey(r *survey.Round, member string) []byte {
	return append(append(roundKey(r.Survey, r.N), 0), respondent(r, member)...)
}

// AnswerOf is m's answer to an open round so far (the zero Answer if none).
func (tx *Tx) AnswerOf(r *survey.Round, member string) survey.Answer {
	a, _ := getAnswer(tx.tx, r, member)
	return a
}

func getAnswer(btx *bolt.Tx, r *survey.Round, member string) (survey.Answer, bool) {
	var a survey.Answer
	v := btx.Bucket(bucketAnswers).Get(answerKey(r, member))
	if v != nil {
		_ = json.Unmarshal(v, &a)
	}
	return a, v != nil
}

// PutAnswer saves m's answer to an open round, replacing any earlier one.
// An anonymous round's answer is stripped of the member and the time.
func (tx *Tx) PutAnswer(r *survey.Round, m jifen.Member, a survey.Answer) error {
	if r.Anonymous && len(r.Salt) == 0 {
		return jifen.Errorf(jifen.ECONFLICT, "err.survey_closed", r.ID())
	}
	a.Department, a.Level = m.Department, m.Level
	a.Member, a.At = m.ID, tx.now
	if r.Anonymous {
		a.Member, a.At = "", time.Time{}
	}
	raw, err := json.Marshal(a)
	if err != nil {
		return err
	}
	return tx.put(bucketAnswers, answerKey(r, m.ID), raw)
}

// Rounds lists a survey's rounds, oldest first; "" lists every survey's.
func (s *Store) Rounds(surveyID string) []survey.Round {
	var pre []byte
	if surveyID != "" {
		pre = prefix(surveyID)
	}
	var out []survey.Round
	_ = s.db.View(func(btx *bolt.Tx) error {
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
	_ = s.db.View(func(btx *bolt.Tx) error {
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

// Answered reports whether member has answered round r (which must still
// hold its salt if anonymous).
func (s *Store) Answered(r *survey.Round, member string) bool {
	_, ok := s.answer(r, member)
	return ok
}

// AnswerOf reads member's answer to an open round (the zero Answer if none).
func (s *Store) AnswerOf(r *survey.Round, member string) survey.Answer {
	a, _ := s.answer(r, member)
	return a
}

func (s *Store) answer(r *survey.Round, member string) (a survey.Answer, ok bool) {
	_ = s.db.View(func(btx *bolt.Tx) error {
		a, ok = getAnswer(btx, r, member)
		return nil
	})
	return a, ok
}
