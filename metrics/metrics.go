// Package metrics exposes jifen's operating figures to Prometheus at
// GET /metrics: requests by platform and command, acknowledgement latency,
// rejected requests by reason, store commit latency and batch size,
// scheduler runs and failures, pending approvals, and the readiness
// checks' states (platform connections, the store, the scheduler's tick).
package metrics

import (
	"net/http"
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// Metrics holds the collectors of one process.
type Metrics struct {
	reg       *prometheus.Registry
	commands  *prometheus.CounterVec
	http      *prometheus.CounterVec
	ack       *prometheus.HistogramVec
	rejected  *prometheus.CounterVec
	commit    prometheus.Histogram
	batch     prometheus.Histogram
	scheduled *prometheus.CounterVec
	lastTick  prometheus.Gauge
	outbox    *prometheus.CounterVec
}

// latencyBuckets cover a fast acknowledgement (a millisecond) to Slack's
// three-second limit.
var latencyBuckets = []float64{.0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5}

// New registers jifen's collectors, the Go runtime's and the process's.
// pending, if not nil, is read at each scrape for the number of approvals
// waiting.
func New(pending func() float64) *Metrics {
	m := &Metrics{reg: prometheus.NewRegistry()}
	m.commands = prometheus.NewCounterVec(prometheus.CounterOpts{Name: "jifen_commands_total",
		Help: "Commands handled, by platform (slack, feishu, console, schedule), command and outcome (ok or the error class)."},
		[]string{"platform", "command", "outcome"})
	m.http = prometheus.NewCounterVec(prometheus.CounterOpts{Name: "jifen_http_requests_total",
		Help: "Platform callbacks received, by endpoint and HTTP status."}, []string{"endpoint", "code"})
	m.ack = prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: "jifen_ack_seconds",
		Help: "Time from receiving a platform callback to its acknowledgement, by endpoint.", Buckets: latencyBuckets},
		[]string{"endpoint"})
	m.rejected = prometheus.NewCounterVec(prometheus.CounterOpts{Name: "jifen_rejected_requests_total",
		Help: "Callbacks refused before any work, by endpoint and reason (unauthorized: bad or stale signature or token; malformed; too_large)."},
		[]string{"endpoint", "reason"})
	m.commit = prometheus.NewHistogram(prometheus.HistogramOpts{Name: "jifen_store_commit_seconds",
		Help: "Time to commit and fsync one batch of writes.", Buckets: latencyBuckets})
	m.batch = prometheus.NewHistogram(prometheus.HistogramOpts{Name: "jifen_store_batch_size",
		Help: "Writes committed together in one transaction.", Buckets: prometheus.ExponentialBuckets(1, 2, 11)})
	m.scheduled = prometheus.NewCounterVec(prometheus.CounterOpts{Name: "jifen_scheduler_runs_total",
		Help: "Scheduled jobs run, by job and outcome (ok or failed)."}, []string{"job", "outcome"})
	m.lastTick = prometheus.NewGauge(prometheus.GaugeOpts{Name: "jifen_scheduler_last_tick_timestamp_seconds",
		Help: "When the scheduler last looked for due jobs (every 30 s while it runs), in Unix seconds."})
	m.outbox = prometheus.NewCounterVec(prometheus.CounterOpts{Name: "jifen_outbox_sends_total",
		Help: "Attempts to send a message of the outbox, by platform and outcome (sent; retry: failed, held back and tried again; dropped: refused for good or out of tries)."},
		[]string{"platform", "outcome"})
	m.reg.MustRegister(m.commands, m.http, m.ack, m.rejected, m.commit, m.batch, m.scheduled, m.lastTick, m.outbox,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	if pending != nil {
		m.reg.MustRegister(prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "jifen_pending_approvals",
			Help: "Awards and redemptions waiting for an admin's decision."}, pending))
	}
	return m
}

// PlatformConnected reports, at each scrape, whether a platform's
// connection is up (1) or not (0), as its adapter last saw it.
func (m *Metrics) PlatformConnected(platform string, connected func() bool) {
	m.reg.MustRegister(prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "jifen_platform_connected",
		Help:        "Whether the platform's connection (Socket Mode, long connection) is up or its last API call succeeded.",
		ConstLabels: prometheus.Labels{"platform": platform}}, func() float64 { return bit(connected()) }))
}

// StoreReady reports, at each scrape, whether the store answers a read.
func (m *Metrics) StoreReady(ready func() bool) {
	m.reg.MustRegister(prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "jifen_store_ready",
		Help: "Whether the store answers a read transaction in time (1) or not (0)."}, func() float64 { return bit(ready()) }))
}

// OutboxPending reports, at each scrape, how many messages of a
// platform's outbox wait to be sent.
func (m *Metrics) OutboxPending(platform string, pending func() int) {
	m.reg.MustRegister(prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "jifen_outbox_pending",
		Help:        "Messages queued in the outbox and not sent yet (notices, scheduled posts, personal reports).",
		ConstLabels: prometheus.Labels{"platform": platform}}, func() float64 { return float64(pending()) }))
}

// Outbox counts one attempt of the outbox's sender.
func (m *Metrics) Outbox(platform, outcome string) { m.outbox.WithLabelValues(platform, outcome).Inc() }

// SchedulerTicked records a scheduler tick.
func (m *Metrics) SchedulerTicked(at time.Time) { m.lastTick.Set(float64(at.UnixNano()) / 1e9) }

func bit(b bool) float64 {
	if b {
		return 1
	}
	return 0
}

// Handler serves the metrics in the Prometheus text format.
func (m *Metrics) Handler() http.Handler {
	return promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{Registry: m.reg})
}

// Command counts one handled command.
func (m *Metrics) Command(platform, command, outcome string) {
	m.commands.WithLabelValues(platform, command, outcome).Inc()
}

// Committed records one store commit.
func (m *Metrics) Committed(writes int, took time.Duration) {
	m.batch.Observe(float64(writes))
	m.commit.Observe(took.Seconds())
}

// Scheduled counts one scheduled run.
func (m *Metrics) Scheduled(job string, err error) {
	outcome := "ok"
	if err != nil {
		outcome = "failed"
	}
	m.scheduled.WithLabelValues(job, outcome).Inc()
}

// Wrap measures a platform endpoint: its acknowledgement latency, its
// statuses, and the requests it refuses.
func (m *Metrics) Wrap(endpoint string, h http.Handler) http.Handler {
	ack := m.ack.WithLabelValues(endpoint)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		sw := &statusWriter{ResponseWriter: w, code: http.StatusOK}
		h.ServeHTTP(sw, r)
		ack.Observe(time.Since(start).Seconds())
		m.http.WithLabelValues(endpoint, strconv.Itoa(sw.code)).Inc()
		if reason := rejection(sw.code); reason != "" {
			m.rejected.WithLabelValues(endpoint, reason).Inc()
		}
	})
}

func rejection(code int) string {
	switch code {
	case http.StatusUnauthorized, http.StatusForbidden:
		return "unauthorized"
	case http.StatusBadRequest:
		return "malformed"
	case http.StatusRequestEntityTooLarge:
		return "too_large"
	case http.StatusMethodNotAllowed, http.StatusNotFound:
		return "unknown_request"
	}
	return ""
}

type statusWriter struct {
	http.ResponseWriter
	code    int
	written bool
}

func (w *statusWriter) WriteHeader(code int) {
	if !w.written {
		w.code, w.written = code, true
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	w.written = true
	return w.ResponseWriter.Write(b)
}

// Unwrap lets http.ResponseController reach the underlying writer.
func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }
