package plan

import (
	"context"
	"fmt"
	"strings"

	"github.com/kantamig/kantamig/entity"
	"github.com/kantamig/kantamig/load/testguard"
	"github.com/kantamig/kantamig/state"
)

// ErrRealPersonsToTest refuses to send documents naming real persons
// (identity codes outside the test range 900–999) to a test archive.
type ErrRealPersonsToTest struct {
	Records int      // records to be delivered that name a real person
	Example string   // the first one's locator (or the document's OID)
	Codes   []string // the first one's codes outside the range, masked
	// AtDelivery is true when the refusal came from a document or frame as
	// built for delivery (the deliverer's last check): that document was
	// not sent, and those sent before it named test persons only.
	AtDelivery bool
}

func (e *ErrRealPersonsToTest) Error() string {
	what := "nothing was sent"
	if e.AtDelivery {
		what = "that document was not sent, nor any after it"
	}
	return fmt.Sprintf("%d record(s) to be delivered name a person whose identity code is outside the test range 900–999 (the first at %s: %s), and this run goes to a test archive (processing code T or D); %s. Test archives take test persons only, in the header, the structured form, the free texts and the frame alike: use a test extract, or give --processing-code P for the production archive", e.Records, e.Example, strings.Join(e.Codes, ", "), what)
}

// IsTestProcessing reports whether a processing code means a test archive:
// T (training) or D (debugging).
func IsTestProcessing(code string) bool { return code == "T" || code == "D" }

// CheckTestRange reads every record that is to be (or was) delivered, of
// every entity, and refuses the run if any names a real person anywhere in
// what it holds (see testguard): before the first document leaves, not
// after the archive has seen some. A document is built from its record's
// model alone, so a code the models do not hold cannot be in a document; the
// deliverer checks each document and frame as built all the same.
func CheckTestRange(ctx context.Context, st state.Store) error {
	refusal := &ErrRealPersonsToTest{}
	for _, kind := range entity.Kinds {
		err := EachKey(ctx, st, kind.Entity, func(k string) error {
			row, err := st.Get(string(kind.Entity), k)
			if err != nil || row == nil || (row.Outcome != state.Pending && row.Outcome != state.Loaded) {
				return err
			}
			if real := testguard.RealPersons(row.Model); len(real) > 0 {
				if refusal.Records == 0 {
					refusal.Example, refusal.Codes = row.Locator, real
				}
				refusal.Records++
			}
			return nil
		})
		if err != nil {
			return err
		}
	}
	if refusal.Records > 0 {
		return refusal
	}
	return nil
}
