package pipeline

import (
	"bytes"
	"cmp"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"

	"github.com/kantamig/kantamig/body"
	"github.com/kantamig/kantamig/kanta"
	"github.com/kantamig/kantamig/pdfa"
	"github.com/kantamig/kantamig/state"
)

// scanFormat is the format of a document's body when it is a PDF or a TIFF
// scan (declared, or sniffed under auto), else "".
func scanFormat(d *kanta.Document) body.Format {
	if len(bytes.TrimSpace(d.Body)) == 0 || d.TextFormat == kanta.BodyPDFA { // no bytes: a document without text
		return ""
	}
	f, err := body.ParseFormat(cmp.Or(d.TextFormat, string(body.Text)))
	if err != nil {
		return "" // the transform refuses it, naming the format
	}
	if f == body.Auto {
		f = body.Sniff(d.Body)
	}
	if !f.Scan() {
		return ""
	}
	return f
}

// scanRoute decides how a document whose body is a PDF or a TIFF scan
// carries it: as PDF/A-1b, made once. Staging converts and validates, and
// the model keeps the PDF/A, so delivery signs the very bytes the validator
// passed (a conversion is not repeatable byte for byte: Ghostscript stamps
// each output with a new id). A record staged again whose source bytes are
// the same keeps the PDF/A it has, here. Otherwise it returns convert,
// which makes the PDF/A (it takes seconds, so the build runs it, beside
// staging: it reads nothing from the store), or the finding that refuses
// the record now. An error is a fault that stops the run.
func (s *stager) scanRoute(row *state.Record, d *kanta.Document) (convert func(*kanta.Document) (*kanta.Finding, error), f *kanta.Finding, err error) {
	format := scanFormat(d)
	if format == "" {
		return nil, nil, nil
	}
	sum := sha256.Sum256(d.Body)
	digest := hex.EncodeToString(sum[:])
	source := fmt.Sprintf("%s of %d bytes (SHA-256 %s)", describeScan(format, d.BodyFile), len(d.Body), digest)
	if !s.m.PDFADocuments {
		return nil, &kanta.Finding{Field: "text", Rule: kanta.RuleNoPDFARoute,
			Reason: fmt.Sprintf("the body is a %s: such a document is carried as PDF/A-1b only when the mapping states `pdfa_documents: true` (the archive's PDF/A storage form is inferred, each such document counted); or leave it out of the migration", source)}, nil
	}
	d.BodySHA256 = digest
	if kept, err := s.keptPDFA(row, d.BodySHA256); err != nil || kept != nil {
		if kept != nil {
			d.Body, d.TextFormat, d.BodyNote = kept.Body, kanta.BodyPDFA, kept.BodyNote
		}
		return nil, nil, err
	}
	if s.pdfa == nil {
		return nil, nil, cmp.Or(s.pdfaErr, errors.New("the PDF/A route's tools were not found before staging"))
	}
	ctx := s.ctx
	if ctx == nil {
		ctx = context.Background()
	}
	locator := row.Locator
	return func(d *kanta.Document) (*kanta.Finding, error) { return s.carryScan(ctx, d, format, source, locator) }, nil, nil
}

// carryScan converts and validates a scan body, which scanRoute described
// as source: the finding refuses the record; an error is a fault of the
// tools (or the interrupt), which stops the run.
func (s *stager) carryScan(ctx context.Context, d *kanta.Document, format body.Format, source, locator string) (*kanta.Finding, error) {
	res, err := s.pdfa.Carry(ctx, d.Body, pdfa.Kind(format), d.DrawnUp)
	var refused *pdfa.Refused
	if errors.As(err, &refused) {
		return &kanta.Finding{Field: "text", Rule: kanta.RulePDFAInvalid, Reason: fmt.Sprintf("the body, a %s, cannot be carried as PDF/A-1b: %s", source, refused.Reason)}, nil
	}
	if err != nil {
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		return nil, fmt.Errorf("converting the body of %s to PDF/A (a fault of the tools, not of the document): %w", locator, err)
	}
	d.BodyNote = fmt.Sprintf("%s: %s", source, res.Note)
	if res.Route == pdfa.Converted {
		d.BodyNote += fmt.Sprintf("; the PDF/A is %d bytes", len(res.PDF))
	}
	d.Body, d.TextFormat = res.PDF, kanta.BodyPDFA
	return nil, nil
}

// keptPDFA is the document an earlier pass staged for the record, when it
// made a PDF/A of the same source bytes.
func (s *stager) keptPDFA(row *state.Record, sourceSum string) (*kanta.Document, error) {
	prev, err := s.st.Get(row.Entity, row.Key)
	if err != nil || prev == nil || len(prev.Model) == 0 {
		return nil, err
	}
	var d kanta.Document
	if err := state.Decode(prev.Model, &d); err != nil {
		return nil, fmt.Errorf("reading the document staged before for %s: %w", row.Locator, err)
	}
	if d.TextFormat != kanta.BodyPDFA || d.BodySHA256 != sourceSum || !bytes.HasPrefix(d.Body, []byte("%PDF-")) {
		return nil, nil
	}
	return &d, nil
}

// describeScan names a scan body for a reason.
func describeScan(f body.Format, file string) string {
	what := "PDF"
	if f == body.TIFF {
		what = "TIFF scan"
	}
	if file != "" {
		what += " (file " + file + ")"
	}
	return what
}
