// Package sink delivers signed archive documents: to an archive package on
// disk (dir:PATH) or to the archive interface over HTTPS (kanta:URL). Sinks
// register themselves by scheme (Register) and are opened from a --sink
// value (Open), wrapped in the retry policy (WithRetry) that any sink's
// transient failures share; the conformance suite every sink passes is
// package sink/sinktest.
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

	"github.com/kantamig/kantamig/internal/registry"
)

// Delivery is one document, with what the sink needs to wrap it.
type Delivery struct {
	OID            string
	SetID          string
	Version        int
	Kind           string
	ServiceRequest string
	ClientKey      string // source key, for the manifest (no personal data)
	// Identity is what the document was made from, for a package's
	// manifest: a run with another state store adopting the package matches
	// its records by it (see Adoptable), never by a minted OID alone.
	Identity Identity
	Document []byte // the signed document
	// Frame builds the document's message frame (RCMR_IN200002FI01) when the
	// sink's envelope needs one: the envelope is the sink's choice.
	Frame func() []byte
}

// Receipt says what the sink did.
type Receipt struct {
	Duplicate bool // the sink already had the document; nothing was written
}

// Sink takes documents in delivery order.
//
// How to add a sink (as a package of its own, or a file here):
//
//  1. Implement Sink. Deliver may be called concurrently for distinct OIDs
//     (the loader sends independent clients in parallel) and must keep every
//     one of them.
//  2. Be idempotent by OID: delivering a document the sink already has
//     returns Receipt{Duplicate: true} and writes nothing.
//  3. Tell failures apart: a refusal sending again cannot change is a
//     *PermanentError (the record is marked archive-rejected); one that may
//     pass later (connection lost, 5xx, 429) is a *TransientError, which the
//     retry wrapper retries with backoff; anything else stops the run as a
//     systemic fault (disk full, package broken) with the document pending.
//  4. Implement Bound if the sink belongs to one run (as a package does).
//  5. String returns the sink's normalised description (scheme:location,
//     absolute where it is a path, without secrets): the state store keeps
//     it and refuses to resume towards another.
//  6. Register the scheme in an init function (Register) and list the
//     package in cmd/kantamig/backends.go.
//  7. Pass the conformance suite: sinktest.Run(t, ...) in the sink's tests.
type Sink interface {
	Deliver(ctx context.Context, d *Delivery) (Receipt, error)
	Close() error
	String() string
}

// Sequenced is a sink that keeps the order in which documents are handed
// to it and makes them durable in groups, as an archive package does: Send
// takes a document at once (nothing durable yet) and returns wait, which
// blocks until the group holding it is durable (or has failed). Documents
// are listed in the order Send was called, and none is listed after one
// that failed; so the loader may send a document right after those it
// depends on, without waiting for them to become durable one by one.
//
// Send is called from one goroutine; wait may be called from another. A
// Sequenced sink still implements Deliver (Send, then wait).
type Sequenced interface {
	Send(d *Delivery) (wait func() (Receipt, error))
}

// SequencedOf returns the Sequenced sink under s (through the retry
// wrapper), if there is one.
func SequencedOf(s Sink) (Sequenced, bool) {
	for {
		if sq, ok := s.(Sequenced); ok {
			return sq, true
		}
		u, ok := s.(interface{ Unwrap() Sink })
		if !ok {
			return nil, false
		}
		s = u.Unwrap()
	}
}

// Bound is a sink that belongs to one run, as an archive package does: Bind
// is called with the run's id before anything is delivered, and refuses a
// sink made by another run unless adopt.
type Bound interface {
	Bind(runID string, adopt bool) error
}

// Identity names the record a document was made from and its content.
type Identity struct {
	// Entity and Key are the record's entity and source key. A package
	// keeps them only as a keyed hash (Adoptable.SourceID): a source key
	// may be an identity code.
	Entity, Key string
	// Content is the hash of what the document was made from: the mapped
	// record and the mapping (plan.ContentID).
	Content string
	// EntityOID is the client relationship's or case's OID, for their
	// documents: what the documents that follow refer to.
	EntityOID string
	// Locator is where the record stands in the legacy source, identity
	// codes masked: what maps a document back to its record (validate's
	// report names it beside the OID).
	Locator string
}

