package deliver

import (
	"context"
	"fmt"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/kantamig/kantamig/load/plan"
	"github.com/kantamig/kantamig/load/sign"
	"github.com/kantamig/kantamig/transform"
)

// signPool signs documents on several workers (each signature on its own
// token session) and hands them on in the order they were submitted, so that
// parallel signing never changes the order of delivery.
//
// A failed signature is a fault of the key or token, not of a document: the
// pool stops taking work, lets the signatures in flight finish, hands on
// nothing after the failed one, and reports the failure.
type signPool struct {
	ctx     context.Context
	g       *errgroup.Group
	jobs    chan signJob
	pending chan chan signResult
}

type signJob struct {
	it  plan.Item
	res chan signResult
}

type signResult struct {
	it            plan.Item
	signed, frame []byte
	err           error
}

// newSignPool starts workers signers and the consumer that calls deliver with
// each signed document, in submission order.
// frame, if not nil, builds each document's message frame on the worker
// that signed it.
func newSignPool(ctx context.Context, signer *sign.Signer, workers int, frame func(*transform.Output, []byte) []byte,
	deliver func(it plan.Item, signed, frame []byte) error, signed func(time.Duration)) *signPool {
	g, ctx := errgroup.WithContext(ctx)
	p := &signPool{ctx: ctx, g: g, jobs: make(chan signJob), pending: make(chan chan signResult, 2*max(workers, 1))}
	// The workers and the consumer range over the channels themselves, not
	// the pool's fields: close clears those, and a goroutine that had not yet
	// started would otherwise range over a nil channel for ever.
	jobs, pending := p.jobs, p.pending
	for w := 0; w < max(workers, 1); w++ {
		g.Go(func() error {
			for j := range jobs {
				if err := ctx.Err(); err != nil {
					j.res <- signResult{it: j.it, err: err}
					continue
				}
				began := time.Now()
				sig, err := signer.Sign(j.it.Out.XML, j.it.Out.OID, j.it.Out.BodyDigest)
				if err == nil && signed != nil {
					signed(time.Since(began))
				}
				var framed []byte
				if err == nil && frame != nil {
					framed = frame(j.it.Out, sig)
				}
				j.res <- signResult{it: j.it, signed: sig, frame: framed, err: err}
			}
			return nil
		})
	}
	g.Go(func() error {
		for ch := range pending {
			r := <-ch
			if r.err != nil {
				return fmt.Errorf("signing %s: %w", r.it.Out.OID, r.err)
			}
			if err := deliver(r.it, r.signed, r.frame); err != nil {
				return err
			}
		}
		return nil
	})
	return p
}

// submit queues a document for signing; it blocks while the window of
// documents in flight is full, and fails once the pool has failed.
func (p *signPool) submit(it plan.Item) error {
	ch := make(chan signResult, 1)
	select {
	case p.pending <- ch:
	case <-p.ctx.Done():
		return p.stopped()
	}
	select {
	case p.jobs <- signJob{it: it, res: ch}:
		return nil
	case <-p.ctx.Done():
		ch <- signResult{it: it, err: p.ctx.Err()}
		return p.stopped()
	}
}

// stopped closes the pool and returns why it stopped.
func (p *signPool) stopped() error {
	if err := p.close(); err != nil {
		return err
	}
	return p.ctx.Err()
}

// close waits for every document in flight and returns the first failure.
func (p *signPool) close() error {
	if p.jobs != nil {
		close(p.jobs)
		close(p.pending)
		p.jobs = nil
	}
	return p.g.Wait()
}
