package store

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"maps"
	"slices"

	bolt "go.etcd.io/bbolt"

	"jifen"
	"jifen/survey"
)

// Verify's checks of the records kept beside the ledger. Each returns its
// differences as lines for the operator; none prints what people wrote (a
// reason, an answer), only ids.

// verifyApprovals checks the approvals against the open set and the
// entries: approvals_open lists exactly the pending approvals (the
// reservations the limits count, Tx.Usage), an approved one names one
// award entry per receiver made from it, and a pending or rejected one
// names none.
func verifyApprovals(btx *bolt.Tx, rep *VerifyReport) []string {
	var diffs []string
	open := btx.Bucket(bucketOpen)
	_ = btx.Bucket(bucketApprovals).ForEach(func(k, v []byte) error {
		rep.Approvals++
		id := decodeU64(k)
		var a Approval
		if jsonUnmarshal(v, &a) != nil {
			diffs = append(diffs, fmt.Sprintf("approval A%d: cannot decode", id))
			return nil
		}
		if a.ID != id {
			diffs = append(diffs, fmt.Sprintf("approval A%d: stored under A%d", a.ID, id))
		}
		listed := open.Get(k) != nil
		switch {
		case a.Status == Pending && !listed:
			diffs = append(diffs, fmt.Sprintf("approval A%d is pending but not listed open: its points are not reserved against the caps", id))
		case a.Status != Pending && listed:
			diffs = append(diffs, fmt.Sprintf("approval A%d is %s but listed open: it still reserves its points", id, a.Status))
		}
		switch a.Status {
		case Pending, Rejected:
			if len(a.Entries) > 0 {
				diffs = append(diffs, fmt.Sprintf("approval A%d is %s but names entries %v", id, a.Status, a.Entries))
			}
		case Approved:
			if len(a.Entries) != len(a.Receivers) {
				diffs = append(diffs, fmt.Sprintf("approval A%d is approved for %d receivers but names %d entries", id, len(a.Receivers), len(a.Entries)))
			}
			for _, eid := range a.Entries {
				e, ok := getEntry(btx, eid)
				if !ok || e.Kind != jifen.KindAward || e.Approval != id || e.Giver != a.Giver || e.Points != a.Points || !a.has(e.Receiver) {
					diffs = append(diffs, fmt.Sprintf("approval A%d: entry #%d is not an award it approved", id, eid))
				}
			}
		default:
			diffs = append(diffs, fmt.Sprintf("approval A%d: unknown status %q", id, a.Status))
		}
		return nil
	})
	_ = open.ForEach(func(k, _ []byte) error {
		rep.Open++
		if btx.Bucket(bucketApprovals).Get(k) == nil {
			diffs = append(diffs, fmt.Sprintf("approval A%d is listed open but does not exist", decodeU64(k)))
		}
		return nil
	})
	return diffs
}

// verifyIdempotency checks that every idempotency key is in the expiry
// order at the time it was recorded, so that it expires after the window
// and not before. An entry of the expiry order whose key is gone is left
// alone: older versions forgot a member's keys without it, and the purge
// drops it when it comes due.
func verifyIdempotency(btx *bolt.Tx, rep *VerifyReport) []string {
	var diffs []string
	exp := btx.Bucket(bucketIdemExp)
	_ = btx.Bucket(bucketIdem).ForEach(func(k, v []byte) error {
		rep.Keys++
		if len(v) < 8 {
			diffs = append(diffs, fmt.Sprintf("idempotency key %q: record too short", k))
			return nil
		}
		if exp.Get(append(bytes.Clone(v[:8]), k...)) == nil {
			diffs = append(diffs, fmt.Sprintf("idempotency key %q: not in the expiry order at the time it was recorded", k))
		}
		return nil
	})
	idem := btx.Bucket(bucketIdem)
	_ = exp.ForEach(func(k, _ []byte) error {
		if len(k) < 8 {
			diffs = append(diffs, fmt.Sprintf("idempotency expiry %x: key too short", k))
			return nil
		}
		if v := idem.Get(k[8:]); len(v) >= 8 && !bytes.Equal(v[:8], k[:8]) {
			diffs = append(diffs, fmt.Sprintf("idempotency key %q: in the expiry order at another time than it was recorded", k[8:]))
		}
		return nil
	})
	return diffs
}

