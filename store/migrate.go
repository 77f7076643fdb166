package store

import (
	"bytes"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"

	bolt "go.etcd.io/bbolt"

	"jifen"
	"jifen/survey"
)

// migrateAnonymousRounds brings the anonymous survey rounds of a schema 1
// file to schema 2. Schema 1 kept an open round's salt in the round
// record and stored each answer under HMAC(salt, member), and each answer
// kept its respondent's department and level whatever their group's size.
// Now: the round counts its audience by department and level (from the
// members' records, the best left of the audience at its start); every
// answer keeps only the attributes of a large enough group; an open
// round's answers move to random keys, whose links to the members are
// kept in memory only (so they can still be changed until a restart), and
// survey_answered lists who answered; the salt is dropped, and the file is
// scrubbed before anything else, so the old record is gone too.
func (s *Store) migrateAnonymousRounds(btx *bolt.Tx) error {
	rounds := btx.Bucket(bucketRounds)
	answers := btx.Bucket(bucketAnswers)
	members := btx.Bucket(bucketMembers)
	var keys [][]byte
	_ = rounds.ForEach(func(k, _ []byte) error {
		keys = append(keys, bytes.Clone(k))
		return nil
	})
	for _, rk := range keys {
		raw := rounds.Get(rk)
		var r survey.Round
		var old struct {
			Salt []byte `json:"salt"`
		}
		if json.Unmarshal(raw, &r) != nil || json.Unmarshal(raw, &old) != nil || !r.Anonymous {
			continue
		}
		var audience []jifen.Member
		for _, id := range r.Audience {
			var m jifen.Member
			if v := members.Get([]byte(id)); v == nil || json.Unmarshal(v, &m) != nil {
				m = jifen.Member{ID: id}
			}
			audience = append(audience, m)
		}
		if len(r.Groups) == 0 {
			r.SetAudience(audience)
		}
		pre := append(bytes.Clone(rk), 0)
		// Who answered an open round, found by their old tokens.
		byToken := map[string]string{}
		if len(old.Salt) > 0 && r.Closed.IsZero() {
			for _, m := range audience {
				mac := hmac.New(sha256.New, old.Salt)
				mac.Write([]byte(m.ID))
				byToken[hex.EncodeToString(mac.Sum(nil)[:16])] = m.ID
			}
		}
		var kvs [][2][]byte
		c := answers.Cursor()
		for k, v := c.Seek(pre); k != nil && bytes.HasPrefix(k, pre); k, v = c.Next() {
			kvs = append(kvs, [2][]byte{bytes.Clone(k), bytes.Clone(v)})
		}
		for _, kv := range kvs {
			var a survey.Answer
			if json.Unmarshal(kv[1], &a) != nil {
				continue
			}
			a.Department, a.Level = r.Attributes(jifen.Member{Department: a.Department, Level: a.Level})
			v, err := json.Marshal(a)
			if err != nil {
				return err
			}
			key := kv[0]
			if member, ok := byToken[string(kv[0][len(pre):])]; ok {
				b := make([]byte, 16)
				if _, err := rand.Read(b); err != nil {
					return err
				}
				respondent := hex.EncodeToString(b)
				key = append(bytes.Clone(pre), respondent...)
				if err := answers.Delete(kv[0]); err != nil {
					return err
				}
				if err := btx.Bucket(bucketAnswered).Put(append(bytes.Clone(pre), member...), nil); err != nil {
					return err
				}
				s.links.set(rk, member, respondent)
			}
			if err := answers.Put(key, v); err != nil {
				return err
			}
		}
		v, err := json.Marshal(r)
		if err != nil {
			return err
		}
		if err := rounds.Put(rk, v); err != nil {
			return err
		}
	}
	return btx.Bucket(bucketMeta).Put(metaScrub, []byte{1})
}
