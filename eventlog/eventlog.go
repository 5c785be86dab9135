// Package eventlog is what kantamig tells its operator while it works, one
// line per event, for a person at a terminal or a log collector on a server
// where a migration runs for weeks.
//
// Two formats: text (the default), a line that starts with the date, time
// and zone (RFC 3339) and says the event in words; and JSON, one object per
// line with stable field names (docs/events.md lists every event and field):
//
//	{"time":"2026-12-06T20:21:05.123+02:00","level":"INFO","event":"progress","msg":"delivering: 512 of 1571","phase":"delivering","done":512,"total":1571,"rate_per_second":51.2}
//
// Three levels the operator chooses: quiet (-q: warnings and errors only),
// normal (progress and results), verbose (-v: every document refused or
// held back, every reconnection). Events carry no identity codes: callers
// mask them (kanta.MaskIdentityCodesIn) before they get here.
package eventlog

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"sync"
	"time"
)

// Formats of the log.
const (
	Text = "text"
	JSON = "json"
)

// Verbosity levels.
const (
	Quiet   = -1
	Normal  = 0
	Verbose = 1
)

// LevelDetail is the level of events only -v shows (below slog.LevelInfo).
const LevelDetail = slog.LevelDebug

// Log writes events. The zero Log writes nothing.
type Log struct {
	l *slog.Logger
}

// New makes a log writing to w in format (Text or JSON) at verbosity
// (Quiet, Normal, Verbose).
func New(w io.Writer, format string, verbosity int) (*Log, error) {
	level := slog.LevelInfo
	switch {
	case verbosity < 0:
		level = slog.LevelWarn
	case verbosity > 0:
		level = LevelDetail
	}
	var h slog.Handler
	switch format {
	case "", Text:
		h = &textHandler{w: w, level: level, mu: &sync.Mutex{}}
	case JSON:
		h = slog.NewJSONHandler(w, &slog.HandlerOptions{Level: level, ReplaceAttr: func(groups []string, a slog.Attr) slog.Attr {
			if a.Key == slog.TimeKey && len(groups) == 0 {
				return slog.String(slog.TimeKey, a.Value.Time().Format(time.RFC3339Nano))
			}
			if a.Key == slog.LevelKey && a.Value.Any() == LevelDetail {
				return slog.String(slog.LevelKey, "DETAIL")
			}
			return a
		}})
	default:
		return nil, fmt.Errorf("--log-format %q: give text or json", format)
	}
	return &Log{l: slog.New(h)}, nil
}

// Event writes one event: its name (the "event" field), the words a person
// reads, and its fields as key, value pairs.
func (g *Log) Event(level slog.Level, event, msg string, fields ...any) {
	if g == nil || g.l == nil {
		return
	}
	g.l.Log(context.Background(), level, msg, append([]any{"event", event}, fields...)...)
}

// Info, Warn, Error and Detail are Event at their levels.
func (g *Log) Info(event, msg string, fields ...any) { g.Event(slog.LevelInfo, event, msg, fields...) }
func (g *Log) Warn(event, msg string, fields ...any) { g.Event(slog.LevelWarn, event, msg, fields...) }
func (g *Log) Error(event, msg string, fields ...any) {
	g.Event(slog.LevelError, event, msg, fields...)
}
func (g *Log) Detail(event, msg string, fields ...any) { g.Event(LevelDetail, event, msg, fields...) }

// textHandler writes "TIME [LEVEL ]words": the words are the event; the
// fields are for the JSON form. INFO is left out, warnings and errors are
// marked.
type textHandler struct {
	w     io.Writer
	level slog.Level
	mu    *sync.Mutex
}

func (h *textHandler) Enabled(_ context.Context, l slog.Level) bool { return l >= h.level }

func (h *textHandler) Handle(_ context.Context, r slog.Record) error {
	mark := ""
	switch {
	case r.Level >= slog.LevelError:
		mark = "ERROR "
	case r.Level >= slog.LevelWarn:
		mark = "WARNING "
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	_, err := fmt.Fprintf(h.w, "%s %s%s\n", r.Time.Format(time.RFC3339), mark, r.Message)
	return err
}

func (h *textHandler) WithAttrs([]slog.Attr) slog.Handler { return h }
func (h *textHandler) WithGroup(string) slog.Handler      { return h }