// verifySurveys checks the survey rounds and their answers: each answer
// belongs to a round that exists; a named round's answer is stored under
// its member; an anonymous round's answer holds neither member nor time;
// survey_answered lists, for an open anonymous round only, one member per
// answer.
func verifySurveys(btx *bolt.Tx, rep *VerifyReport) []string {
	var diffs []string
	rounds := map[string]survey.Round{} // round key → round
	_ = btx.Bucket(bucketRounds).ForEach(func(k, v []byte) error {
		rep.Rounds++
		var r survey.Round
		if jsonUnmarshal(v, &r) != nil {
			diffs = append(diffs, fmt.Sprintf("survey round %s: cannot decode", roundName(k)))
			return nil
		}
		if !bytes.Equal(k, roundKey(r.Survey, r.N)) {
			diffs = append(diffs, fmt.Sprintf("survey round %s#%d: stored under %s", r.Survey, r.N, roundName(k)))
		}
		rounds[string(k)] = r
		return nil
	})
	answers := map[string]int{} // round key → answers
	_ = btx.Bucket(bucketAnswers).ForEach(func(k, v []byte) error {
		rep.Answers++
		rk, respondent, ok := splitAnswerKey(k)
		r, exists := rounds[string(rk)]
		if !ok || !exists {
			diffs = append(diffs, fmt.Sprintf("survey answer in round %s: no such round", roundName(rk)))
			return nil
		}
		answers[string(rk)]++
		var a survey.Answer
		switch {
		case jsonUnmarshal(v, &a) != nil:
			diffs = append(diffs, fmt.Sprintf("survey answer in round %s: cannot decode", roundName(rk)))
		case r.Anonymous && (a.Member != "" || !a.At.IsZero()):
			diffs = append(diffs, fmt.Sprintf("survey round %s is anonymous but an answer names its member or time", roundName(rk)))
		case !r.Anonymous && a.Member != string(respondent):
			diffs = append(diffs, fmt.Sprintf("survey round %s: the answer of %s is stored under %s", roundName(rk), a.Member, respondent))
		}
		return nil
	})
	answered := map[string]int{}
	_ = btx.Bucket(bucketAnswered).ForEach(func(k, _ []byte) error {
		rk, member, ok := splitAnswerKey(k)
		r, exists := rounds[string(rk)]
		switch {
		case !ok || !exists:
			diffs = append(diffs, fmt.Sprintf("survey round %s: %s is marked as having answered, but there is no such round", roundName(rk), member))
		case !r.Anonymous || !r.Closed.IsZero():
			// Only an open anonymous round lists who answered; its close
			// deletes the list.
			diffs = append(diffs, fmt.Sprintf("survey round %s: %s is marked as having answered, but the round is not an open anonymous one", roundName(rk), member))
		default:
			answered[string(rk)]++
		}
		return nil
	})
	for _, k := range slices.Sorted(maps.Keys(rounds)) {
		if r := rounds[k]; r.Anonymous && r.Closed.IsZero() && answered[k] != answers[k] {
			diffs = append(diffs, fmt.Sprintf("survey round %s: %d members marked as having answered, %d answers", roundName([]byte(k)), answered[k], answers[k]))
		}
	}
	return diffs
}

// splitAnswerKey splits survey \0 be32(n) \0 rest into the round key and
// the rest (a respondent or a member).
func splitAnswerKey(k []byte) (round, rest []byte, ok bool) {
	i := bytes.IndexByte(k, 0)
	if i < 0 || len(k) < i+1+4+1 || k[i+5] != 0 {
		return k, nil, false
	}
	return k[:i+5], k[i+6:], true
}

// roundName renders a round key as survey#n.
func roundName(k []byte) string {
	i := bytes.IndexByte(k, 0)
	if i < 0 || len(k) < i+5 {
		return printable(k)
	}
	return fmt.Sprintf("%s#%d", k[:i], binary.BigEndian.Uint32(k[i+1:i+5]))
}
