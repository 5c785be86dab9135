// Package sinktest is the conformance suite every sink passes: delivering an
// OID twice is a no-op that says so; permanent and transient failures are
// told apart (the first returned at once as *sink.PermanentError, the second
// retried until it passes); concurrent deliveries of distinct OIDs are all
// kept. See sink.Sink for the checklist of adding a sink.
package sinktest

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/kantamig/kantamig/load/sink"
)

// Faults are the failures a sink's far side is asked to produce.
type Faults struct {
	// TransientRate is the share of deliveries the far side fails in a way
	// sending again cures (0 for none).
	TransientRate float64
	// Refuse is an OID the far side refuses for good.
	Refuse string
}

// Harness is what the suite needs of a sink.
type Harness struct {
	// Open opens the sink under test towards a fresh, empty far side (a new
	// package folder, a new archive) that produces faults, with the retry
	// policy given, and returns it with a function listing the OIDs the far
	// side holds.
	Open func(t *testing.T, faults Faults, retry sink.Retry) (sink.Sink, func() []string)
	// Delivery makes the i-th document: distinct OIDs for distinct i, and
	// documents the far side takes in any order.
	Delivery func(t *testing.T, i int) *sink.Delivery
	// Transient and Permanent say which failures the far side can produce;
	// a package on disk has neither (its faults are systemic: disk full).
	Transient, Permanent bool
}

// quick is a retry policy for tests: many tries, short waits.
var quick = sink.Retry{Attempts: 30, Base: time.Millisecond, Max: 5 * time.Millisecond}

// Run runs the suite.
func Run(t *testing.T, h Harness) {
	t.Run("DeliveringAnOIDTwiceIsANoOpThatSaysSo", func(t *testing.T) { twice(t, h) })
	t.Run("ConcurrentDeliveriesOfDistinctOIDsAreAllKept", func(t *testing.T) { concurrent(t, h) })
	t.Run("TransientFailuresAreRetriedUntilTheyPass", func(t *testing.T) {
		if !h.Transient {
			t.Skip("this sink's far side has no transient failures")
		}
		transient(t, h)
	})
	t.Run("PermanentRefusalsAreNotRetried", func(t *testing.T) {
		if !h.Permanent {
			t.Skip("this sink's far side never refuses a document")
		}
		permanent(t, h)
	})
	t.Run("DescriptionIsSchemeAndLocation", func(t *testing.T) {
		s, _ := h.Open(t, Faults{}, quick)
		defer s.Close()
		if d := s.String(); !slices.ContainsFunc(sink.Schemes(), func(scheme string) bool { return len(d) > len(scheme)+1 && d[:len(scheme)+1] == scheme+":" }) {
			t.Errorf("String() = %q: not a registered scheme and its location", d)
		}
	})
}

func deliver(t *testing.T, s sink.Sink, d *sink.Delivery) sink.Receipt {
	t.Helper()
	r, err := s.Deliver(context.Background(), d)
	if err != nil {
		t.Fatalf("delivering %s: %v", d.OID, err)
	}
	return r
}

func twice(t *testing.T, h Harness) {
	s, held := h.Open(t, Faults{}, quick)
	defer s.Close()
	d := h.Delivery(t, 0)
	if r := deliver(t, s, d); r.Duplicate {
		t.Fatal("the first delivery says the sink already had the document")
	}
	if r := deliver(t, s, d); !r.Duplicate {
		t.Fatal("the second delivery of the same OID does not say it is a duplicate")
	}
	if got := held(); !slices.Equal(got, []string{d.OID}) {
		t.Fatalf("the far side holds %v after two deliveries of %s", got, d.OID)
	}
}

// deliverAll delivers n documents from 8 goroutines and returns their OIDs.
func deliverAll(t *testing.T, h Harness, s sink.Sink, n int) []string {
	t.Helper()
	docs := make([]*sink.Delivery, n)
	var oids []string
	for i := range docs {
		docs[i] = h.Delivery(t, i)
		oids = append(oids, docs[i].OID)
	}
	var wg sync.WaitGroup
	errs := make(chan error, n)
	next := make(chan *sink.Delivery)
	for w := 0; w < 8; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for d := range next {
				if _, err := s.Deliver(context.Background(), d); err != nil {
					errs <- fmt.Errorf("%s: %w", d.OID, err)
				}
			}
		}()
	}
	for _, d := range docs {
		next <- d
	}
	close(next)
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatalf("delivering: %v", err)
	}
	slices.Sort(oids)
	return oids
}

func concurrent(t *testing.T, h Harness) {
	s, held := h.Open(t, Faults{}, quick)
	defer s.Close()
	want := deliverAll(t, h, s, 64)
	got := held()
	slices.Sort(got)
	if !slices.Equal(got, want) {
		t.Fatalf("the far side holds %d documents, want the %d delivered", len(got), len(want))
	}
}

func transient(t *testing.T, h Harness) {
	s, held := h.Open(t, Faults{TransientRate: 0.4}, quick)
	defer s.Close()
	want := deliverAll(t, h, s, 32)
	got := held()
	slices.Sort(got)
	if !slices.Equal(got, want) {
		t.Fatalf("with transient failures the far side holds %d documents, want %d", len(got), len(want))
	}
	// Without retries, the same failures are reported as transient.
	s2, _ := h.Open(t, Faults{TransientRate: 1}, sink.Retry{Attempts: 1})
	defer s2.Close()
	_, err := s2.Deliver(context.Background(), h.Delivery(t, 0))
	if err == nil || !sink.IsTransient(err) || sink.IsPermanent(err) {
		t.Fatalf("a failure sending again may cure: %v, want a transient error", err)
	}
}

func permanent(t *testing.T, h Harness) {
	refused := h.Delivery(t, 1)
	s, held := h.Open(t, Faults{Refuse: refused.OID, TransientRate: 0}, sink.Retry{Attempts: 5, Base: time.Second, Max: time.Second})
	defer s.Close()
	start := time.Now()
	_, err := s.Deliver(context.Background(), refused)
	if !sink.IsPermanent(err) || sink.IsTransient(err) {
		t.Fatalf("a refused document: %v, want a permanent refusal", err)
	}
	if took := time.Since(start); took > 900*time.Millisecond {
		t.Errorf("a permanent refusal took %v: it was retried", took)
	}
	deliver(t, s, h.Delivery(t, 0))
	if got := held(); slices.Contains(got, refused.OID) || len(got) != 1 {
		t.Errorf("the far side holds %v", got)
	}
}
