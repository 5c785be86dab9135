package pipeline

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/kantamig/kantamig/entity"
	"github.com/kantamig/kantamig/extract"
	"github.com/kantamig/kantamig/kanta"
	"github.com/kantamig/kantamig/ledger"
	"github.com/kantamig/kantamig/load/plan"
	"github.com/kantamig/kantamig/mapping"
	"github.com/kantamig/kantamig/pdfa"
	"github.com/kantamig/kantamig/report"
	"github.com/kantamig/kantamig/resolve"
	"github.com/kantamig/kantamig/state"
	"github.com/kantamig/kantamig/transform"
)

// Identifier kinds minted under the mapping's OID root.
const (
	kindRelationship = "1"
	kindCase         = "2"
	kindDocument     = "3"
)

// stager takes each source record through mapping, resolving and
// transforming, mints its identifiers and records it, with its outcome, in
// the state store: the one place a record's outcome is written. Dry-run and
// run stage alike.
type stager struct {
	m          *mapping.Mapping
	tr         *transform.Transformer
	st         state.Store
	res        *resolve.Resolver
	rep        *report.Report // warnings and unmapped values, which are not outcomes
	pass       int
	maxBytes   int             // a document's limit (--max-document-bytes)
	maxMessage int             // its message frame's (--max-message-bytes)
	sample     *sampler        // nil: every record
	pdfa       *pdfa.Tools     // the PDF/A route's (pdfa_documents)
	pdfaErr    error           // why they are not here
	ctx        context.Context // the staging's: an interrupt stops a conversion in flight

	// Documents built beside staging (builds.go): at most builders at once.
	builders      int
	slots         chan struct{}
	builds        []*build        // in the order their records were read
	buildingBytes int64           // the sizes of the builds
	inFlight      map[string]bool // the entity and row key of each build
	persons       map[string]bool // the person of each client build
}

func newStager(m *mapping.Mapping, tr *transform.Transformer, st state.Store, rep *report.Report, pass, maxBytes, maxMessage int) *stager {
	if maxBytes <= 0 {
		maxBytes = DefaultMaxDocumentBytes
	}
	if maxMessage <= 0 {
		maxMessage = DefaultMaxMessageBytes
	}
	s := &stager{m: m, tr: tr, st: newRowCache(st), rep: rep, pass: pass, maxBytes: maxBytes, maxMessage: maxMessage}
	s.res = resolve.New(stagedRecords{s})
	s.res.ServiceTasks = len(m.Of(kanta.EntityServiceTask)) > 0
	s.res.Location = m.Location
	return s
}

// steps are the source blocks in the order they are read: every source of
// clients, then of cases, then of case members, then of documents, each in
// the mapping's order. When case members come apart, the cases' documents
// are built after the last of them (a step without a block), and the cases
// collected for documents without a case after the last document.
func (s *stager) steps() []step {
	var out []step
	fns := map[kanta.Entity]func(*mapping.EntityMapping, extract.Record) error{
		kanta.EntityClient: s.client, kanta.EntityServiceTask: s.serviceTask, kanta.EntityRelatedPerson: s.relatedPerson, kanta.EntityAddress: s.address, kanta.EntityCase: s.caseRecord,
		kanta.EntityMember: s.member, kanta.EntityDocument: s.document}
	// What a carrier's document carries is read after it: the carrier's
	// documents are built once the next kind with a document of its own
	// begins (or, for cases, before the documents).
	finishing := map[kanta.Entity]func() error{kanta.EntityClient: s.finishRelationships, kanta.EntityCase: s.finishCases}
	var open kanta.Entity // the carrier whose parts are being read
	for _, em := range s.m.Blocks() {
		kind := entity.Of(em.Entity)
		if kind.Carrier == "" && open != "" && open != em.Entity {
			out = append(out, step{finish: finishing[open]})
			open = ""
		}
		if kind.Carrier == "" && finishing[em.Entity] != nil && s.m.Carries(em.Entity) {
			open = em.Entity
		}
		fn := fns[em.Entity]
		if fn == nil && kind.Item != "" {
			fn = s.item
		}
		out = append(out, step{em: em, fn: func(rec extract.Record) error { return fn(em, rec) }})
	}
	if open != "" {
		out = append(out, step{finish: finishing[open]})
	}
	return append(out, step{finish: s.finishCollected})
}

// step reads one source block, or, without one, finishes what the blocks
// before it staged.
type step struct {
	em     *mapping.EntityMapping
	fn     func(extract.Record) error
	finish func() error
}

// stagedRecords shows the store to the resolver.
type stagedRecords struct{ s *stager }

