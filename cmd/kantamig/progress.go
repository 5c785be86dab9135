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
	start time.Time
	cpu   time.Duration // the process's processor time when the phase started
}

func (p *barProgress) Start(phase string, total int64) {
	p.phase, p.start, p.cpu = phase, time.Now(), cpuTime()
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
	fmt.Fprintln(p.w, done(p.phase, p.n.Load(), time.Since(p.start), cpuTime()-p.cpu))
}

// done is the line a finished phase leaves: with the processor time the
// process spent in it, which says what the phase costs when it shares the
// machine's cores with other processes (the workers of a sharded run, the
// database).
func done(phase string, n int64, elapsed, cpu time.Duration) string {
	rate := float64(n) / elapsed.Seconds()
	return fmt.Sprintf("%s: %d in %s (%.0f/s, %s CPU)", phase, n, elapsed.Round(100*time.Millisecond), rate, cpu.Round(100*time.Millisecond))
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
	start time.Time
	cpu   time.Duration
	stop  chan struct{}
	wg    sync.WaitGroup
}

func (p *lineProgress) Start(phase string, total int64) {
	p.phase, p.total, p.start, p.cpu = phase, total, time.Now(), cpuTime()
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
	elapsed := time.Since(p.start)
	rate := float64(n) / elapsed.Seconds()
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
	n, elapsed := p.n.Load(), time.Since(p.start)
	cpu := cpuTime() - p.cpu
	p.log.Info("phase-done", done(p.phase, n, elapsed, cpu), "phase", p.phase, "done", n, "seconds", round(elapsed.Seconds()), "rate_per_second", round(float64(n)/elapsed.Seconds()), "cpu_seconds", round(cpu.Seconds()))
}
