package report

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"net/url"
	"strconv"
	"time"
)

// LinkTTL is how long a report link stays valid.
const LinkTTL = 7 * 24 * time.Hour

func linkMAC(key []byte, period string, exp int64) string {
	m := hmac.New(sha256.New, key)
	fmt.Fprintf(m, "report\x00%s\x00%d", period, exp)
	return hex.EncodeToString(m.Sum(nil))
}

// Link is the signed, expiring address of a period's HTML report under
// base (http.public_url).
func Link(base string, key []byte, period string, now time.Time) string {
	exp := now.Add(LinkTTL).Unix()
	return fmt.Sprintf("%s/reports/%s?exp=%d&sig=%s", base, url.PathEscape(period), exp, linkMAC(key, period, exp))
}

// CheckLink verifies a report link's expiry and signature.
func CheckLink(key []byte, period, exp, sig string, now time.Time) bool {
	e, err := strconv.ParseInt(exp, 10, 64)
	if err != nil || now.Unix() > e {
		return false
	}
	return hmac.Equal([]byte(linkMAC(key, period, e)), []byte(sig))
}
