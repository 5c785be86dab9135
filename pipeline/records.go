package pipeline

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"

	"github.com/kantamig/kantamig/extract"
	"github.com/kantamig/kantamig/kanta"
	"github.com/kantamig/kantamig/load/state"
	"github.com/kantamig/kantamig/mapping"
	"github.com/kantamig/kantamig/report"
	"github.com/kantamig/kantamig/transform"
)

// Identifier kinds minted under the mapping's OID root.
const (
	kindRelationship = "1"
	kindCase         = "2"
	kindDocument     = "3"
)

// rowKey gives the store key of a record; records without a key (rejected for
// it) are kept apart by their locator.
func rowKey(key, locator string) string {
	if key == "" {
		return "\x00" + locator
	}
	return key
}

// begin looks for an earlier record with the same key. A record read earlier
// in this pass is a duplicate; one from an earlier pass keeps its identifiers.
func (r *Runner) begin(e kanta.Entity, rec extract.Record, o *mapping.Outcome) (*state.Record, *state.Record, error) {
	prev, err := r.st.Get(string(e), rowKey(o.Key, rec.Locator))
	if err != nil {
		return nil, nil, err
	}
	row := &state.Record{Entity: string(e), Key: rowKey(o.Key, rec.Locator), Pass: r.pass, Locator: rec.Locator}
	if prev != nil {
		row.EntityOID, row.DocOID, row.Attempts = prev.EntityOID, prev.DocOID, prev.Attempts
		if prev.Outcome == state.Loaded {
			row.Outcome = state.Loaded
		}
	}
	return prev, row, nil
}

func (r *Runner) duplicate(prev *state.Record) bool { return prev != nil && prev.Pass == r.pass }

// refuse records a record that will not be delivered.
func (r *Runner) refuse(row *state.Record, outcome string, f *mapping.Finding) error {
	if row.Outcome == state.Loaded {
		// Already in the archive from an earlier run: it stays loaded; the
		// report of this pass still says what is wrong with it now.
		return nil
	}
	row.Outcome, row.Rule, row.Reason, row.Model = outcome, f.Rule, f.Reason, nil
	return r.st.Put(row)
}

// mint gives a record's identifier of a kind, reusing one minted for it before.
func (r *Runner) mint(have *string, kind string) error {
	if *have != "" {
		return nil
	}
	oid, err := r.st.Mint(r.m.OIDRoot, kind)
	*have = oid
	return err
}

// settle records a mapping outcome in the report; it returns false for a
// rejected or skipped record, after writing it to the store.
func (r *Runner) settle(e kanta.Entity, rec extract.Record, o *mapping.Outcome, row *state.Record) (bool, error) {
	for _, w := range o.Warnings {
		r.rep.Warn(report.Finding{Locator: rec.Locator, Entity: string(e), Key: o.Key, Field: w.Field, Rule: w.Rule, Reason: w.Reason, Count: w.Count})
	}
	for _, u := range o.Unmapped {
		r.rep.AddUnmapped(u.Field, u.Map, u.Value, rec.Locator)
	}
	switch {
	case o.Reject != nil:
		r.rejectRecord(e, rec, o.Key, o.Reject.Field, o.Reject.Rule, o.Reject.Reason)
		return false, r.refuse(row, state.Rejected, o.Reject)
	case o.Skip != nil:
		r.rep.Count(e, report.OutcomeSkip)
		r.rep.Skip(report.Finding{Locator: rec.Locator, Entity: string(e), Key: o.Key, Field: o.Skip.Field, Rule: o.Skip.Rule, Reason: o.Skip.Reason})
		return false, r.refuse(row, state.Skipped, o.Skip)
	}
	return true, nil
}

func (r *Runner) rejectRecord(e kanta.Entity, rec extract.Record, key, field, rule, reason string) {
	r.rep.Count(e, report.OutcomeReject)
	r.rep.Reject(report.Finding{Locator: rec.Locator, Entity: string(e), Key: key, Field: field, Rule: rule, Reason: reason})
}

// transformFailed rejects a record whose document could not be built.
func (r *Runner) transformFailed(e kanta.Entity, rec extract.Record, key string, row *state.Record, err error) error {
	rule := kanta.RuleTransform
	var se *transform.StructureError
	if errors.As(err, &se) {
		rule = kanta.RuleStructuredForm
	}
	r.rejectRecord(e, rec, key, "", rule, err.Error())
	return r.refuse(row, state.Rejected, &mapping.Finding{Rule: rule, Reason: "its document could not be built: " + err.Error()})
}