func (r stagedRecords) view(row *state.Record) *resolve.Staged {
	if row == nil {
		return nil
	}
	deliverable := row.Outcome == state.Pending || row.Outcome == state.Loaded
	v := &resolve.Staged{Key: row.Key, Locator: row.Locator, ThisPass: row.Pass == r.s.pass, Deliverable: deliverable,
		EntityOID: row.EntityOID, DocOID: row.DocOID, SetOID: row.SetOID, Version: row.Version,
		Model: func(v any) error { return state.Decode(row.Model, v) }}
	if !deliverable {
		v.Why = row.Outcome + ": " + row.Reason
	}
	return v
}

func (r stagedRecords) Staged(e kanta.Entity, key string) (*resolve.Staged, error) {
	row, err := r.s.st.Get(string(e), key)
	if err != nil {
		return nil, err
	}
	return r.view(row), nil
}

func (r stagedRecords) SamePerson(person, key string) (*resolve.Staged, error) {
	row, err := r.s.st.SamePerson(string(kanta.EntityClient), person, key, r.s.pass)
	if err != nil {
		return nil, err
	}
	return r.view(row), nil
}

// rowKey gives the store key of a record: its qualified key (source and
// key). Records without a key (rejected for it) are kept apart by their
// locator, under their source.
func rowKey(o *mapping.Outcome, locator string) string {
	if o.Key == "" {
		return o.Source + mapping.KeySeparator + "\x00" + locator
	}
	return o.Key
}

// begin starts a record's row. A record with the key of one read earlier
// in this pass is a duplicate (returned as a finding); one from an earlier
// pass keeps its identifiers, and stays loaded if it was.
func (s *stager) begin(e kanta.Entity, rec extract.Record, o *mapping.Outcome) (*state.Record, *kanta.Finding, error) {
	key := rowKey(o, rec.Locator)
	prev, err := s.st.Get(string(e), key)
	if err != nil {
		return nil, nil, err
	}
	row := &state.Record{Entity: string(e), Key: key, Pass: s.pass, Locator: rec.Locator}
	if prev == nil {
		return row, nil, nil
	}
	if f := resolve.Duplicate(e, stagedRecords{s}.view(prev)); f != nil {
		// Kept under a row of its own, so that the store accounts for every
		// source record.
		row.Key = key + "\x00duplicate@" + rec.Locator
		return row, f, nil
	}
	carryOver(row, prev)
	return row, nil, nil
}

// carryOver gives a record staged again the identifiers it had; one
// delivered before stays loaded, with the hash of what was delivered. One
// the archive refused keeps the refusal and the hash of what was refused:
// stage sends it again only if its document now differs.
func carryOver(row, prev *state.Record) {
	row.EntityOID, row.DocOID, row.Attempts = prev.EntityOID, prev.DocOID, prev.Attempts
	switch {
	case prev.Outcome == state.Loaded:
		row.Outcome, row.ContentHash = state.Loaded, prev.ContentHash
	case prev.Outcome == state.Pending && prev.Rule == kanta.RuleArchiveRejected:
		row.Rule, row.Reason, row.ContentHash = prev.Rule, prev.Reason, prev.ContentHash
	}
}

// note adds a record's warnings and unmapped values to the report.
func (s *stager) note(e kanta.Entity, rec extract.Record, o *mapping.Outcome) {
	for _, w := range o.Warnings {
		s.rep.Warn(report.Finding{Locator: rec.Locator, Entity: string(e), Source: o.Source, Key: o.SourceKey, Field: w.Field, Rule: w.Rule, Reason: w.Reason, Count: w.Count})
	}
	for _, u := range o.Unmapped {
		s.rep.AddUnmapped(u.Field, u.Map, u.Value, rec.Locator)
	}
}

// refuse records a record that will not be delivered.
func (s *stager) refuse(row *state.Record, outcome string, f *kanta.Finding) error {
	if row.Outcome == state.Loaded {
		// Already in the archive from an earlier run: it stays loaded, as
		// staged then, and is counted in this pass as what it is.
		prev, err := s.st.Get(row.Entity, row.Key)
		if err != nil || prev == nil {
			return err
		}
		prev.Pass = s.pass
		return s.st.Put(prev)
	}
	row.Outcome, row.Field, row.Rule, row.Reason, row.Model = outcome, f.Field, f.Rule, f.Reason, nil
	return s.st.Put(row)
}

// duplicate records a second record with a key already read: rejected, or,
// outside a dry-run's sample, skipped with the first.
func (s *stager) duplicate(row *state.Record, o *mapping.Outcome, dup *kanta.Finding) error {
	if o.Skip != nil && o.Skip.Rule == kanta.RuleSampledOut {
		return s.refuse(row, state.Skipped, o.Skip)
	}
	return s.refuse(row, state.Rejected, dup)
}

