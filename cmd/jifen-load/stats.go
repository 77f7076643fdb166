package main

import (
	"fmt"
	"io"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"
)

// slackAckLimit is how long Slack waits for a slash command's answer.
const slackAckLimit = 3 * time.Second

// Stats collects a run's figures. It is safe for concurrent use.
type Stats struct {
	mu         sync.Mutex
	start, end time.Time

	deliveries map[string]int // by platform/command
	requests   int
	ackedN     int
	latency    []time.Duration            // every answered request (200), send to response
	byCommand  map[string][]time.Duration // the same, by platform and command
	over3s     int
	deliberate int // deliberate re-deliveries
	failRetry  int // re-deliveries after no answer
	errors     map[string]int
	answers    map[string]int // error answers by kind
	responses  int            // response_url posts received
	maxSlip    time.Duration
	late       int // deliveries sent more than 100 ms after their time
	mem        memory
}

// NewStats returns empty stats.
func NewStats() *Stats {
	return &Stats{deliveries: map[string]int{}, errors: map[string]int{}, answers: map[string]int{}, byCommand: map[string][]time.Duration{}}
}

func (s *Stats) delivery(d Delivery) {
	s.mu.Lock()
	s.deliveries[d.Platform+" "+d.Command]++
	s.mu.Unlock()
}

func (s *Stats) slipped(d time.Duration) {
	s.mu.Lock()
	s.maxSlip = max(s.maxSlip, d)
	if d > 100*time.Millisecond {
		s.late++
	}
	s.mu.Unlock()
}

func (s *Stats) retried(deliberate bool) {
	s.mu.Lock()
	if deliberate {
		s.deliberate++
	} else {
		s.failRetry++
	}
	s.mu.Unlock()
}

func (s *Stats) failed(kind string) {
	s.mu.Lock()
	s.requests++
	s.errors[kind]++
	s.mu.Unlock()
}

func (s *Stats) acked(d Delivery, took time.Duration) {
	s.mu.Lock()
	s.requests++
	s.ackedN++
	s.latency = append(s.latency, took)
	k := d.Platform + " " + d.Command
	s.byCommand[k] = append(s.byCommand[k], took)
	if took > slackAckLimit {
		s.over3s++
	}
	s.mu.Unlock()
}

func (s *Stats) answer(command, kind string) {
	if kind == "" {
		return
	}
	s.mu.Lock()
	s.answers[command+": "+kind]++
	s.mu.Unlock()
}

func (s *Stats) responseURL() {
	s.mu.Lock()
	s.responses++
	s.mu.Unlock()
}

func (s *Stats) memory(m memory) {
	s.mu.Lock()
	s.mem.rss = max(s.mem.rss, m.rss)
	s.mem.hwm = max(s.mem.hwm, m.hwm)
	s.mu.Unlock()
}

// Percentile returns the p-th percentile (0–100) of sorted durations, by
// the nearest-rank method.
func Percentile(sorted []time.Duration, p float64) time.Duration {
	if len(sorted) == 0 {
		return 0
	}
	rank := int(p/100*float64(len(sorted))+0.5) - 1
	return sorted[min(max(rank, 0), len(sorted)-1)]
}

// Latency returns the answered requests' latency percentiles: p50, p90,
// p99 and the maximum.
func (s *Stats) Latency() (p50, p90, p99, maxLat time.Duration) {
	s.mu.Lock()
	l := slices.Clone(s.latency)
	s.mu.Unlock()
	slices.Sort(l)
	if len(l) == 0 {
		return
	}
	return Percentile(l, 50), Percentile(l, 90), Percentile(l, 99), l[len(l)-1]
}

// Errors is the number of requests that got no 200.
func (s *Stats) Errors() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := 0
	for _, v := range s.errors {
		n += v
	}
	return n
}

// Report writes the summary a person reads after a run.
func (s *Stats) Report(w io.Writer, awards []AckedAward) {
	p50, p90, p99, mx := s.Latency()
	s.mu.Lock()
	defer s.mu.Unlock()
	el := s.end.Sub(s.start).Seconds()
	if el <= 0 {
		el = 1e-9
	}
	total := 0
	for _, v := range s.deliveries {
		total += v
	}
	fmt.Fprintf(w, "deliveries: %d in %.1fs (%.1f/s); requests %d (%.1f/s), answered 200: %d (%.1f/s)\n",
		total, el, float64(total)/el, s.requests, float64(s.requests)/el, s.ackedN, float64(s.ackedN)/el)
	fmt.Fprintf(w, "re-deliveries: %d deliberate (platform retry), %d after no answer\n", s.deliberate, s.failRetry)
	fmt.Fprintf(w, "ack latency (send → HTTP response, answered requests): p50 %s  p90 %s  p99 %s  max %s  (over Slack's 3s: %d)\n",
		round(p50), round(p90), round(p99), round(mx), s.over3s)
	if s.maxSlip > 0 {
		fmt.Fprintf(w, "schedule: sent up to %s late; %d deliveries more than 100ms late (the workers were all busy)\n", round(s.maxSlip), s.late)
	}
	fmt.Fprintf(w, "by command: %s\n", counts(s.deliveries))
	if len(s.byCommand) > 1 {
		keys := make([]string, 0, len(s.byCommand))
		for k := range s.byCommand {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		parts := make([]string, len(keys))
		for i, k := range keys {
			l := slices.Clone(s.byCommand[k])
			slices.Sort(l)
			parts[i] = fmt.Sprintf("%s p50 %s p99 %s", k, round(Percentile(l, 50)), round(Percentile(l, 99)))
		}
		fmt.Fprintf(w, "ack latency by command: %s\n", strings.Join(parts, ", "))
	}
	if len(s.errors) == 0 {
		fmt.Fprintln(w, "errors: none")
	} else {
		fmt.Fprintf(w, "errors: %s\n", counts(s.errors))
	}
	if len(s.answers) > 0 {
		fmt.Fprintf(w, "answers other than success: %s\n", counts(s.answers))
	}
	byStatus := map[string]int{}
	for _, a := range awards {
		byStatus[a.Platform+" "+string(a.Status)]++
	}
	if len(awards) > 0 {
		fmt.Fprintf(w, "awards: %d sent; %s\n", len(awards), counts(byStatus))
	}
	fmt.Fprintf(w, "response_url posts received: %d\n", s.responses)
	if s.mem.rss > 0 {
		fmt.Fprintf(w, "server memory: VmRSS max %.1f MiB, VmHWM %.1f MiB\n", float64(s.mem.rss)/1024, float64(s.mem.hwm)/1024)
	}
}

// counts formats a tally, largest first.
func counts(m map[string]int) string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool {
		if m[keys[i]] != m[keys[j]] {
			return m[keys[i]] > m[keys[j]]
		}
		return keys[i] < keys[j]
	})
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = fmt.Sprintf("%s %d", k, m[k])
	}
	return strings.Join(parts, ", ")
}

// round shows a duration with three significant digits or so.
func round(d time.Duration) string {
	switch {
	case d >= time.Second:
		return d.Round(time.Millisecond).String()
	case d >= time.Millisecond:
		return d.Round(10 * time.Microsecond).String()
	}
	return d.Round(time.Microsecond).String()
}
