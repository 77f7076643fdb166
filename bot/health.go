package bot

import (
	"net/http"
	"sync/atomic"
)

// Health is a platform connection's state as its adapter last saw it: a
// Socket Mode or long connection's events, or the outcome of the last call
// to the platform's API. Readiness checks (GET /readyz) and the
// jifen_platform_connected gauge read it; the zero value is "not started".
type Health struct{ v atomic.Pointer[healthState] }

type healthState struct {
	ok     bool
	detail string
}

// Set records the state; detail says what is wrong (or is empty).
func (h *Health) Set(ok bool, detail string) { h.v.Store(&healthState{ok, detail}) }

// Get returns the last state recorded.
func (h *Health) Get() (ok bool, detail string) {
	s := h.v.Load()
	if s == nil {
		return false, "not started"
	}
	return s.ok, s.detail
}

// Transport wraps next (http.DefaultTransport if nil) so that every call
// through it records its outcome in h: a transport error, a 5xx or an
// authentication refusal marks the platform unhealthy, any other answer
// healthy again.
func (h *Health) Transport(next http.RoundTripper) http.RoundTripper {
	if next == nil {
		next = http.DefaultTransport
	}
	return healthTransport{h, next}
}

type healthTransport struct {
	h    *Health
	next http.RoundTripper
}

func (t healthTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	resp, err := t.next.RoundTrip(r)
	switch {
	case err != nil:
		if r.Context().Err() == nil { // a call given up by its caller says nothing of the platform
			t.h.Set(false, "last API call failed: "+err.Error())
		}
	case resp.StatusCode >= 500 || resp.StatusCode == http.StatusUnauthorized || resp.StatusCode == http.StatusForbidden:
		t.h.Set(false, "last API call answered "+resp.Status)
	default:
		t.h.Set(true, "")
	}
	return resp, err
}
