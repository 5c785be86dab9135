// Package sink delivers signed archive documents: to an archive package on
// disk (dir:PATH) or to the archive interface over HTTPS (kanta:URL).
//
// Every sink is idempotent by document OID: delivering a document it already
// has is a no-op that reports success, because after a crash the loader cannot
// know whether its last deliveries arrived and sends them again.
package sink

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"
)

// Delivery is one document with its message frame.
type Delivery struct {
	OID            string
	SetID          string
	Version        int
	Kind           string
	ServiceRequest string
	ClientKey      string // source key, for the manifest (no personal data)
	Document       []byte // the signed document
	Frame          []byte // RCMR_IN200002FI01
}

// Receipt says what the sink did.
type Receipt struct {
	Duplicate bool // the sink already had the document; nothing was written
}

// Sink takes documents in delivery order.
type Sink interface {
	Deliver(ctx context.Context, d *Delivery) (Receipt, error)
	Close() error
	String() string
}

// Bound is a sink that belongs to one run, as an archive package does: Bind
// is called with the run's id before anything is delivered, and refuses a
// sink made by another run unless adopt.
type Bound interface {
	Bind(runID string, adopt bool) error
}

// PermanentError is a refusal that sending again will not change (the
// archive rejected the document). The run stops and records Reason.
type PermanentError struct {
	Reason string
}

func (e *PermanentError) Error() string { return "the archive refused the document: " + e.Reason }

// IsPermanent reports whether err is a permanent refusal.
func IsPermanent(err error) bool {
	var pe *PermanentError
	return errors.As(err, &pe)
}

// Open opens a sink from its description: dir:PATH or kanta:URL.
func Open(spec string, opts Options) (Sink, error) {
	kind, arg, ok := strings.Cut(spec, ":")
	if !ok || arg == "" {
		return nil, fmt.Errorf("sink %q: write dir:PATH or kanta:URL", spec)
	}
	switch kind {
	case "dir":
		return OpenDir(arg)
	case "kanta":
		return OpenKanta(arg, opts)
	}
	return nil, fmt.Errorf("sink %q: unknown kind %q (dir or kanta)", spec, kind)
}

// Options configure network sinks.
type Options struct {
	CertFile, KeyFile string        // client certificate for mutual TLS
	CAFile            string        // the archive's CA; default the system roots
	MaxAttempts       int           // per document, for transient failures; default 8
	BaseBackoff       time.Duration // first retry waits up to this; doubles each time (default 200 ms)
}
