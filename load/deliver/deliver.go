// Package deliver signs planned documents and delivers them: a pool of
// signing workers (one token session each) signs them and builds their
// frames, and hands them on in the order they were planned; each is then
// sent to the sink (at once to a sink that keeps order itself, otherwise as
// soon as the documents it depends on have arrived, several at a time), and
// its outcome (loaded, or failed with the rule and reason) is recorded in
// the state store, committed in groups, before the run counts it.
//
// After a crash, at most the documents of the last groups (Window) are
// delivered but still pending in the store: the next run sends them again
// and the sink, idempotent by OID, answers that it has them. None is lost
// and none is listed twice.
//
// A failure stops the delivery cleanly: a failed signature is a fault of
// the key or token, a failed delivery a fault of the sink; in either case
// the signatures and deliveries in flight settle, nothing after the failure
// is sent, and the first failure is returned. A document the archive
// refuses (a permanent refusal) is not a stop: it is recorded with the
// archive's answer (rule archive-rejected), every document that depends on
// it is recorded as held back by it (rule held-back), both stay pending, and
// the rest goes on; Options.Refused may stop the delivery (the error budget).
package deliver

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/kantamig/kantamig/kanta"
	"github.com/kantamig/kantamig/load/plan"
	"github.com/kantamig/kantamig/load/sign"
	"github.com/kantamig/kantamig/load/sink"
	"github.com/kantamig/kantamig/load/testguard"
	"github.com/kantamig/kantamig/transform"
)

// Outcomes is where a delivery's outcome is recorded (the state store).
// MarkLoaded need not be durable before Commit: the deliverer commits the
// outcomes of a group of documents at once (group commit).
type Outcomes interface {
	MarkLoaded(entity, key string) error
	MarkFailed(entity, key, rule, reason string) error
	Commit() error
}

// Options configure a delivery.
type Options struct {
	Sink     sink.Sink
	Signer   *sign.Signer
	Outcomes Outcomes
	Workers  int // signing workers; default 2
	// Senders is how many documents may be on their way to a sink that is
	// not Sequenced at once (default 8); each waits for the documents it
	// depends on.
	Senders int
	// Frame builds a document's message frame around it (the signed
	// document inside); the signing workers build it beside the signature.
	Frame func(out *transform.Output, signed []byte) []byte
	// Delivered is called after each document's outcome is recorded.
	Delivered func()
	// TestArchive says the sink is a test archive: each frame (or, without
	// frames, each document) is read for real persons' identity codes just
	// before it is sent, and the first that names one stops the delivery
	// unsent (plan.CheckTestRange has read every record before).
	TestArchive bool
	// Refused hears of each document the archive refused (after it is
	// recorded); an error it returns stops the delivery.
	Refused func(entity string) error
	// Observe, when set, hears of every document's fate and what signing
	// and sending it took: the operator's log and metrics.
	Observe *Observer
}

// Observer hears of what becomes of each document; a nil func is not called.
// Calls come from several goroutines.
type Observer struct {
	Delivered func(kind string)
	// Refused and HeldBack name the document (kind, entity, source key,
	// OID) and the archive's answer, or what it waits for.
	Refused, HeldBack func(kind, entity, key, oid, reason string)
	Signed, Sent      func(time.Duration)
}

// Window is how many documents may be delivered but not yet recorded at
// once; it is also the most that a crash can leave delivered and still
// pending in the state store (they are sent again, and the sink answers that
// it has them).
const Window = 1024

// commitEvery is the most outcomes recorded in one state-store commit.
const commitEvery = 256

// DeliveryError is a failure to deliver one document; the run stops.
type DeliveryError struct {
	Entity, Key, OID string
	Err              error
}

func (e *DeliveryError) Error() string {
	return fmt.Sprintf("delivering %s %s (%s): %v", e.Entity, e.Key, e.OID, e.Err)
}

func (e *DeliveryError) Unwrap() error { return e.Err }

// Deliverer is one delivery in progress.
//
// Documents go through it in planned order: signed on several workers
// (sign pool), handed to the sink (dispatch), and their outcomes recorded in
// that same order by one recorder, which commits the state store once per
// group of documents. To a Sequenced sink (an archive package) each document
// is sent as soon as it is signed: the sink keeps the order and makes groups
// durable together. To any other sink (the archive's interface) documents go
// in parallel, each once the documents it depends on have arrived.
type Deliverer struct {
	opts      Options
	ctx       context.Context
	pool      *signPool
	sequenced sink.Sequenced

	signed, delivered, duplicates atomic.Int64
	refused, heldBack             atomic.Int64

	sem      chan struct{}
	wg       sync.WaitGroup
	acks     chan ack
	recorded chan struct{}
	mu       sync.Mutex
	inflight map[string]*sending
	failed   error
}

// sending is a document on its way to a sink that is not Sequenced.
type sending struct {
	done    chan struct{}
	receipt sink.Receipt
	err     error
}