// settle records a rejected or skipped record and returns false for it.
func (s *stager) settle(row *state.Record, o *mapping.Outcome) (bool, error) {
	if s.sample != nil && o.Reject != nil && strings.Contains(o.Reject.Reason, sampledOutMark) {
		// It refers to a record left out of the sample: left out with it.
		o.Reject, o.Skip = nil, &kanta.Finding{Field: o.Reject.Field, Rule: kanta.RuleSampledOut, Reason: "it refers to a record " + sampledOutMark}
	}
	switch {
	case o.Reject != nil:
		return false, s.refuse(row, state.Rejected, o.Reject)
	case o.Skip != nil:
		return false, s.refuse(row, state.Skipped, o.Skip)
	}
	return true, nil
}

// mint gives a record's identifier of a kind, reusing one minted for it before.
func (s *stager) mint(have *string, kind string) error {
	if *have != "" {
		return nil
	}
	oid, err := s.st.Mint(s.m.OIDRoot, kind)
	*have = oid
	return err
}

// transformFailed rejects a record whose document could not be built.
func (s *stager) transformFailed(row *state.Record, err error) error {
	rule := kanta.RuleTransform
	var se *transform.StructureError
	var pe *transform.PlaceholderError
	var ne *transform.NationalRuleError
	switch {
	case errors.As(err, &ne):
		rule = ne.Rule
	case errors.As(err, &se):
		rule = kanta.RuleStructuredForm
	case errors.As(err, &pe):
		rule = kanta.RulePlaceholderCode
	}
	return s.refuse(row, state.Rejected, &kanta.Finding{Rule: rule, Reason: "its document could not be built: " + err.Error()})
}

// stage keeps a record that will be delivered: its model, and the hash of
// its document, so that delivery can check it rebuilds exactly this one. A
// record delivered in an earlier pass of the run stays loaded with the hash
// of what was delivered; when its document would now differ (the source
// changed while the run was interrupted, or a case collected for documents
// without a case gained one and changed its dates), the report warns: the
// archive keeps the document it got, and nothing is sent twice.
func (s *stager) stage(row *state.Record, model any, out *transform.Output) error {
	if f := s.overLimits(out); f != nil {
		return s.refuse(row, state.Rejected, f)
	}
	data, err := state.Encode(model)
	if err != nil {
		return fmt.Errorf("staging %s %s: %w", row.Entity, row.Key, err)
	}
	source, key := mapping.SplitKey(ledger.StoredKey(row.Key))
	if out.ServiceRequestInferred() && row.Outcome != state.Loaded {
		s.rep.Warn(report.Finding{Locator: row.Locator, Entity: row.Entity, Source: source, Key: key, Rule: kanta.RuleInferredRequest,
			Reason: fmt.Sprintf("sent with the service request %s, inferred: state it under service_requests in the mapping once the archive's specification says which", out.ServiceRequest())})
		s.rep.InferredServiceRequests++
	}
	for _, name := range out.Inferences() {
		s.rep.Infer(name, 1)
	}
	for _, n := range out.Notes {
		s.rep.Warn(report.Finding{Locator: row.Locator, Entity: row.Entity, Source: source, Key: key, Field: n.Field, Rule: n.Rule, Reason: n.Reason})
	}
	if why := out.Placeholders(); len(why) > 0 { // a test rehearsal: transform refuses them otherwise
		s.rep.Warn(report.Finding{Locator: row.Locator, Entity: row.Entity, Source: source, Key: key, Rule: kanta.RuleRehearsalCode, Reason: strings.Join(why, "; ")})
		s.rep.PlaceholderDocuments++
	}
	sum := sha256.Sum256(out.XML)
	hash := hex.EncodeToString(sum[:])
	switch {
	case row.Outcome != state.Loaded:
		row.Outcome = state.Pending
		if row.Rule == kanta.RuleArchiveRejected && row.ContentHash != hash {
			row.Rule, row.Reason = "", "" // refused, and changed since: it is sent again
		}
	case row.ContentHash != "" && row.ContentHash != hash:
		s.rep.Warn(report.Finding{Locator: row.Locator, Entity: row.Entity, Source: source, Key: key, Rule: kanta.RuleChangedAfterDelivery,
			Reason: "delivered in an earlier pass of this run, its document would now differ: the source changed while the run was stopped" +
				" (for a case made for documents without a case: a document joined it and moved its dates). The archive keeps the document it got;" +
				" to archive the change, send a new version from the client system once the migration is done"})
		hash = row.ContentHash
	}
	row.Model, row.ContentHash, row.SetOID, row.Version = data, hash, out.SetID, out.Version
	return s.st.Put(row)
}

