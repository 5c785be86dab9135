package pdfa_test

import (
	"bytes"
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/kantamig/kantamig/internal/testenv"
	"github.com/kantamig/kantamig/pdfa"
	"github.com/kantamig/kantamig/pdfa/pdfatest"
)

// tools finds the real Ghostscript and PDFBox Preflight, or skips where
// they are not installed (never in CI, which installs them).
func tools(t *testing.T) *pdfa.Tools {
	t.Helper()
	tl, err := pdfa.Find()
	if err != nil {
		testenv.Missing(t, err.Error())
	}
	return tl
}

var drawnUp = time.Date(2004, 3, 15, 10, 30, 0, 0, time.UTC)

// A legacy print to PDF is not PDF/A (its font is not embedded, it has no
// output intent): it is converted, and what comes out passes the
// validator, carries the PDF/A-1b claim and the day the document was
// drawn up, not the migration's.
func TestAPlainPDFIsConvertedAndValid(t *testing.T) {
	t.Parallel()
	tl := tools(t)
	res, err := tl.Carry(context.Background(), pdfatest.TextPDF("Hakemus: kotipalvelu", "Äiti ja isä, Åke €"), pdfa.PDF, drawnUp)
	if err != nil {
		t.Fatal(err)
	}
	if res.Route != pdfa.Converted || !bytes.HasPrefix(res.PDF, []byte("%PDF-")) {
		t.Fatalf("route %s, %q…", res.Route, res.PDF[:min(10, len(res.PDF))])
	}
	for _, want := range []string{"pdfaid:part='1'", "pdfaid:conformance='B'", "2004-03-15T10:30:00"} {
		if !bytes.Contains(res.PDF, []byte(want)) {
			t.Errorf("the PDF/A holds no %s", want)
		}
	}
	if !strings.Contains(res.Note, "converted") || !strings.Contains(res.Note, "Ghostscript") || !strings.Contains(res.Note, "Preflight") {
		t.Errorf("note %q does not say what was done by which tools", res.Note)
	}
	// Carried again, a PDF/A is left as it is: byte for byte.
	again, err := tl.Carry(context.Background(), res.PDF, pdfa.PDF, drawnUp)
	if err != nil {
		t.Fatal(err)
	}
	if again.Route != pdfa.AsIs || !bytes.Equal(again.PDF, res.PDF) {
		t.Errorf("a valid PDF/A was not carried as it is: route %s, same bytes %v", again.Route, bytes.Equal(again.PDF, res.PDF))
	}
}

func TestATIFFScanIsConverted(t *testing.T) {
	t.Parallel()
	tl := tools(t)
	res, err := tl.Carry(context.Background(), pdfatest.TIFF(300, 420), pdfa.TIFF, drawnUp)
	if err != nil {
		t.Fatal(err)
	}
	if res.Route != pdfa.Converted || !bytes.Contains(res.PDF, []byte("pdfaid:part='1'")) || !strings.Contains(res.Note, "TIFF") {
		t.Errorf("route %s, note %q", res.Route, res.Note)
	}
}

// What cannot be carried faithfully is refused with the reason, never
// repaired or passed on: each case's reason is written here, not taken
// from the code.
func TestWhatCannotBeCarriedIsRefused(t *testing.T) {
	t.Parallel()
	tl := tools(t)
	plain := pdfatest.TextPDF("Päätös", "Myönteinen")
	for _, tc := range []struct {
		name string
		data []byte
		kind pdfa.Kind
		want string
	}{
		{"password", pdfatest.ProtectedPDF("salasana", "Salainen lausunto"), pdfa.PDF, "protected by a password"},
		{"cut short", plain[:len(plain)*2/3], pdfa.PDF, "damaged"},
		{"not a PDF", []byte("hello, not a pdf"), pdfa.PDF, "not a PDF"},
		{"corrupt TIFF", pdfatest.TIFF(100, 100)[:60], pdfa.TIFF, "TIFF cannot be read"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			_, err := tl.Carry(context.Background(), tc.data, tc.kind, drawnUp)
			var r *pdfa.Refused
			if !errors.As(err, &r) {
				t.Fatalf("got %v, want a refusal", err)
			}
			if !strings.Contains(r.Reason, tc.want) {
				t.Errorf("reason %q does not say %q", r.Reason, tc.want)
			}
		})
	}
}

// A conversion stopped by its context is an interruption, not a refusal:
// the record must not be rejected for it.
func TestAStoppedConversionIsNotARefusal(t *testing.T) {
	t.Parallel()
	tl := tools(t)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	for _, k := range []pdfa.Kind{pdfa.PDF, pdfa.TIFF} {
		data := pdfatest.TextPDF("Keskeytetty")
		if k == pdfa.TIFF {
			data = pdfatest.TIFF(100, 100)
		}
		_, err := tl.Carry(ctx, data, k, drawnUp)
		var r *pdfa.Refused
		if errors.As(err, &r) || !errors.Is(err, context.Canceled) {
			t.Errorf("%s: got %v, want the context's cancellation", k, err)
		}
	}
}
