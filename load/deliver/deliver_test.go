package deliver

import (
	"context"
	"testing"
	"time"

	"github.com/kantamig/kantamig/load/sign"
)

// A delivery started and closed at once, with nothing to deliver (every
// record already delivered, or a source that failed first), returns: the
// sign pool's workers once ranged over a channel its close had cleared and
// waited for ever. Repeated, since it was a race.
func TestStartedAndClosedAtOnceReturns(t *testing.T) {
	signer, err := sign.NewThrowawaySigner("1.2.246.10.99999991.10.0", "Test")
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 200; i++ {
		done := make(chan error, 1)
		go func() {
			d := Start(context.Background(), Options{Signer: signer, Workers: 4})
			done <- d.Close()
		}()
		select {
		case err := <-done:
			if err != nil {
				t.Fatalf("attempt %d: %v", i, err)
			}
		case <-time.After(10 * time.Second):
			t.Fatalf("attempt %d: Close did not return", i)
		}
	}
}