func (s *stager) client(em *mapping.EntityMapping, rec extract.Record) error {
	rel, o := em.Client(rec)
	if s.sample != nil && o.Key != "" && !s.sample.in(o.Key) {
		o.Reject, o.Skip = nil, s.sample.finding()
	}
	s.note(kanta.EntityClient, rec, o)
	person := ""
	if rel.Client.IdentityCode+rel.Client.TemporaryID != "" {
		person = resolve.PersonHash(rel.Client)
	}
	if err := s.drainFor(kanta.EntityClient, rowKey(o, rec.Locator), person, false); err != nil {
		return err
	}
	row, dup, err := s.begin(kanta.EntityClient, rec, o)
	if err != nil {
		return err
	}
	if dup != nil {
		return s.duplicate(row, o, dup)
	}
	// One person, one client: an identity fault, reported before the
	// record's field and date faults (kanta.RuleClass), so it is asked
	// whenever the identity itself is sound.
	if person != "" && (o.Reject == nil || kanta.RuleClass(o.Reject.Rule) > kanta.ClassIdentity) && (o.Skip == nil || o.Skip.Rule != kanta.RuleSampledOut) {
		dup, err := s.res.SamePerson(row.Key, person)
		if err != nil {
			return err
		}
		switch {
		case dup != nil:
			o.Reject, o.Skip = dup, nil
		case o.OK():
			row.Person = person
		}
	}
	if ok, err := s.settle(row, o); !ok || err != nil {
		return err
	}
	if f := s.oversized(rel, "its client relationship"); f != nil {
		return s.refuse(row, state.Rejected, f)
	}
	if err := s.mint(&row.EntityOID, kindRelationship); err != nil {
		return err
	}
	if err := s.mint(&row.DocOID, kindDocument); err != nil {
		return err
	}
	if s.m.Carries(kanta.EntityClient) {
		// Its service-task relationships or related persons come apart: its
		// document is built once they are read (finishRelationships).
		return s.later(row, rel)
	}
	ids := transform.IDs{Document: row.DocOID, Relationship: row.EntityOID}
	return s.buildLater(row, 0, func() made {
		out, err := s.tr.Relationship(rel, ids)
		return made{model: rel, out: out, err: err}
	})
}

func (s *stager) caseRecord(em *mapping.EntityMapping, rec extract.Record) error {
	c, o := em.Case(rec)
	if s.sample != nil && !s.sampledCase(c) {
		o.Reject, o.Skip = nil, s.sample.finding()
	}
	s.note(kanta.EntityCase, rec, o)
	if err := s.drainFor(kanta.EntityCase, rowKey(o, rec.Locator), "", false); err != nil {
		return err
	}
	row, dup, err := s.begin(kanta.EntityCase, rec, o)
	if err != nil {
		return err
	}
	if dup != nil {
		return s.duplicate(row, o, dup)
	}
	if o.OK() {
		if o.Reject, err = s.res.CaseClients(&c); err != nil {
			return err
		}
		s.resolveWarnings(kanta.EntityCase, rec, o)
	}
	if ok, err := s.settle(row, o); !ok || err != nil {
		return err
	}
	if f := s.oversized(c, "its case"); f != nil {
		return s.refuse(row, state.Rejected, f)
	}
	if err := s.mint(&row.EntityOID, kindCase); err != nil {
		return err
	}
	if err := s.mint(&row.DocOID, kindDocument); err != nil {
		return err
	}
	if s.m.Carries(kanta.EntityCase) {
		// Its members come apart: its document is built once they are read
		// (finishCases).
		return s.later(row, c)
	}
	row.ClientKey = c.Clients[0].ClientKey
	ids := transform.IDs{Document: row.DocOID, Case: row.EntityOID}
	return s.buildLater(row, 0, func() made {
		out, err := s.tr.Case(c, ids)
		return made{model: c, out: out, err: err}
	})
}

