package main

import (
	"encoding/json"
	"fmt"
	"net/http"
	"sync/atomic"
	"time"

	"jifen/store"
)

// storeDeadline is how long a readiness check waits for the store's read
// transaction; schedulerStale is how long the scheduler may go without a
// tick (it ticks every 30 s) before it counts as stuck.
const (
	storeDeadline  = 2 * time.Second
	schedulerStale = 2 * time.Minute
)

// readiness answers GET /readyz: whether this process can do its work now
// (the store answers, each enabled platform is connected, the scheduler
// ticks), unlike /healthz, which only says the process is alive. Each check
// reads a state its owner keeps current (the adapters' Health, the
// scheduler's last tick), except the store's, which runs a read.
type readiness struct {
	store     store.Ledger
	platforms []platformCheck
	// lastTick is the scheduler's last tick in Unix nanoseconds (0: none
	// yet); idle is set when the scheduler ended at start, having no jobs.
	lastTick atomic.Int64
	idle     atomic.Bool
	// started is when serve began: the first tick is not due before
	// schedulerStale has passed (zero: it is due at once).
	started time.Time
}

type platformCheck struct {
	name   string
	health func() (ok bool, detail string)
}

// check is one entry of /readyz's answer.
type check struct {
	OK       bool   `json:"ok"`
	Detail   string `json:"detail,omitempty"`
	LastTick string `json:"last_tick,omitempty"`
}

func (r *readiness) ticked(at time.Time) { r.lastTick.Store(at.UnixNano()) }

// storeOK runs a read transaction within storeDeadline. A read stuck
// behind the file's lock is left to finish on its own.
func (r *readiness) storeOK() (bool, string) {
	done := make(chan error, 1)
	go func() { done <- r.store.Ping() }()
	select {
	case err := <-done:
		if err != nil {
			return false, "read failed: " + err.Error()
		}
		return true, ""
	case <-time.After(storeDeadline):
		return false, fmt.Sprintf("no answer to a read within %s", storeDeadline)
	}
}

func (r *readiness) scheduler(now time.Time) check {
	ns := r.lastTick.Load()
	if ns == 0 {
		if r.idle.Load() {
			return check{OK: true, Detail: "no scheduled jobs"}
		}
		if !r.started.IsZero() && now.Sub(r.started) <= schedulerStale {
			return check{OK: true, Detail: "starting"}
		}
		return check{OK: false, Detail: "not started"}
	}
	last := time.Unix(0, ns)
	c := check{OK: now.Sub(last) <= schedulerStale, LastTick: last.UTC().Format(time.RFC3339)}
	if !c.OK {
		c.Detail = fmt.Sprintf("no tick for %s", now.Sub(last).Round(time.Second))
	}
	return c
}

// checks runs every check.
func (r *readiness) checks() map[string]check {
	out := map[string]check{}
	ok, detail := r.storeOK()
	out["store"] = check{OK: ok, Detail: detail}
	for _, p := range r.platforms {
		ok, detail := p.health()
		out[p.name] = check{OK: ok, Detail: detail}
	}
	out["scheduler"] = r.scheduler(time.Now())
	return out
}

// ServeHTTP answers 200 when every check passes, 503 otherwise, with the
// checks as JSON either way.
func (r *readiness) ServeHTTP(w http.ResponseWriter, _ *http.Request) {
	checks := r.checks()
	ready := true
	for _, c := range checks {
		ready = ready && c.OK
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	if !ready {
		w.WriteHeader(http.StatusServiceUnavailable)
	}
	_ = json.NewEncoder(w).Encode(struct {
		Ready  bool             `json:"ready"`
		Checks map[string]check `json:"checks"`
	}{ready, checks})
}