// ack is a document handed to the sink, in planned order: wait says what
// became of it.
type ack struct {
	entity, key, oid, kind string
	parts                  []plan.Part
	wait                   func() (sink.Receipt, error)
}

// notSent is a document that never reached the sink (what it depends on
// failed, or the delivery had stopped): nothing is recorded for it.
type notSent struct{ error }

// heldBack is a document not sent because a document it depends on was
// refused by the archive (refused), directly or through documents held back
// themselves (through, the one it depends on): it is recorded as held back.
type heldBack struct{ refused, through string }

func (h heldBack) Error() string { return "held back: " + h.reason() }

// reason names the refused document, however long the chain to it.
func (h heldBack) reason() string {
	if h.through == "" {
		return fmt.Sprintf("it waits for %s, which the archive refused", h.refused)
	}
	return fmt.Sprintf("it waits for %s, held back for %s, which the archive refused", h.through, h.refused)
}

// Start starts the signing workers, the dispatcher and the recorder.
func Start(ctx context.Context, opts Options) *Deliverer {
	if opts.Senders <= 0 {
		opts.Senders = 8
	}
	if opts.Workers <= 0 {
		opts.Workers = 2
	}
	d := &Deliverer{opts: opts, ctx: ctx, sem: make(chan struct{}, opts.Senders), inflight: map[string]*sending{},
		acks: make(chan ack, Window), recorded: make(chan struct{})}
	if opts.Sink != nil {
		d.sequenced, _ = sink.SequencedOf(opts.Sink)
	}
	go d.record()
	var signed func(time.Duration)
	if opts.Observe != nil {
		signed = opts.Observe.Signed
	}
	d.pool = newSignPool(ctx, opts.Signer, opts.Workers, opts.Frame, d.dispatch, signed)
	return d
}

// Submit queues a planned document for signing and delivery. It blocks
// while the window in flight is full, and fails once the delivery has.
func (d *Deliverer) Submit(it plan.Item) error { return d.pool.submit(it) }

// Close waits for every document in flight and its outcome, and returns the
// first failure.
func (d *Deliverer) Close() error {
	err := d.pool.close()
	d.wg.Wait()
	close(d.acks)
	<-d.recorded
	if ferr := d.firstFailure(); ferr != nil {
		err = ferr // the delivery failure is the cause
	}
	return err
}

// Refused and HeldBack count the documents the archive refused and those
// held back because a document they depend on was refused.
func (d *Deliverer) Refused() int  { return int(d.refused.Load()) }
func (d *Deliverer) HeldBack() int { return int(d.heldBack.Load()) }

// Signed, Delivered and Duplicates count the documents signed, delivered
// (their outcome recorded), and found already at the sink.
func (d *Deliverer) Signed() int     { return int(d.signed.Load()) }
func (d *Deliverer) Delivered() int  { return int(d.delivered.Load()) }
func (d *Deliverer) Duplicates() int { return int(d.duplicates.Load()) }

// dispatch receives signed documents (with their frames) in planned order
// and hands each to the sink: a Sequenced sink at once, any other once the
// documents it depends on have arrived, independent ones in parallel.
func (d *Deliverer) dispatch(it plan.Item, signed, frame []byte) error {
	d.signed.Add(1)
	if err := d.firstFailure(); err != nil {
		return err
	}
	out := it.Out
	del := &sink.Delivery{OID: out.OID, SetID: out.SetID, Version: out.Version, Kind: string(out.Kind),
		ServiceRequest: out.ServiceRequest(), ClientKey: it.ClientKey, Document: signed,
		Identity: sink.Identity{Entity: it.Entity, Key: it.Key, Content: it.Content, EntityOID: it.EntityOID, Locator: it.Locator}}
	if d.opts.Frame != nil {
		del.Frame = sink.FixedFrame(frame)
	}
	if d.opts.TestArchive {
		leaving := frame
		if leaving == nil {
			leaving = signed
		}
		if real := testguard.RealPersons(leaving); len(real) > 0 {
			return &plan.ErrRealPersonsToTest{Records: 1, Example: it.Entity + " " + it.Key + " (document " + out.OID + ")", Codes: real, AtDelivery: true}
		}
	}
	a := ack{entity: it.Entity, key: it.Key, oid: out.OID, kind: string(out.Kind), parts: it.Parts}
	if d.sequenced != nil {
		a.wait = d.sequenced.Send(del)
	} else {
		wait, err := d.sendInParallel(it, del)
		if err != nil {
			return err
		}
		a.wait = wait
	}
	select {
	case d.acks <- a:
		return nil
	case <-d.ctx.Done():
		return d.ctx.Err()
	}
}

