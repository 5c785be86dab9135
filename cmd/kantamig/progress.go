package main

import (
	"fmt"
	"io"
	"os"
	"sync"
	"sync/atomic"
	"time"

	"github.com/schollz/progressbar/v3"
	"golang.org/x/term"
)

// newProgress shows progress bars on a terminal and, elsewhere (a log, CI),
// a plain line every few seconds.
func newProgress(w io.Writer) interface {
	Start(string, int64)
	Add(int64)
	Finish()
} {
	if f, ok := w.(*os.File); ok && term.IsTerminal(int(f.Fd())) {
		return &barProgress{w: w}
	}
	return &lineProgress{w: w, every: 5 * time.Second}
}

type barProgress struct {
	w     io.Writer
	bar   *progressbar.ProgressBar
	phase string
	n     atomic.Int64
	start time.Time
}

func (p *barProgress) Start(phase string, total int64) {
	p.phase, p.start = phase, time.Now()
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
	fmt.Fprintln(p.w, done(p.phase, p.n.Load(), time.Since(p.start)))
}

// done is the line a finished phase leaves.
func done(phase string, n int64, elapsed time.Duration) string {
	rate := float64(n) / elapsed.Seconds()
	return fmt.Sprintf("%s: %d in %s (%.0f/s)", phase, n, elapsed.Round(100*time.Millisecond), rate)
}

type lineProgress struct {
	w     io.Writer
	every time.Duration
	phase string
	total int64
	n     atomic.Int64
	start time.Time
	stop  chan struct{}
	wg    sync.WaitGroup
}

func (p *lineProgress) Start(phase string, total int64) {
	p.phase, p.total, p.start = phase, total, time.Now()
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
	if p.total > 0 {
		msg += fmt.Sprintf(" of %d", p.total)
		if rate > 0 && n < p.total {
			msg += fmt.Sprintf(", about %s left", time.Duration(float64(p.total-n)/rate*float64(time.Second)).Round(time.Second))
		}
	}
	fmt.Fprintf(p.w, "%s %s (%.0f/s)\n", time.Now().Format("15:04:05"), msg, rate)
}

func (p *lineProgress) Add(n int64) { p.n.Add(n) }

func (p *lineProgress) Finish() {
	close(p.stop)
	p.wg.Wait()
	fmt.Fprintf(p.w, "%s %s\n", time.Now().Format("15:04:05"), done(p.phase, p.n.Load(), time.Since(p.start)))
}