func (s *stager) document(em *mapping.EntityMapping, rec extract.Record) error {
	d, o := em.Document(rec)
	if s.sample != nil && d.ClientKey != "" && !s.sample.in(d.ClientKey) {
		o.Reject, o.Skip = nil, s.sample.finding()
	}
	reads := d.ReplacesKey != "" || d.AttachedToKey != "" || (d.CaseKey == "" && em.WithoutCase != nil)
	if err := s.drainFor(kanta.EntityDocument, rowKey(o, rec.Locator), "", reads); err != nil {
		return err
	}
	s.note(kanta.EntityDocument, rec, o)
	row, dup, err := s.begin(kanta.EntityDocument, rec, o)
	if err != nil {
		return err
	}
	row.DocType, row.ServiceTask = s.label(kanta.SetDocumentType, d.Type), s.label(kanta.SetServiceTask, d.ServiceTask)
	if dup != nil {
		return s.duplicate(row, o, dup)
	}
	if o.OK() && d.AttachedToKey != "" { // its document's case and time, before it is collected
		if o.Reject, err = s.res.Attachment(&d); err != nil {
			return err
		}
	}
	if !d.DrawnUp.IsZero() {
		row.OrderTime = d.DrawnUp.UTC().Format("20060102T150405.000")
	}
	var refs resolve.Refs
	if o.OK() && d.CaseKey == "" && em.WithoutCase != nil {
		if o.Reject, err = s.collect(em.WithoutCase, &d); err != nil {
			return err
		}
	}
	if o.OK() {
		if refs, o.Reject, err = s.res.Document(&d); err != nil {
			return err
		}
		s.resolveWarnings(kanta.EntityDocument, rec, o)
		row.ServiceTask = s.label(kanta.SetServiceTask, d.ServiceTask) // perhaps its case's
	}
	row.ClientKey, row.CaseKey = d.ClientKey, d.CaseKey // a client named by identity code has its key now
	if w := mapping.BeforeBirth("drawn_up", "drawn up", d.DrawnUp, d.Client.BirthDate); w != nil && o.OK() {
		s.rep.Warn(report.Finding{Locator: rec.Locator, Entity: string(kanta.EntityDocument), Source: o.Source, Key: o.SourceKey, Field: w.Field, Rule: w.Rule, Reason: w.Reason})
	}
	if ok, err := s.settle(row, o); !ok || err != nil {
		return err
	}
	if f := s.oversized(d, "the document"); f != nil {
		return s.refuse(row, state.Rejected, f)
	}
	convert, f, err := s.scanRoute(row, &d)
	if err != nil {
		return err
	}
	if f != nil {
		return s.refuse(row, state.Rejected, f)
	}
	if err := s.mint(&row.DocOID, kindDocument); err != nil {
		return err
	}
	ids := transform.IDs{Document: row.DocOID, Relationship: refs.Relationship, Case: refs.Case, Set: refs.Set,
		Replaces: refs.Replaces, ReplacesVersion: refs.ReplacesVersion, AttachedTo: refs.AttachedTo}
	buildDoc := func() made { // d is the build's from here on
		if convert != nil {
			if f, err := convert(&d); f != nil || err != nil {
				return made{refusal: f, fault: err}
			}
		}
		out, err := s.tr.Document(d, ids)
		return made{model: d, out: out, err: err}
	}
	if !mapping.IsGenerated(d.CaseKey) {
		return s.buildLater(row, int64(len(d.Text)+len(d.Body)), buildDoc)
	}
	// Collected, or an attachment in its document's collected case: built
	// at once, since the case's dates follow its documents.
	m := buildDoc()
	if err := s.record(row, m); err != nil || m.out == nil {
		return err
	}
	return s.extendCollected(d.CaseKey, d.DrawnUp)
}

// resolveWarnings reports the warnings resolving a record gave, when it
// loads.
func (s *stager) resolveWarnings(e kanta.Entity, rec extract.Record, o *mapping.Outcome) {
	for _, w := range s.res.TakeWarnings() {
		if o.OK() {
			s.rep.Warn(report.Finding{Locator: rec.Locator, Entity: string(e), Source: o.Source, Key: o.SourceKey, Field: w.Field, Rule: w.Rule, Reason: w.Reason})
		}
	}
}

// later stores a record to be delivered whose document is built in a
// finishing step, once the records it carries are read.
func (s *stager) later(row *state.Record, model any) error {
	data, err := state.Encode(model)
	if err != nil {
		return fmt.Errorf("staging %s %s: %w", row.Entity, row.Key, err)
	}
	if row.Outcome != state.Loaded {
		row.Outcome = state.Pending
	}
	row.Model = data
	return s.st.Put(row)
}

// label is a code with its display text, for the report's counts.
func (s *stager) label(set, code string) string {
	if code == "" {
		return "(unknown)"
	}
	if d := s.m.CodeSets.Display(set, code); d != "" {
		return code + " " + d
	}
	return code
}

// collect gives a document without a case the case made for its client's
// documents without a case in its service task, making the case when it is
// the first such document of this pass. The case is staged for delivery by
// finishCollected, once every document has been read.
func (s *stager) collect(cc *mapping.CollectedCases, d *kanta.Document) (*kanta.Finding, error) {
	if _, f, err := s.res.DocumentClient(d); f != nil || err != nil {
		return f, err
	}
	key := mapping.QualifiedKey(mapping.GeneratedSource, ledger.StoredKey(d.ClientKey)+"|"+d.ServiceTask)
	d.CaseKey = key
	prev, err := s.st.Get(string(kanta.EntityCase), key)
	if err != nil || (prev != nil && prev.Pass == s.pass) {
		return nil, err
	}
	row := &state.Record{Entity: string(kanta.EntityCase), Key: key, Pass: s.pass, Outcome: state.Pending, ClientKey: d.ClientKey,
		Locator: fmt.Sprintf("made for the documents without a case of client %s in service task %s", d.ClientKey, d.ServiceTask)}
	if prev != nil { // made in an earlier run: the same case
		carryOver(row, prev)
	}
	if err := s.mint(&row.EntityOID, kindCase); err != nil {
		return nil, err
	}
	if err := s.mint(&row.DocOID, kindDocument); err != nil {
		return nil, err
	}
	c := kanta.Case{SourceKey: key, Name: mapping.CollectedCaseName, NameOther: cc.NameOther, Status: cc.Status,
		ServiceTask: d.ServiceTask, Unit: d.Unit, Clients: []kanta.CaseClient{{ClientKey: d.ClientKey, Client: d.Client}}}
	if row.Model, err = state.Encode(c); err != nil {
		return nil, err
	}
	return nil, s.st.Put(row)
}