// DefaultMaxDocumentBytes bounds an archive document (Options.MaxDocumentBytes).
// No limit of the archive's is published (DOMAIN §5); 20 MiB holds any
// client document a person wrote (the largest legacy texts seen are a few
// megabytes), keeps a message, with the document Base64'd inside its frame,
// under 27 MiB, and keeps the memory a document needs bounded.
const DefaultMaxDocumentBytes = 20 << 20

func (r *Runner) maxDocumentBytes() int {
	if r.opts.MaxDocumentBytes > 0 {
		return r.opts.MaxDocumentBytes
	}
	return DefaultMaxDocumentBytes
}

// tooLarge rejects a document over the size limit at staging, so that the
// run does not stop in delivery when the archive refuses it.
func (r *Runner) tooLarge(rec extract.Record, key string, row *state.Record, field, what string) error {
	reason := fmt.Sprintf("%s; the limit is %d bytes (--max-document-bytes): split the text in the source, or raise the limit if the archive takes larger documents", what, r.maxDocumentBytes())
	r.rejectRecord(kanta.EntityDocument, rec, key, field, "document-too-large", reason)
	return r.refuse(row, state.Rejected, &mapping.Finding{Field: field, Rule: kanta.RuleDocumentTooLarge, Reason: reason})
}

// duplicateFound rejects a second record with a key already read in this
// pass. It is kept in the store under its own row, so that the store accounts
// for every source record.
func (r *Runner) duplicateFound(e kanta.Entity, rec extract.Record, key string, prev *state.Record) error {
	reason := fmt.Sprintf("a %s with the same key was already read at %s", e, prev.Locator)
	r.rejectRecord(e, rec, key, "key", "duplicate-key", reason)
	return r.st.Put(&state.Record{Entity: string(e), Key: key + "\x00duplicate@" + rec.Locator, Pass: r.pass, Locator: rec.Locator,
		Outcome: state.Rejected, Rule: kanta.RuleDuplicateKey, Reason: reason})
}

func notLoaded(row *state.Record) string {
	return row.Outcome + ": " + row.Reason
}

func (r *Runner) client(rec extract.Record) error {
	rel, o := r.m.Client(rec)
	prev, row, err := r.begin(kanta.EntityClient, rec, o)
	if err != nil {
		return err
	}
	if r.duplicate(prev) {
		return r.duplicateFound(kanta.EntityClient, rec, o.Key, prev)
	}
	if o.OK() {
		// One person, one client relationship: the same identity code under
		// two legacy keys is a duplicate client the source must resolve.
		id := rel.Client.IdentityCode
		if id == "" {
			id = rel.Client.TemporaryID
		}
		sum := sha256.Sum256([]byte("person\x00" + id))
		row.Person = hex.EncodeToString(sum[:16])
		other, err := r.st.SamePerson(row.Entity, row.Person, row.Key, r.pass)
		if err != nil {
			return err
		}
		if other != nil {
			o.Reject = &mapping.Finding{Field: "identity_code", Rule: kanta.RuleDuplicatePerson,
				Reason: fmt.Sprintf("the same person as client %q (%s): one person has one client relationship; merge the two records in the source", other.Key, other.Locator)}
			row.Person = ""
		}
	}
	if ok, err := r.settle(kanta.EntityClient, rec, o, row); !ok || err != nil {
		return err
	}
	if err := r.mint(&row.EntityOID, kindRelationship); err != nil {
		return err
	}
	if err := r.mint(&row.DocOID, kindDocument); err != nil {
		return err
	}
	out, err := r.tr.Relationship(rel, transform.IDs{Document: row.DocOID, Relationship: row.EntityOID})
	if err != nil {
		return r.transformFailed(kanta.EntityClient, rec, o.Key, row, err)
	}
	if err := r.stage(row, rel, out); err != nil {
		return err
	}
	return r.accepted(kanta.EntityClient, out)
}

// stage keeps a record that will be delivered, with its model.
func (r *Runner) stage(row *state.Record, model any, out *transform.Output) error {
	data, err := state.Encode(model)
	if err != nil {
		return fmt.Errorf("staging %s %s: %w", row.Entity, row.Key, err)
	}
	row.Model = data
	return r.stageDocument(row, nil, out)
}

// loadedRow finds a record that is to be delivered, or says why it is not.
func (r *Runner) loadedRow(e kanta.Entity, key string) (*state.Record, string, error) {
	row, err := r.st.Get(string(e), key)
	if err != nil || row == nil {
		return nil, "", err
	}
	if row.Outcome != state.Pending && row.Outcome != state.Loaded {
		return row, notLoaded(row), nil
	}
	return row, "", nil
}