// sendInParallel sends a document on a goroutine of its own once the
// documents it depends on have arrived.
func (d *Deliverer) sendInParallel(it plan.Item, del *sink.Delivery) (func() (sink.Receipt, error), error) {
	item := &sending{done: make(chan struct{})}
	d.mu.Lock()
	var deps []*sending
	var depOIDs []string
	for _, oid := range it.Deps {
		if s, ok := d.inflight[oid]; ok {
			deps, depOIDs = append(deps, s), append(depOIDs, oid)
		}
	}
	d.inflight[del.OID] = item
	d.mu.Unlock()
	select {
	case d.sem <- struct{}{}:
	case <-d.ctx.Done():
		return nil, d.ctx.Err()
	}
	d.wg.Add(1)
	go func() {
		defer d.wg.Done()
		defer func() { <-d.sem }()
		defer close(item.done)
		for i, dep := range deps {
			<-dep.done
			var held heldBack
			switch {
			case sink.IsPermanent(dep.err):
				item.err = heldBack{refused: depOIDs[i]}
				return
			case errors.As(dep.err, &held):
				item.err = heldBack{refused: held.refused, through: depOIDs[i]}
				return
			case dep.err != nil:
				item.err = notSent{errors.New("a document it depends on was not delivered")}
				return
			}
		}
		if err := d.firstFailure(); err != nil {
			item.err = notSent{err}
			return
		}
		began := time.Now()
		item.receipt, item.err = d.opts.Sink.Deliver(context.Background(), del)
		if o := d.opts.Observe; o != nil && o.Sent != nil {
			o.Sent(time.Since(began))
		}
		d.mu.Lock()
		if item.err == nil {
			delete(d.inflight, del.OID)
		} // a failed one stays, for what depends on it to see
		if item.err != nil && !sink.IsPermanent(item.err) && d.failed == nil {
			d.failed = &DeliveryError{Entity: it.Entity, Key: it.Key, OID: del.OID, Err: item.err}
		}
		d.mu.Unlock()
	}()
	return func() (sink.Receipt, error) {
		<-item.done
		return item.receipt, item.err
	}, nil
}

func (d *Deliverer) firstFailure() error {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.failed
}

func (d *Deliverer) fail(err error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.failed == nil {
		d.failed = err
	}
}

// record takes the documents handed to the sink in planned order, waits for
// each one's answer and records its outcome; the outcomes are committed
// together, when commitEvery are waiting or no answer is ready, and only
// then counted as delivered. A document the sink refused is recorded failed
// at once (durably) and stops the delivery.
func (d *Deliverer) record() {
	defer close(d.recorded)
	var loaded int // recorded, not yet committed
	commit := func() {
		if loaded == 0 {
			return
		}
		if err := d.opts.Outcomes.Commit(); err != nil {
			d.fail(err)
			return
		}
		d.delivered.Add(int64(loaded))
		if d.opts.Delivered != nil {
			for range loaded {
				d.opts.Delivered()
			}
		}
		loaded = 0
	}
	defer commit()
	for {
		var a ack
		var ok bool
		select {
		case a, ok = <-d.acks:
		default:
			commit() // nothing is ready: make what is recorded durable meanwhile
			a, ok = <-d.acks
		}
		if !ok {
			return
		}
		ok, err := d.outcome(a)
		if err != nil {
			d.fail(err)
			continue
		}
		if !ok {
			continue
		}
		if loaded++; loaded >= commitEvery {
			commit()
		}
	}
}

// outcome records what became of one document, and says whether it was
// delivered.
func (d *Deliverer) outcome(a ack) (bool, error) {
	receipt, err := a.wait()
	var ns notSent
	var held heldBack
	switch {
	case errors.As(err, &ns):
		return false, ns.error
	case errors.As(err, &held):
		d.heldBack.Add(1)
		if o := d.opts.Observe; o != nil && o.HeldBack != nil {
			o.HeldBack(a.kind, a.entity, a.key, a.oid, held.reason())
		}
		return false, d.opts.Outcomes.MarkFailed(a.entity, a.key, kanta.RuleHeldBack, held.reason())
	case sink.IsPermanent(err):
		// The archive's answer is recorded, and the run goes on without it.
		if merr := d.opts.Outcomes.MarkFailed(a.entity, a.key, kanta.RuleArchiveRejected, err.Error()); merr != nil {
			return false, merr
		}
		d.refused.Add(1)
		if o := d.opts.Observe; o != nil && o.Refused != nil {
			o.Refused(a.kind, a.entity, a.key, a.oid, err.Error())
		}
		if d.opts.Refused != nil {
			return false, d.opts.Refused(a.entity)
		}
		return false, nil
	case err != nil:
		if merr := d.opts.Outcomes.MarkFailed(a.entity, a.key, kanta.RuleDelivery, err.Error()); merr != nil {
			return false, merr
		}
		return false, &DeliveryError{Entity: a.entity, Key: a.key, OID: a.oid, Err: err}
	}
	if receipt.Duplicate {
		d.duplicates.Add(1)
	}
	if o := d.opts.Observe; o != nil && o.Delivered != nil {
		o.Delivered(a.kind)
	}
	if err := d.opts.Outcomes.MarkLoaded(a.entity, a.key); err != nil {
		return false, err
	}
	for _, p := range a.parts {
		if err := d.opts.Outcomes.MarkLoaded(p.Entity, p.Key); err != nil {
			return false, err
		}
	}
	return true, nil
}
