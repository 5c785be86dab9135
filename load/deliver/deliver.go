// Package deliver signs planned documents and delivers them: a pool of
// signing workers (one token session each) hands signed documents on in the
// order they were planned; each is then sent to the sink as soon as the
// documents it depends on have arrived, several at a time, and its outcome
// (loaded, or failed with the rule and reason) is recorded durably before
// the run counts it.
//
// A failure stops the delivery cleanly: a failed signature is a fault of
// the key or token, a failed delivery a fault of the sink; in either case
// the signatures and deliveries in flight settle, nothing after the failure
// is sent, and the first failure is returned.
package deliver

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"

	"github.com/kantamig/kantamig/kanta"
	"github.com/kantamig/kantamig/load/plan"
	"github.com/kantamig/kantamig/load/sign"
	"github.com/kantamig/kantamig/load/sink"
	"github.com/kantamig/kantamig/transform"
)

// Outcomes is where a delivery's outcome is recorded (the state store).
type Outcomes interface {
	MarkLoaded(entity, key string) error
	MarkFailed(entity, key, rule, reason string) error
}

// Options configure a delivery.
type Options struct {
	Sink     sink.Sink
	Signer   *sign.Signer
	Outcomes Outcomes
	Workers  int // signing workers; default 2
	// Senders is how many documents may be on their way to the sink at once
	// (default 8); each waits for the documents it depends on.
	Senders int
	// Frame builds a document's message frame around it (the signed
	// document inside), when the sink asks.
	Frame func(out *transform.Output, signed []byte) []byte
	// Delivered is called after each document's outcome is recorded.
	Delivered func()
}

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
type Deliverer struct {
	opts Options
	ctx  context.Context
	pool *signPool

	signed, delivered, duplicates atomic.Int64

	sem      chan struct{}
	wg       sync.WaitGroup
	mu       sync.Mutex
	inflight map[string]*sending
	failed   error
}

// sending is a document on its way to the sink.
type sending struct {
	done chan struct{}
	err  error
}

// Start starts the signing workers and the senders.
func Start(ctx context.Context, opts Options) *Deliverer {
	if opts.Senders <= 0 {
		opts.Senders = 8
	}
	if opts.Workers <= 0 {
		opts.Workers = 2
	}
	d := &Deliverer{opts: opts, ctx: ctx, sem: make(chan struct{}, opts.Senders), inflight: map[string]*sending{}}
	d.pool = newSignPool(ctx, opts.Signer, opts.Workers, d.dispatch)
	return d
}

// Submit queues a planned document for signing and delivery. It blocks
// while the window in flight is full, and fails once the delivery has.
func (d *Deliverer) Submit(it plan.Item) error { return d.pool.submit(it) }

// Close waits for every document in flight and returns the first failure.
func (d *Deliverer) Close() error {
	err := d.pool.close()
	d.wg.Wait()
	if ferr := d.firstFailure(); ferr != nil {
		err = ferr // the delivery failure is the cause
	}
	return err
}

// Signed, Delivered and Duplicates count the documents signed, delivered
// (their outcome recorded), and found already at the sink.
func (d *Deliverer) Signed() int     { return int(d.signed.Load()) }
func (d *Deliverer) Delivered() int  { return int(d.delivered.Load()) }
func (d *Deliverer) Duplicates() int { return int(d.duplicates.Load()) }

// dispatch receives signed documents in planned order and sends each once
// the documents it depends on have arrived; independent ones go in parallel.
func (d *Deliverer) dispatch(it plan.Item, signed []byte) error {
	d.signed.Add(1)
	if err := d.firstFailure(); err != nil {
		return err
	}
	item := &sending{done: make(chan struct{})}
	d.mu.Lock()
	var deps []*sending
	for _, oid := range it.Deps {
		if s, ok := d.inflight[oid]; ok {
			deps = append(deps, s)
		}
	}
	d.inflight[it.Out.OID] = item
	d.mu.Unlock()
	select {
	case d.sem <- struct{}{}:
	case <-d.ctx.Done():
		return d.ctx.Err()
	}
	d.wg.Add(1)
	go func() {
		defer d.wg.Done()
		defer func() { <-d.sem }()
		for _, dep := range deps {
			<-dep.done
			if dep.err != nil {
				item.err = errors.New("a document it depends on was not delivered")
				close(item.done)
				return
			}
		}
		if err := d.firstFailure(); err != nil {
			item.err = err
			close(item.done)
			return
		}
		item.err = d.send(it, signed)
		close(item.done)
		d.mu.Lock()
		delete(d.inflight, it.Out.OID)
		if item.err != nil && d.failed == nil {
			d.failed = item.err
		}
		d.mu.Unlock()
	}()
	return nil
}

func (d *Deliverer) firstFailure() error {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.failed
}

// send delivers one document and records its outcome, durably, before it
// counts as delivered.
func (d *Deliverer) send(it plan.Item, signed []byte) error {
	out := it.Out
	frame := func() []byte { return d.opts.Frame(out, signed) }
	receipt, err := d.opts.Sink.Deliver(context.Background(), &sink.Delivery{OID: out.OID, SetID: out.SetID, Version: out.Version,
		Kind: string(out.Kind), ServiceRequest: out.ServiceRequest(), ClientKey: it.ClientKey, Document: signed, Frame: frame})
	if err != nil {
		rule := kanta.RuleDelivery
		if sink.IsPermanent(err) {
			rule = kanta.RuleArchiveRejected
		}
		if merr := d.opts.Outcomes.MarkFailed(it.Entity, it.Key, rule, err.Error()); merr != nil {
			return merr
		}
		return &DeliveryError{Entity: it.Entity, Key: it.Key, OID: out.OID, Err: err}
	}
	if receipt.Duplicate {
		d.duplicates.Add(1)
	}
	if err := d.opts.Outcomes.MarkLoaded(it.Entity, it.Key); err != nil {
		return err
	}
	for _, p := range it.Parts {
		if err := d.opts.Outcomes.MarkLoaded(p.Entity, p.Key); err != nil {
			return err
		}
	}
	d.delivered.Add(1)
	if d.opts.Delivered != nil {
		d.opts.Delivered()
	}
	return nil
}
