// Package metrics serves what a run is doing to Prometheus (`kantamig run
// --metrics-listen ADDR`, GET /metrics in the text exposition format), for
// the dashboards and alerts of a migration that runs for weeks: records
// staged, documents delivered, refused and held back by kind, documents
// still to go, and how long signatures and the archive take. Names follow
// the Prometheus conventions (kantamig_ prefix, _total for counters, base
// units, seconds). docs/events.md lists them.
package metrics

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/kantamig/kantamig/load/deliver"
)

// Run is one run's metrics.
type Run struct {
	reg                         *prometheus.Registry
	staged                      prometheus.Counter
	delivered, refused, held    *prometheus.CounterVec
	pending                     prometheus.Gauge
	signSeconds, archiveSeconds prometheus.Histogram
}

// New makes a run's metrics, with the Go runtime's and the process's.
func New() *Run {
	m := &Run{reg: prometheus.NewRegistry()}
	f := func(c prometheus.Collector) { m.reg.MustRegister(c) }
	m.staged = prometheus.NewCounter(prometheus.CounterOpts{Name: "kantamig_records_staged_total", Help: "Source records staged (read, mapped and checked) by this process."})
	m.delivered = prometheus.NewCounterVec(prometheus.CounterOpts{Name: "kantamig_documents_delivered_total", Help: "Documents delivered and recorded by this process, by kind."}, []string{"kind"})
	m.refused = prometheus.NewCounterVec(prometheus.CounterOpts{Name: "kantamig_documents_refused_total", Help: "Documents the archive refused, by kind."}, []string{"kind"})
	m.held = prometheus.NewCounterVec(prometheus.CounterOpts{Name: "kantamig_documents_held_back_total", Help: "Documents held back because one they depend on was refused, by kind."}, []string{"kind"})
	m.pending = prometheus.NewGauge(prometheus.GaugeOpts{Name: "kantamig_documents_pending", Help: "Documents this delivery still has to send."})
	m.signSeconds = prometheus.NewHistogram(prometheus.HistogramOpts{Name: "kantamig_signature_duration_seconds", Help: "Time to sign one document on the token.",
		Buckets: prometheus.ExponentialBuckets(0.0005, 2, 14)})
	m.archiveSeconds = prometheus.NewHistogram(prometheus.HistogramOpts{Name: "kantamig_sink_duration_seconds", Help: "Time for the archive to take one document, retries included.",
		Buckets: prometheus.ExponentialBuckets(0.001, 2, 16)})
	for _, c := range []prometheus.Collector{m.staged, m.delivered, m.refused, m.held, m.pending, m.signSeconds, m.archiveSeconds,
		prometheus.NewGoCollector(), prometheus.NewProcessCollector(prometheus.ProcessCollectorOpts{})} {
		f(c)
	}
	return m
}

// Serve serves /metrics on addr until the returned stop is called; bound is
// the address it listens on (addr with its port, if addr gave 0).
func (m *Run) Serve(addr string) (bound string, stop func(), err error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return "", nil, fmt.Errorf("--metrics-listen %s: %w", addr, err)
	}
	mux := http.NewServeMux()
	mux.Handle("/metrics", promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{}))
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	go srv.Serve(ln) // ends with Shutdown
	return ln.Addr().String(), func() {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		srv.Shutdown(ctx)
	}, nil
}

// Observe adds the run's metrics to an observer of the deliveries (a nil
// one makes a new one) and returns it.
func (m *Run) Observe(o *deliver.Observer) *deliver.Observer {
	if o == nil {
		o = &deliver.Observer{}
	}
	chain := func(f func(string), g func(string)) func(string) {
		if f == nil {
			return g
		}
		return func(k string) { f(k); g(k) }
	}
	chain5 := func(f func(kind, entity, key, oid, reason string), g func(string)) func(kind, entity, key, oid, reason string) {
		return func(kind, entity, key, oid, reason string) {
			if f != nil {
				f(kind, entity, key, oid, reason)
			}
			g(kind)
		}
	}
	chainD := func(f func(time.Duration), h prometheus.Histogram) func(time.Duration) {
		return func(d time.Duration) {
			if f != nil {
				f(d)
			}
			h.Observe(d.Seconds())
		}
	}
	o.Delivered = chain(o.Delivered, func(k string) { m.delivered.WithLabelValues(k).Inc(); m.pending.Dec() })
	o.Refused = chain5(o.Refused, func(k string) { m.refused.WithLabelValues(k).Inc(); m.pending.Dec() })
	o.HeldBack = chain5(o.HeldBack, func(k string) { m.held.WithLabelValues(k).Inc(); m.pending.Dec() })
	o.Signed = chainD(o.Signed, m.signSeconds)
	o.Sent = chainD(o.Sent, m.archiveSeconds)
	return o
}

// Phases hears how a run advances (pipeline.Progress, which metrics does
// not import: pipeline is the heavier package).
type Phases interface {
	Start(phase string, total int64)
	Add(n int64)
	Finish()
}

// Progress is a progress that also counts staged records and sets the
// documents pending from a delivery's total.
type Progress struct {
	Inner   Phases
	m       *Run
	staging bool
}

// Progress wraps a progress (the pipeline's phases) to count into m.
func (m *Run) Progress(inner Phases) *Progress {
	return &Progress{Inner: inner, m: m}
}

func (p *Progress) Start(phase string, total int64) {
	p.staging = phase == "staging"
	if !p.staging {
		p.m.pending.Set(float64(total))
	}
	p.Inner.Start(phase, total)
}

func (p *Progress) Add(n int64) {
	if p.staging {
		p.m.staged.Add(float64(n))
	}
	p.Inner.Add(n)
}

func (p *Progress) Finish() { p.Inner.Finish() }