// extendCollected stretches a collected case over a document staged in it:
// it opens at its first document and closes at its last.
func (s *stager) extendCollected(key string, at time.Time) error {
	row, err := s.st.Get(string(kanta.EntityCase), key)
	if err != nil || row == nil {
		return err
	}
	var c kanta.Case
	if err := state.Decode(row.Model, &c); err != nil {
		return err
	}
	if c.Opened.IsZero() || at.Before(c.Opened) {
		c.Opened = at
	}
	if c.Closed.IsZero() || at.After(c.Closed) {
		c.Closed = at
	}
	if row.Model, err = state.Encode(c); err != nil {
		return err
	}
	return s.st.Put(row)
}

// finishCollected builds the document of every case collected in this pass,
// now that its dates are known. A case none of whose documents is staged is
// skipped, with the reason.
func (s *stager) finishCollected() error {
	return forEachKey(s.st, string(kanta.EntityCase), mapping.GeneratedSource+mapping.KeySeparator, func(key string) error {
		row, err := s.st.Get(string(kanta.EntityCase), key)
		if err != nil || row == nil || row.Pass != s.pass {
			return err
		}
		var c kanta.Case
		if err := state.Decode(row.Model, &c); err != nil {
			return err
		}
		if c.Opened.IsZero() {
			return s.refuse(row, state.Skipped, &kanta.Finding{Rule: kanta.RuleCollectedEmpty, Reason: "none of the documents collected into it is migrated"})
		}
		for i := range c.Clients {
			c.Clients[i].Joined, c.Clients[i].Left = c.Opened, c.Closed
		}
		out, err := s.tr.Case(c, transform.IDs{Document: row.DocOID, Case: row.EntityOID})
		return s.built(row, c, out, err, nil, nil)
	})
}

// forEachKey calls fn with each key of an entity that starts with prefix,
// in key order, a page at a time.
func forEachKey(st state.Store, entity, prefix string, fn func(string) error) error {
	after := prefix
	for {
		keys, err := st.Keys(entity, after, 500)
		if err != nil {
			return err
		}
		for _, k := range keys {
			if !strings.HasPrefix(k, prefix) {
				return nil
			}
			if err := fn(k); err != nil {
				return err
			}
		}
		if len(keys) < 500 {
			return nil
		}
		after = keys[len(keys)-1]
	}
}

// member stages a case-member record and adds the membership to its case.
func (s *stager) member(em *mapping.EntityMapping, rec extract.Record) error {
	caseKey, cc, o := em.Member(rec)
	return s.stagePart(kanta.EntityMember, rec, o, "", func(key string) (*owner, *kanta.Finding, error) {
		c, f, err := s.res.Member(caseKey, &cc)
		if f != nil || err != nil {
			s.res.TakeWarnings()
			return nil, f, err
		}
		s.resolveWarnings(kanta.EntityMember, rec, o)
		cc.MemberKey = key
		c.Clients = append(c.Clients, cc)
		return &owner{entity: kanta.EntityCase, key: caseKey, clientKey: cc.ClientKey, model: *c}, nil, nil
	})
}

// finishCases builds the document of every case of this pass, now that its
// members are read. A case with no member migrated is rejected; when a case
// cannot be built, its members are rejected with it.
func (s *stager) finishCases() error {
	return forEachKey(s.st, string(kanta.EntityCase), "", func(key string) error {
		row, err := s.st.Get(string(kanta.EntityCase), key)
		if err != nil || row == nil || row.Pass != s.pass || mapping.IsGenerated(key) || (row.Outcome != state.Pending && row.Outcome != state.Loaded) {
			return err
		}
		var c kanta.Case
		if err := state.Decode(row.Model, &c); err != nil {
			return err
		}
		if len(c.Clients) == 0 {
			return s.refuse(row, state.Rejected, &kanta.Finding{Field: "clients", Rule: kanta.RuleCaseNoClient, Reason: "no client of the case is migrated: it has no member record whose client is"})
		}
		row.ClientKey = c.Clients[0].ClientKey
		out, err := s.tr.Case(c, transform.IDs{Document: row.DocOID, Case: row.EntityOID})
		return s.built(row, c, out, err, plan.CaseParts(c),
			&kanta.Finding{Field: "case", Rule: kanta.RuleCaseNotLoaded, Reason: fmt.Sprintf("its case %q could not be built", key)})
	})
}