// Adoptable is a sink another run may take over with a state store of its
// own (an archive package, --adopt-package): it lists what it holds with
// each document's identity, so that the new run matches its records to
// them by source key, version and content.
type Adoptable interface {
	Bound
	// Owner is the id of the run the sink belongs to ("" for none) and how
	// many documents it holds.
	Owner() (runID string, documents int, err error)
	// SourceID is the keyed hash under which the sink lists a record.
	SourceID(entity, key string) string
	// Listed calls fn with every document the sink holds, in the order
	// they were delivered.
	Listed(fn func(ManifestEntry) error) error
	String() string
}

// AdoptableOf returns the Adoptable sink under s (through the retry
// wrapper), if there is one.
func AdoptableOf(s Sink) (Adoptable, bool) {
	for {
		if a, ok := s.(Adoptable); ok {
			return a, true
		}
		u, ok := s.(interface{ Unwrap() Sink })
		if !ok {
			return nil, false
		}
		s = u.Unwrap()
	}
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

// TransientError is a failure that sending again may cure. NoAnswer says
// the connection was lost without an answer (dropped, reset): sent again at
// once the first time, since a server closing a kept-alive connection is
// routine, where an answer such as 503 asks to wait.
type TransientError struct {
	Err      error
	NoAnswer bool
}

func (e *TransientError) Error() string { return e.Err.Error() }
func (e *TransientError) Unwrap() error { return e.Err }

// IsTransient reports whether err is worth sending again.
func IsTransient(err error) bool {
	var te *TransientError
	return errors.As(err, &te)
}

// Options configure sinks.
type Options struct {
	CertFile, KeyFile string // client certificate for mutual TLS
	CAFile            string // the archive's CA; default the system roots
	Retry             Retry  // for transient failures
}

// Opener opens a sink of one scheme; location is the --sink value after
// "scheme:".
type Opener func(location string, opts Options) (Sink, error)

// Scheme is a kind of sink as it registers itself: how to open one, and
// what it is.
type Scheme struct {
	Open Opener
	// ReachesArchive says the sink delivers to a real archive (not a
	// package on disk): a run to it must state its processing code, and
	// a test archive's takes test persons only.
	ReachesArchive bool
	// Form and Help describe a --sink value of the scheme for people and
	// shell completion: "kanta:https://", "the archive over mutual TLS".
	Form, Help string
}

// Forms lists each registered scheme's --sink form with its help, in the
// schemes' order, for shell completion.
func Forms() [][2]string {
	var out [][2]string
	for _, name := range Schemes() {
		s, _ := openers.Lookup(name)
		form := s.Form
		if form == "" {
			form = name + ":"
		}
		out = append(out, [2]string{form, s.Help})
	}
	return out
}

var openers = registry.New[Scheme]("sink scheme")

// Register makes a sink scheme known. It panics on a second registration.
func Register(name string, scheme Scheme) { openers.Register(name, scheme) }

// ReachesArchive says whether a --sink value names a sink that delivers to
// a real archive (its scheme says so when it registers).
func ReachesArchive(spec string) bool {
	name, _, _ := strings.Cut(spec, ":")
	scheme, ok := openers.Lookup(name)
	return ok && scheme.ReachesArchive
}

// Schemes lists the registered schemes.
func Schemes() []string { return openers.Names() }

// Open opens a sink from its description, SCHEME:LOCATION, with the retry
// policy of opts around it.
func Open(spec string, opts Options) (Sink, error) {
	scheme, loc, ok := strings.Cut(spec, ":")
	entry, known := openers.Lookup(scheme)
	forms := strings.Join(Schemes(), ":..., ") + ":..."
	if !ok || loc == "" {
		return nil, &SpecError{Spec: spec, Reason: "write one of " + forms}
	}
	if !known {
		return nil, &SpecError{Spec: spec, Reason: fmt.Sprintf("unknown kind %q (known: %s)", scheme, strings.Join(Schemes(), ", "))}
	}
	s, err := entry.Open(loc, opts)
	if err != nil {
		return nil, err
	}
	return WithRetry(s, opts.Retry), nil
}

// SpecError is a --sink value that names no sink.
type SpecError struct{ Spec, Reason string }

func (e *SpecError) Error() string { return fmt.Sprintf("sink %q: %s", e.Spec, e.Reason) }

// FixedFrame is a Frame function that returns frame; for tests and tools.
func FixedFrame(frame []byte) func() []byte { return func() []byte { return frame } }

// durationOr returns d, or def when d is not positive.
func durationOr(d, def time.Duration) time.Duration {
	if d > 0 {
		return d
	}
	return def
}
