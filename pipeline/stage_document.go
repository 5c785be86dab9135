package pipeline

// Client documents, and the cases made for documents without a case.

import (
	"fmt"
	"time"

	"github.com/kantamig/kantamig/extract"
	"github.com/kantamig/kantamig/kanta"
	"github.com/kantamig/kantamig/ledger"
	"github.com/kantamig/kantamig/mapping"
	"github.com/kantamig/kantamig/report"
	"github.com/kantamig/kantamig/resolve"
	"github.com/kantamig/kantamig/state"
	"github.com/kantamig/kantamig/transform"
)

// document stages a client document: resolved against its client, case,
// replaced version or parent, a scan made PDF/A, built beside staging (or
// at once when its case is one collected for it).
func (s *stager) document(em *mapping.EntityMapping, rec extract.Record) error {
	d, o := em.Document(rec)
	byCase := d.ClientKey == "" && d.ClientIdentity == "" && d.CaseKey != ""
	reads := d.ReplacesKey != "" || d.AttachedToKey != "" || (d.CaseKey == "" && em.WithoutCase != nil) || byCase
	if err := s.drainFor(kanta.EntityDocument, rowKey(o, rec.Locator), "", reads); err != nil {
		return err
	}
	if byCase && o.OK() { // named by its case only: its case's client
		var err error
		if o.Reject, err = s.res.ClientOfCase(&d); err != nil {
			return err
		}
	}
	if s.sample != nil && d.ClientKey != "" && !s.sample.in(d.ClientKey) {
		o.Reject, o.Skip = nil, s.sample.finding()
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
		if o.Reject, err = s.collect(em, &d); err != nil {
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

// collect gives a document without a case the case made for its client's
// documents without a case in its service task, making the case when it is
// the first such document of this pass. The case is staged for delivery by
// finishCollected, once every document has been read.
func (s *stager) collect(em *mapping.EntityMapping, d *kanta.Document) (*kanta.Finding, error) {
	cc := em.WithoutCase
	if _, f, err := s.res.DocumentClient(d, em.ServiceTaskFromClient()); f != nil || err != nil {
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
	return s.eachKey(string(kanta.EntityCase), mapping.GeneratedSource+mapping.KeySeparator, func(key string) error {
		row, err := s.st.Get(string(kanta.EntityCase), key)
		if err != nil || row == nil || row.Pass != s.pass {
			return err
		}
		if s.others(row) {
			return nil
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