// built stages a document built in a finishing step, or, when it could not
// be built, rejects its record and, with why, the records carried in it.
func (s *stager) built(row *state.Record, model any, out *transform.Output, err error, parts []plan.Part, why *kanta.Finding) error {
	if err == nil {
		f := s.overLimits(out)
		if f == nil {
			return s.stage(row, model, out)
		}
		err = s.refuse(row, state.Rejected, f)
	} else {
		err = s.transformFailed(row, err)
	}
	if err != nil {
		return err
	}
	for _, p := range parts {
		prow, err := s.st.Get(p.Entity, p.Key)
		if err != nil || prow == nil {
			return err
		}
		if err := s.refuse(prow, state.Rejected, why); err != nil {
			return err
		}
	}
	return nil
}

// serviceTask stages a service-task relationship record and adds the
// relationship to its client's.
func (s *stager) serviceTask(em *mapping.EntityMapping, rec extract.Record) error {
	who, st, o := em.ServiceTask(rec)
	return s.stagePart(kanta.EntityServiceTask, rec, o, s.label(kanta.SetServiceTask, st.ServiceTask), func(key string) (*owner, *kanta.Finding, error) {
		rel, f, err := s.res.ServiceTask(&who, &st)
		if f != nil || err != nil {
			return nil, f, err
		}
		st.PartKey = key
		rel.ServiceTasks = append(rel.ServiceTasks, st)
		return &owner{entity: kanta.EntityClient, key: who.ClientKey, clientKey: who.ClientKey, model: *rel}, nil, nil
	})
}

// relatedPerson stages a related-person record and adds the person to its
// client's relationship.
func (s *stager) relatedPerson(em *mapping.EntityMapping, rec extract.Record) error {
	who, p, o := em.RelatedPerson(rec)
	return s.stagePart(kanta.EntityRelatedPerson, rec, o, "", func(key string) (*owner, *kanta.Finding, error) {
		return s.intoRelationship(&who, func(rel *kanta.Relationship) *kanta.Finding {
			p.PartKey = key
			rel.RelatedPersons = append(rel.RelatedPersons, p)
			return nil
		})
	})
}

// address stages a client-address record and adds the address to its
// client's relationship; a client under non-disclosure shows none, so the
// address is skipped, saying so.
func (s *stager) address(em *mapping.EntityMapping, rec extract.Record) error {
	who, addr, o := em.Address(rec)
	return s.stagePart(kanta.EntityAddress, rec, o, "", func(key string) (*owner, *kanta.Finding, error) {
		return s.intoRelationship(&who, func(rel *kanta.Relationship) *kanta.Finding {
			if rel.Client.NonDisclosure {
				return &kanta.Finding{Field: "client", Rule: kanta.RuleAddressHidden,
					Reason: "the client is under non-disclosure: the client-relationship document shows no address, as the national note on turvakielto says"}
			}
			addr.PartKey = key
			rel.Client.Addresses = append(rel.Client.Addresses, addr)
			return nil
		})
	})
}

// item stages a record of a kind written generically into its carrier's
// structured form (entity.Kind.Item) and adds it to its carrier: a case,
// or a client's relationship.
func (s *stager) item(em *mapping.EntityMapping, rec extract.Record) error {
	carrier, it, o := em.Item(rec)
	return s.stagePart(em.Entity, rec, o, "", func(key string) (*owner, *kanta.Finding, error) {
		it.Key = key
		if entity.Of(em.Entity).Carrier == kanta.EntityClient {
			return s.intoRelationship(&carrier.Client, func(rel *kanta.Relationship) *kanta.Finding {
				rel.Items = append(rel.Items, it)
				return nil
			})
		}
		c, f, err := s.res.Case(carrier.Case)
		if f != nil || err != nil {
			return nil, f, err
		}
		c.Items = append(c.Items, it)
		clientKey := ""
		if len(c.Clients) > 0 {
			clientKey = c.Clients[0].ClientKey
		}
		return &owner{entity: kanta.EntityCase, key: carrier.Case, clientKey: clientKey, model: *c}, nil, nil
	})
}

// intoRelationship finds the migrated client a part names and lets add put
// the part into its relationship, or say why it does not go there.
func (s *stager) intoRelationship(who *kanta.CaseClient, add func(*kanta.Relationship) *kanta.Finding) (*owner, *kanta.Finding, error) {
	rel, f, err := s.res.Owner(who)
	if f != nil || err != nil {
		return nil, f, err
	}
	if f := add(rel); f != nil {
		return nil, f, nil
	}
	return &owner{entity: kanta.EntityClient, key: who.ClientKey, clientKey: who.ClientKey, model: *rel}, nil, nil
}

// owner is the record a part is carried in, with its model changed to hold
// the part.
type owner struct {
	entity         kanta.Entity
	key, clientKey string
	model          any
}

