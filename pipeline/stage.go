package pipeline

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"

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

	// A worker of a sharded run staging its shard (census.go): the census
	// row of the record being staged, whether a row is of its shard, and
	// the rows read ahead with the census page.
	counted   *state.CensusRow
	mine      func(*state.Record) bool
	earlier   func(e kanta.Entity, key string) (*state.Record, bool)
	shardKeys func(entity, after string, limit int) ([]string, error)
}

// others says whether a row staged in this pass is another worker's, to
// be left to it.
func (s *stager) others(row *state.Record) bool { return s.mine != nil && !s.mine(row) }

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
	row := &state.Record{Entity: string(e), Key: key, Pass: s.pass, Locator: rec.Locator}
	if s.counted != nil {
		// A worker of a sharded run: the census, which read every
		// record, says whether one read before had this key; a row of
		// this pass here is this shard's own, staged before its worker
		// was stopped.
		if first := s.counted.FirstLocator; first != "" {
			row.Key = key + "\x00duplicate@" + rec.Locator
			return row, resolve.DuplicateAt(e, first), nil
		}
		prev, ahead := s.earlier(e, key)
		if !ahead {
			var err error
			if prev, err = s.st.Get(string(e), key); err != nil {
				return nil, nil, err
			}
		}
		if prev != nil {
			carryOver(row, prev)
		}
		return row, nil, nil
	}
	prev, err := s.st.Get(string(e), key)
	if err != nil {
		return nil, nil, err
	}
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

// eachKey calls fn with each key of an entity that starts with prefix, in
// key order: of the stager's shard only, for a worker of a sharded run.
func (s *stager) eachKey(entity, prefix string, fn func(string) error) error {
	keys := s.st.Keys
	if s.shardKeys != nil {
		keys = s.shardKeys
	}
	return forEachKey(keys, entity, prefix, fn)
}

// forEachKey calls fn with each key of an entity that starts with prefix,
// in key order, a page at a time, as keys gives them.
func forEachKey(page func(entity, after string, limit int) ([]string, error), entity, prefix string, fn func(string) error) error {
	after := prefix
	for {
		keys, err := page(entity, after, 500)
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