func (r *Runner) caseRecord(rec extract.Record) error {
	c, o := r.m.Case(rec)
	prev, row, err := r.begin(kanta.EntityCase, rec, o)
	if err != nil {
		return err
	}
	if r.duplicate(prev) {
		return r.duplicateFound(kanta.EntityCase, rec, o.Key, prev)
	}
	if o.OK() {
		for i, cc := range c.Clients {
			crow, why, err := r.loadedRow(kanta.EntityClient, cc.ClientKey)
			if err != nil {
				return err
			}
			switch {
			case crow == nil:
				o.Reject = &mapping.Finding{Field: "clients", Rule: kanta.RuleClientMissing, Reason: fmt.Sprintf("client %q is not in the export", cc.ClientKey)}
			case why != "":
				o.Reject = &mapping.Finding{Field: "clients", Rule: kanta.RuleClientNotLoaded, Reason: fmt.Sprintf("client %q is not migrated (%s)", cc.ClientKey, why)}
			default:
				var rel kanta.Relationship
				if err := state.Decode(crow.Model, &rel); err != nil {
					return fmt.Errorf("reading client %s from the state store: %w", cc.ClientKey, err)
				}
				c.Clients[i].Client = rel.Client
				continue
			}
			break
		}
	}
	if ok, err := r.settle(kanta.EntityCase, rec, o, row); !ok || err != nil {
		return err
	}
	if err := r.mint(&row.EntityOID, kindCase); err != nil {
		return err
	}
	if err := r.mint(&row.DocOID, kindDocument); err != nil {
		return err
	}
	row.ClientKey = c.Clients[0].ClientKey
	out, err := r.tr.Case(c, transform.IDs{Document: row.DocOID, Case: row.EntityOID})
	if err != nil {
		return r.transformFailed(kanta.EntityCase, rec, o.Key, row, err)
	}
	if err := r.stage(row, c, out); err != nil {
		return err
	}
	return r.accepted(kanta.EntityCase, out)
}

func (r *Runner) document(rec extract.Record) error {
	d, o := r.m.Document(rec)
	typeLabel, taskLabel := r.label(kanta.SetDocumentType, d.Type), r.label(kanta.SetServiceTask, d.ServiceTask)
	count := func(outcome string) { r.rep.CountDocument(typeLabel, taskLabel, outcome) }
	prev, row, err := r.begin(kanta.EntityDocument, rec, o)
	if err != nil {
		return err
	}
	if r.duplicate(prev) {
		count(report.OutcomeReject)
		return r.duplicateFound(kanta.EntityDocument, rec, o.Key, prev)
	}
	row.ClientKey, row.CaseKey = d.ClientKey, d.CaseKey
	if !d.DrawnUp.IsZero() {
		row.OrderTime = d.DrawnUp.UTC().Format("20060102T150405.000")
	}
	ids := transform.IDs{}
	if o.OK() {
		finding, err := r.resolveDocument(&d, &ids)
		if err != nil {
			return err
		}
		o.Reject = finding
	}
	ok, err := r.settle(kanta.EntityDocument, rec, o, row)
	if err != nil {
		return err
	}
	if !ok {
		if o.Reject != nil {
			count(report.OutcomeReject)
		} else {
			count(report.OutcomeSkip)
		}
		return nil
	}
	// A text beyond the limit is refused before a document is built from it:
	// building one makes several copies (escaped, Base64), and memory must not
	// follow the size of one field.
	if n := len(d.Text); n > r.maxDocumentBytes() {
		count(report.OutcomeReject)
		return r.tooLarge(rec, o.Key, row, "text", fmt.Sprintf("its text is %d bytes", n))
	}
	if err := r.mint(&row.DocOID, kindDocument); err != nil {
		return err
	}
	ids.Document = row.DocOID
	out, err := r.tr.Document(d, ids)
	if err != nil {
		count(report.OutcomeReject)
		return r.transformFailed(kanta.EntityDocument, rec, o.Key, row, err)
	}
	if n := len(out.XML); n > r.maxDocumentBytes() {
		count(report.OutcomeReject)
		return r.tooLarge(rec, o.Key, row, "", fmt.Sprintf("its archive document would be %d bytes", n))
	}
	var model any = nil
	if r.opts.StageDocuments {
		model = d
	}
	if err := r.stageDocument(row, model, out); err != nil {
		return err
	}
	count(report.OutcomeLoad)
	return r.accepted(kanta.EntityDocument, out)
}

