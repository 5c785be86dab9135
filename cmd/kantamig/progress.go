package main

import (
	"fmt"
	"io"
	"math"
	"os"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/schollz/progressbar/v3"
	"golang.org/x/term"

	"github.com/kantamig/kantamig/eventlog"
	"github.com/kantamig/kantamig/pipeline"
)

// newProgress shows progress bars on a terminal and, elsewhere (a log, CI)
// or with --log-format json, an event every few seconds (package eventlog);
// with -q, none.
func newProgress(c *cli) pipeline.Progress {
	if c.quiet {
		return quietProgress{}
	}
	if f, ok := c.stderr.(*os.File); ok && term.IsTerminal(int(f.Fd())) && c.logFormat != eventlog.JSON {
		return &barProgress{w: c.stderr}
	}
	return &lineProgress{log: c.log, every: 5 * time.Second}
}

type quietProgress struct{}

func (quietProgress) Start(string, int64) {}
func (quietProgress) Add(int64)           {}
func (quietProgress) Finish()             {}

type barProgress struct {
	w     io.Writer
	bar   *progressbar.ProgressBar
	phase string
	n     atomic.Int64
	cost  phaseCost
}

func (p *barProgress) Start(phase string, total int64) {
	p.phase = phase
	p.cost.begin()
	p.n.Store(0)
	if total <= 0 {
		total = -1 // unknown: a spinner with a count and a rate
	}
	p.bar = progressbar.NewOptions64(total, progressbar.OptionSetWriter(p.w), progressbar.OptionSetDescription(phase),
		progressbar.OptionShowCount(), progressbar.OptionShowIts(), progressbar.OptionSetItsString("records"),
		progressbar.OptionSetPredictTime(true), progressbar.OptionThrottle(200*time.Millisecond), progressbar.OptionClearOnFinish())
}

func (p *barProgress) Add(n int64) { p.n.Add(n); p.bar.Add64(n) }

// Finish clears the bar and leaves one line with the phase's count, time
// and rate.
func (p *barProgress) Finish() {
	p.bar.Finish()
	fmt.Fprintln(p.w, p.cost.line(p.phase, p.n.Load()))
}

// phaseCost measures a phase for the line it leaves: its time, the
// processor time the process spent in it (what the phase costs when it
// shares the machine's cores with other processes: the workers of a
// sharded run, the database) and, for a state store that counts them, the
// statements it sent.
type phaseCost struct {
	start      time.Time
	cpu        time.Duration
	statements int64
	count      func() int64 // nil: the store does not count
}

// countStatements makes the phases' lines give the store's statements.
func (c *phaseCost) countStatements(count func() int64) { c.count = count }

func (c *phaseCost) begin() {
	c.start, c.cpu = time.Now(), cpuTime()
	if c.count != nil {
		c.statements = c.count()
	}
}

func (c *phaseCost) elapsed() time.Duration { return time.Since(c.start) }

// line is the line a finished phase of n records leaves.
func (c *phaseCost) line(phase string, n int64) string {
	elapsed := c.elapsed()
	rate := float64(n) / elapsed.Seconds()
	s := fmt.Sprintf("%s: %d in %s (%.0f/s, %s CPU", phase, n, elapsed.Round(100*time.Millisecond), rate, (cpuTime() - c.cpu).Round(100*time.Millisecond))
	if c.count != nil {
		s += fmt.Sprintf(", %d statements", c.count()-c.statements)
	}
	return s + ")"
}

// cpuTime is the processor time (user and system) the process has used.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

type lineProgress struct {
	log   *eventlog.Log
	every time.Duration
	phase string
	total int64
	n     atomic.Int64
	cost  phaseCost
	stop  chan struct{}
	wg    sync.WaitGroup
}

func (p *lineProgress) Start(phase string, total int64) {
	p.phase, p.total = phase, total
	p.cost.begin()
	p.n.Store(0)
	p.stop = make(chan struct{})
	p.wg.Add(1)
	go func() {
		defer p.wg.Done()
		t := time.NewTicker(p.every)
		defer t.Stop()
		for {
			select {
			case <-p.stop:
				return
			case <-t.C:
				p.line()
			}
		}
	}()
}

func (p *lineProgress) line() {
	n := p.n.Load()
	rate := float64(n) / p.cost.elapsed().Seconds()
	msg := fmt.Sprintf("%s: %d", p.phase, n)
	fields := []any{"phase", p.phase, "done", n, "total", p.total, "rate_per_second", round(rate)}
	if p.total > 0 {
		msg += fmt.Sprintf(" of %d", p.total)
		if rate > 0 && n < p.total {
			left := time.Duration(float64(p.total-n) / rate * float64(time.Second)).Round(time.Second)
			msg += fmt.Sprintf(", about %s left", left)
			fields = append(fields, "seconds_left", left.Seconds())
		}
	}
	p.log.Info("progress", fmt.Sprintf("%s (%.0f/s)", msg, rate), fields...)
}

// round keeps a rate to one decimal.
func round(f float64) float64 { return math.Round(f*10) / 10 }

func (p *lineProgress) Add(n int64) { p.n.Add(n) }

func (p *lineProgress) Finish() {
	close(p.stop)
	p.wg.Wait()
	n, elapsed := p.n.Load(), p.cost.elapsed()
	p.log.Info("phase-done", p.cost.line(p.phase, n), "phase", p.phase, "done", n, "seconds", round(elapsed.Seconds()), "rate_per_second", round(float64(n)/elapsed.Seconds()),
		"cpu_seconds", round((cpuTime() - p.cost.cpu).Seconds()))
}

// countStatements makes the phases' lines give the state store's
// statements (round trips).
func (p *lineProgress) countStatements(count func() int64) { p.cost.countStatements(count) }
func (p *barProgress) countStatements(count func() int64)  { p.cost.countStatements(count) }

// statementCounter is a progress that can give a store's statements.
type statementCounter interface{ countStatements(func() int64) }