// stagePart stages a record that is carried in another record's document
// (a client's service-task relationship or related person, a case's
// member). attach, called with the part's key for a record that maps,
// resolves its owner and adds the part to the owner's model, or says why it
// cannot (a reject, or a skip under a rule that skips); the owner is then
// stored with the part, and the part as pending.
func (s *stager) stagePart(e kanta.Entity, rec extract.Record, o *mapping.Outcome, label string,
	attach func(key string) (*owner, *kanta.Finding, error)) error {
	s.note(e, rec, o)
	row, dup, err := s.begin(e, rec, o)
	if err != nil {
		return err
	}
	row.ServiceTask = label
	if dup != nil {
		return s.duplicate(row, o, dup)
	}
	var own *owner
	if o.OK() {
		var f *kanta.Finding
		if own, f, err = attach(row.Key); err != nil {
			return err
		}
		if f != nil && kanta.RuleKind(f.Rule) == kanta.RuleSkips {
			o.Skip = f
		} else {
			o.Reject = f
		}
	}
	if ok, err := s.settle(row, o); !ok || err != nil {
		return err
	}
	if f := s.oversized(own.model, "with it, the document it is carried in"); f != nil {
		return s.refuse(row, state.Rejected, f)
	}
	orow, err := s.st.Get(string(own.entity), own.key)
	if err != nil || orow == nil {
		return err
	}
	if orow.Model, err = state.Encode(own.model); err != nil {
		return err
	}
	if err := s.st.Put(orow); err != nil {
		return err
	}
	if row.Outcome != state.Loaded {
		row.Outcome = state.Pending
	}
	row.ClientKey = own.clientKey
	if own.entity == kanta.EntityCase {
		row.CaseKey = own.key
	}
	return s.st.Put(row)
}

// finishRelationships builds the client-relationship document of every
// client of this pass, now that its service-task relationships are read;
// when one cannot be built, its service-task records are rejected with it.
func (s *stager) finishRelationships() error {
	return forEachKey(s.st, string(kanta.EntityClient), "", func(key string) error {
		row, err := s.st.Get(string(kanta.EntityClient), key)
		if err != nil || row == nil || row.Pass != s.pass || (row.Outcome != state.Pending && row.Outcome != state.Loaded) {
			return err
		}
		var rel kanta.Relationship
		if err := state.Decode(row.Model, &rel); err != nil {
			return err
		}
		if rel.Start.IsZero() { // derive: earliest_period
			if f, outcome := s.deriveStart(&rel); f != nil {
				return s.refuseWithParts(row, outcome, f, plan.RelationshipParts(rel),
					&kanta.Finding{Field: "client", Rule: kanta.RuleClientNotLoaded, Reason: fmt.Sprintf("its client relationship %q is not migrated (%s)", key, f.Reason)})
			}
		}
		out, err := s.tr.Relationship(rel, transform.IDs{Document: row.DocOID, Relationship: row.EntityOID})
		return s.built(row, rel, out, err, plan.RelationshipParts(rel),
			&kanta.Finding{Field: "client", Rule: kanta.RuleClientNotLoaded, Reason: fmt.Sprintf("its client relationship %q could not be built", key)})
	})
}

// deriveStart gives a relationship without a start of its own the start of
// its earliest service-task period (derive: earliest_period), and applies
// the cut-off to it, as the client record's own start would have been. It
// says why, and how, the client is refused when it cannot.
func (s *stager) deriveStart(rel *kanta.Relationship) (*kanta.Finding, string) {
	for _, st := range rel.ServiceTasks {
		if !st.Start.IsZero() && (rel.Start.IsZero() || st.Start.Before(rel.Start)) {
			rel.Start = st.Start
		}
	}
	switch {
	case rel.Start.IsZero():
		return &kanta.Finding{Field: "relationship_start", Rule: kanta.RuleMissingDate,
			Reason: "the relationship takes its start from its earliest service-task period (derive: earliest_period), and none of its periods is migrated: give the start in the source, or see why its periods were refused"}, state.Rejected
	case !rel.Start.Before(s.m.Cutoff):
		return &kanta.Finding{Field: "relationship_start", Rule: kanta.RuleCutoff,
			Reason: fmt.Sprintf("its earliest service-task period starts %s, on or after the cut-off %s; relationships begun after joining are archived by the client system itself",
				rel.Start.In(s.m.Location).Format("2006-01-02"), s.m.Cutoff.In(s.m.Location).Format("2006-01-02"))}, state.Skipped
	}
	return nil, ""
}

// refuseWithParts refuses a record built in a finishing step, and the
// records carried in it with why.
func (s *stager) refuseWithParts(row *state.Record, outcome string, f *kanta.Finding, parts []plan.Part, why *kanta.Finding) error {
	if err := s.refuse(row, outcome, f); err != nil {
		return err
	}
	for _, p := range parts {
		prow, err := s.st.Get(p.Entity, p.Key)
		if err != nil || prow == nil {
			return err
		}
		if err := s.refuse(prow, outcome, why); err != nil {
			return err
		}
	}
	return nil
}