func (r *Runner) stageDocument(row *state.Record, model any, out *transform.Output) error {
	if model != nil {
		return r.stage(row, model, out)
	}
	// A record delivered in an earlier run stays loaded; the content hash
	// lets delivery check that it rebuilds exactly the document staged.
	if row.Outcome != state.Loaded {
		row.Outcome = state.Pending
	}
	sum := sha256.Sum256(out.XML)
	row.ContentHash, row.SetOID, row.Version = hex.EncodeToString(sum[:]), out.SetID, out.Version
	return r.st.Put(row)
}

// resolveDocument checks a document's references and fills in what they give.
func (r *Runner) resolveDocument(d *kanta.Document, ids *transform.IDs) (*mapping.Finding, error) {
	crow, why, err := r.loadedRow(kanta.EntityClient, d.ClientKey)
	switch {
	case err != nil:
		return nil, err
	case crow == nil:
		return &mapping.Finding{Field: "client", Rule: kanta.RuleClientMissing, Reason: fmt.Sprintf("client %q is not in the export", d.ClientKey)}, nil
	case why != "":
		return &mapping.Finding{Field: "client", Rule: kanta.RuleClientNotLoaded, Reason: fmt.Sprintf("its client relationship is not migrated (%s)", why)}, nil
	}
	var rel kanta.Relationship
	if err := state.Decode(crow.Model, &rel); err != nil {
		return nil, fmt.Errorf("reading client %s from the state store: %w", d.ClientKey, err)
	}
	d.Client = rel.Client
	ids.Relationship = crow.EntityOID
	krow, why, err := r.loadedRow(kanta.EntityCase, d.CaseKey)
	switch {
	case err != nil:
		return nil, err
	case krow == nil:
		return &mapping.Finding{Field: "case", Rule: kanta.RuleCaseMissing, Reason: fmt.Sprintf("case %q is not in the export", d.CaseKey)}, nil
	case why != "":
		return &mapping.Finding{Field: "case", Rule: kanta.RuleCaseNotLoaded, Reason: fmt.Sprintf("its case is not migrated (%s)", why)}, nil
	}
	var c kanta.Case
	if err := state.Decode(krow.Model, &c); err != nil {
		return nil, fmt.Errorf("reading case %s from the state store: %w", d.CaseKey, err)
	}
	member := false
	for _, cc := range c.Clients {
		if cc.ClientKey == d.ClientKey {
			member = true
		}
	}
	if !member {
		return &mapping.Finding{Field: "case", Rule: kanta.RuleCaseClient, Reason: fmt.Sprintf("its client %q is not a client of case %q", d.ClientKey, d.CaseKey)}, nil
	}
	ids.Case = krow.EntityOID
	if d.ReplacesKey != "" {
		prow, why, err := r.loadedRow(kanta.EntityDocument, d.ReplacesKey)
		switch {
		case err != nil:
			return nil, err
		case prow == nil || prow.Pass != r.pass:
			return &mapping.Finding{Field: "replaces", Rule: kanta.RuleReplacesMissing, Reason: fmt.Sprintf("it replaces document %q, which is not in the export before it", d.ReplacesKey)}, nil
		case why != "":
			return &mapping.Finding{Field: "replaces", Rule: kanta.RuleReplacesNotLoaded, Reason: fmt.Sprintf("the version it replaces is not migrated (%s)", why)}, nil
		}
		ids.Set, ids.Replaces, ids.ReplacesVersion = prow.SetOID, prow.DocOID, prow.Version
		if d.Version != 0 && d.Version <= prow.Version {
			return &mapping.Finding{Field: "version", Rule: kanta.RuleVersionOrder, Reason: fmt.Sprintf("version %d is not after the version %d it replaces", d.Version, prow.Version)}, nil
		}
	}
	return nil, nil
}

func (r *Runner) label(set, code string) string {
	if code == "" {
		return "(unknown)"
	}
	if d := r.m.CodeSets.Display(set, code); d != "" {
		return code + " " + d
	}
	return code
}

// accepted counts a record that would load and, in a dry-run, hands its
// document to the signers. A run stages it and signs it when it delivers.
func (r *Runner) accepted(e kanta.Entity, out *transform.Output) error {
	r.rep.Count(e, report.OutcomeLoad)
	r.rep.DocumentsGenerated++
	if r.pool == nil {
		return nil
	}
	return r.pool.submit(out, rowRef{})
}
