package plan

import (
	"context"
	"fmt"

	"github.com/kantamig/kantamig/kanta"
	"github.com/kantamig/kantamig/state"
)

// ErrRealPersonsToTest refuses to send documents of real persons (identity
// codes outside the test range 900–999) to a test archive. Nothing was sent.
type ErrRealPersonsToTest struct {
	Clients int    // clients to be delivered whose identity code is outside the test range
	Example string // the first one's locator
}

func (e *ErrRealPersonsToTest) Error() string {
	return fmt.Sprintf("%d client(s) to be delivered have identity codes outside the test range 900–999 (the first at %s), and this run goes to a test archive (processing code T or D); nothing was sent. Test archives take test persons only: use a test extract, or give --processing-code P for the production archive", e.Clients, e.Example)
}

// IsTestProcessing reports whether a processing code means a test archive:
// T (training) or D (debugging).
func IsTestProcessing(code string) bool { return code == "T" || code == "D" }

// realPerson reports whether a client is a real person as far as a test
// archive is concerned: a valid identity code outside the test range.
// Clients known only by a temporary identifier carry no national code.
func realPerson(c kanta.Client) bool {
	if c.IdentityCode == "" {
		return false
	}
	code, err := kanta.ParseIdentityCode(c.IdentityCode)
	return err != nil || !code.TestRange()
}

// CheckTestRange walks every client that is to be (or was) delivered and
// refuses the run if any is a real person: before the first document leaves,
// not after the archive has seen some.
func CheckTestRange(ctx context.Context, st state.Store) error {
	refusal := &ErrRealPersonsToTest{}
	err := EachKey(ctx, st, kanta.EntityClient, func(k string) error {
		row, err := st.Get(string(kanta.EntityClient), k)
		if err != nil || row == nil || (row.Outcome != state.Pending && row.Outcome != state.Loaded) {
			return err
		}
		var rel kanta.Relationship
		if err := state.Decode(row.Model, &rel); err != nil {
			return fmt.Errorf("reading client %s from the state store: %w", k, err)
		}
		if realPerson(rel.Client) {
			if refusal.Clients == 0 {
				refusal.Example = row.Locator
			}
			refusal.Clients++
		}
		return nil
	})
	if err != nil {
		return err
	}
	if refusal.Clients > 0 {
		return refusal
	}
	return nil
}
