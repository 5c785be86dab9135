package sink

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/cenkalti/backoff/v5"
)

// Retry is the policy for transient failures: exponential backoff with
// jitter (cenkalti/backoff), the first wait around Base, doubling up to Max,
// at most Attempts tries in all. A connection lost without an answer is
// first sent again at once (one of the attempts).
type Retry struct {
	Attempts int           // default 8
	Base     time.Duration // default 200 ms
	Max      time.Duration // default 30 s
}

// WithRetry wraps a sink so that its transient failures (*TransientError)
// are sent again under the policy; permanent refusals and other faults are
// returned at once. A sink that is Bound stays Bound.
func WithRetry(s Sink, r Retry) Sink {
	if r.Attempts <= 0 {
		r.Attempts = 8
	}
	r.Base, r.Max = durationOr(r.Base, 200*time.Millisecond), durationOr(r.Max, 30*time.Second)
	return &retrying{Sink: s, policy: r}
}

type retrying struct {
	Sink
	policy Retry
}

func (r *retrying) Deliver(ctx context.Context, d *Delivery) (Receipt, error) {
	policy := &backoff.ExponentialBackOff{InitialInterval: r.policy.Base, RandomizationFactor: 0.5, Multiplier: 2, MaxInterval: r.policy.Max}
	tries := 0
	receipt, err := backoff.Retry(ctx, func() (Receipt, error) {
		tries++
		receipt, err := r.Sink.Deliver(ctx, d)
		var te *TransientError
		if tries == 1 && errors.As(err, &te) && te.NoAnswer {
			// Lost without an answer: once more at once, before any wait.
			tries++
			receipt, err = r.Sink.Deliver(ctx, d)
		}
		if err != nil && !IsTransient(err) {
			return receipt, backoff.Permanent(err)
		}
		return receipt, err
	}, backoff.WithBackOff(policy), backoff.WithMaxTries(uint(r.policy.Attempts)), backoff.WithMaxElapsedTime(0))
	if err != nil && IsTransient(err) {
		return receipt, fmt.Errorf("the sink did not take the document after %d attempts: %w", tries, err)
	}
	return receipt, err
}

// Bind binds the sink underneath, if it belongs to a run.
func (r *retrying) Bind(runID string, adopt bool) error {
	if b, ok := r.Sink.(Bound); ok {
		return b.Bind(runID, adopt)
	}
	return nil
}

// Unwrap returns the sink underneath.
func (r *retrying) Unwrap() Sink { return r.Sink }
