// Package resolve ties the records of one pass together across entities and
// sources, after each has been mapped on its own: a second record under a
// key already read, one person under two client keys, a client named by
// identity code, a case's clients and members, a client's service-task
// relationships, a document's client, case and the version it replaces. What cannot be tied
// becomes a finding under one of kanta's rules (client-missing,
// case-not-loaded, version-order, ...), shaped as a mapping reject is.
//
// It asks the records staged so far through Records, an interface the
// wiring implements over the state store, so that nothing here holds an
// index in memory and nothing depends on how the store keeps it.
package resolve

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/kantamig/kantamig/kanta"
)

// Staged is what resolving needs to know of a record staged before.
type Staged struct {
	Key, Locator string
	ThisPass     bool   // read in the current pass (not kept from an earlier run)
	Deliverable  bool   // to be delivered or delivered (not rejected or skipped)
	Why          string // for a record not deliverable: its outcome and reason
	EntityOID    string // its relationship's or case's OID
	DocOID       string // its document's OID
	SetOID       string
	Version      int
	// Model decodes the record's mapped model (kanta.Relationship for a
	// client, kanta.Case for a case) into v.
	Model func(v any) error
}

// Records are the records staged so far.
type Records interface {
	// Staged returns the record of an entity staged under key, or nil.
	Staged(e kanta.Entity, key string) (*Staged, error)
	// SamePerson returns another client of this pass, under another key
	// (any key when key is ""), with the same person hash, or nil. Only a
	// client to be migrated has a person hash.
	SamePerson(person, key string) (*Staged, error)
}

// Resolver resolves the records of one pass.
type Resolver struct {
	recs Records
	// ServiceTasks says that clients' service-task relationships are
	// records of their own: then a case or document needs its client to
	// have a migrated relationship in its service task.
	ServiceTasks bool
	// Location is the legacy system's zone, in which dates are compared as
	// days (nil: UTC).
	Location *time.Location
	// warnings are the notes of the record being resolved (TakeWarnings).
	warnings []kanta.Finding
}

// TakeWarnings returns the warnings of the record resolved last (a case or
// document outside every period of its service task), and forgets them.
func (r *Resolver) TakeWarnings() []kanta.Finding {
	w := r.warnings
	r.warnings = nil
	return w
}

// New makes a resolver over the records staged so far.
func New(recs Records) *Resolver { return &Resolver{recs: recs} }

// Duplicate says whether prev, the record staged under the same key, was
// read earlier in this pass: then this one is a second record under a key,
// which the source must resolve.
func Duplicate(e kanta.Entity, prev *Staged) *kanta.Finding {
	if prev == nil || !prev.ThisPass {
		return nil
	}
	return DuplicateAt(e, prev.Locator)
}

// DuplicateAt refuses a record whose key the record at locator, read
// before it, has.
func DuplicateAt(e kanta.Entity, locator string) *kanta.Finding {
	return &kanta.Finding{Field: "key", Rule: kanta.RuleDuplicateKey, Reason: fmt.Sprintf("a %s with the same key was already read at %s", e, locator)}
}

// PersonHash identifies a person by identity code (or temporary
// identifier) without keeping the code itself.
func PersonHash(c kanta.Client) string {
	id := c.IdentityCode
	if id == "" {
		id = c.TemporaryID
	}
	sum := sha256.Sum256([]byte("person\x00" + id))
	return hex.EncodeToString(sum[:16])
}

// SamePerson refuses a second client relationship for one person: the same
// identity code under two legacy keys is a duplicate client the source must
// merge.
func (r *Resolver) SamePerson(key, person string) (*kanta.Finding, error) {
	other, err := r.recs.SamePerson(person, key)
	if err != nil || other == nil {
		return nil, err
	}
	return SamePersonAs(other.Key, other.Locator), nil
}

// SamePersonAs refuses a client record whose person is the client's with
// key, read at locator.
func SamePersonAs(key, locator string) *kanta.Finding {
	return &kanta.Finding{Field: "identity_code", Rule: kanta.RuleDuplicatePerson,
		Reason: fmt.Sprintf("the same person as client %q (%s): one person has one client relationship; merge the two records in the source", key, locator)}
}

// client finds a deliverable client and its relationship, or says why not.
func (r *Resolver) client(key, field string, missing, notLoaded func(why string) string) (*Staged, *kanta.Relationship, *kanta.Finding, error) {
	s, err := r.recs.Staged(kanta.EntityClient, key)
	switch {
	case err != nil:
		return nil, nil, nil, err
	case s == nil:
		return nil, nil, &kanta.Finding{Field: field, Rule: kanta.RuleClientMissing, Reason: missing("")}, nil
	case !s.Deliverable:
		return nil, nil, &kanta.Finding{Field: field, Rule: kanta.RuleClientNotLoaded, Reason: notLoaded(s.Why)}, nil
	}
	var rel kanta.Relationship
	if err := s.Model(&rel); err != nil {
		return nil, nil, nil, fmt.Errorf("reading client %s from the state store: %w", key, err)
	}
	return s, &rel, nil, nil
}

// byIdentity finds the key of the client to be migrated that has an
// identity code (or temporary identifier), for a record that names its
// client so. The code is masked in the reason.
func (r *Resolver) byIdentity(code, field string) (string, *kanta.Finding, error) {
	s, err := r.recs.SamePerson(PersonHash(kanta.Client{IdentityCode: code}), "")
	if err != nil || s != nil {
		if s != nil {
			return s.Key, nil, nil
		}
		return "", nil, err
	}
	return "", &kanta.Finding{Field: field, Rule: kanta.RuleUnknownClient,
		Reason: fmt.Sprintf("no client to be migrated has the identity code %s: the client is not in the export, or is rejected or skipped there", kanta.MaskIdentityCode(code))}, nil
}

// CaseClients checks that every client of a case is migrated and fills in
// each one's person; clients named by identity code get their key.
func (r *Resolver) CaseClients(c *kanta.Case) (*kanta.Finding, error) {
	for i := range c.Clients {
		if c.Clients[i].ClientKey == "" && c.Clients[i].Identity != "" {
			key, f, err := r.byIdentity(c.Clients[i].Identity, "client_identity_codes")
			if f != nil || err != nil {
				return f, err
			}
			c.Clients[i].ClientKey = key
		}
	}
	for i, cc := range c.Clients {
		_, rel, f, err := r.client(cc.ClientKey, "clients",
			func(string) string { return fmt.Sprintf("client %q is not in the export", cc.ClientKey) },
			func(why string) string { return fmt.Sprintf("client %q is not migrated (%s)", cc.ClientKey, why) })
		if f != nil || err != nil {
			return f, err
		}
		c.Clients[i].Client = rel.Client
		if f := r.inServiceTask(rel, c.ServiceTask, cc.ClientKey); f != nil {
			return f, nil
		}
		r.inPeriod(rel, c.ServiceTask, cc.ClientKey, "opened", "the case opens", c.Opened)
	}
	return nil, nil
}

// Refs are the identifiers a document refers to.
type Refs struct {
	Relationship, Case string
	Set                string // the first version's OID, for a replacing version
	Replaces           string // the replaced version's OID
	ReplacesVersion    int
	AttachedTo         string // the OID of the document an attachment is attached to
}

// Attachment ties an attachment to the document it is attached to, which
// must be read before it in this pass and be migrated: the same client
// (by key, or by identity code where the attachment names its client so),
// and, where the attachment names none of its own, that document's case
// and service task. The archive takes the attachment after its document,
// and a client's documents in time order, so one dated before its document
// is archived at the document's time, its own date named in the report
// and in its display form's title (a PDF/A has none). The attachment is
// listed under its document (warning attachment).
func (r *Resolver) Attachment(d *kanta.Document) (*kanta.Finding, error) {
	prow, err := r.recs.Staged(kanta.EntityDocument, d.AttachedToKey)
	switch {
	case err != nil:
		return nil, err
	case prow == nil || !prow.ThisPass:
		return &kanta.Finding{Field: "attached_to", Rule: kanta.RuleAttachmentParentMissing, Reason: fmt.Sprintf("it is an attachment of document %q, which is not in the export before it", d.AttachedToKey)}, nil
	case !prow.Deliverable:
		return &kanta.Finding{Field: "attached_to", Rule: kanta.RuleAttachmentParentNotLoaded, Reason: fmt.Sprintf("the document it is attached to, %q, is not migrated (%s): the attachment goes with it", d.AttachedToKey, prow.Why)}, nil
	}
	var p kanta.Document
	if err := prow.Model(&p); err != nil {
		return nil, fmt.Errorf("reading document %s from the state store: %w", d.AttachedToKey, err)
	}
	same := d.ClientKey != "" && d.ClientKey == p.ClientKey
	if d.ClientKey == "" && d.ClientIdentity != "" {
		same = strings.EqualFold(strings.TrimSpace(d.ClientIdentity), p.Client.IdentityCode)
	}
	if !same {
		return &kanta.Finding{Field: "attached_to", Rule: kanta.RuleAttachmentClient, Reason: fmt.Sprintf("it is an attachment of document %q, which is another client's", d.AttachedToKey)}, nil
	}
	if d.CaseKey == "" {
		d.CaseKey = p.CaseKey
	}
	if d.ServiceTask == "" {
		d.ServiceTask = p.ServiceTask
	}
	when := ""
	if d.DrawnUp.Before(p.DrawnUp) {
		own := d.DrawnUp.In(r.zone()).Format("2.1.2006")
		d.DrawnUp = p.DrawnUp
		if d.Title != "" {
			d.Title += " (" + own + ")"
		}
		when = fmt.Sprintf("; dated %s, before its document: archived at its document's time %s", own, p.DrawnUp.In(r.zone()).Format("2.1.2006 15.04"))
	}
	r.warn(kanta.Finding{Field: "attached_to", Rule: kanta.RuleAttachment,
		Reason: fmt.Sprintf("attachment of document %s, archived after it as a document of its own%s", d.AttachedToKey, when)})
	return nil, nil
}

// zone is the mapping's zone for dates in reasons (UTC when unset).
func (r *Resolver) zone() *time.Location {
	if r.Location != nil {
		return r.Location
	}
	return time.UTC
}

// ClientOfCase fills in the client of a document that names only its case:
// its case's one client. A shared case's document is rejected, since only
// the export can say whose it is.
func (r *Resolver) ClientOfCase(d *kanta.Document) (*kanta.Finding, error) {
	c, f, err := r.Case(d.CaseKey)
	if f != nil || err != nil {
		return f, err
	}
	switch len(c.Clients) {
	case 1:
		d.ClientKey = c.Clients[0].ClientKey
		return nil, nil
	case 0:
		return &kanta.Finding{Field: "case", Rule: kanta.RuleCaseNoClient, Reason: fmt.Sprintf("it names no client, and its case %q has none", d.CaseKey)}, nil
	}
	return &kanta.Finding{Field: "client", Rule: kanta.RuleCaseClient, Reason: fmt.Sprintf("it names no client, and its case %q has %d clients: map whose document it is (client: or client_identity_code:)", d.CaseKey, len(c.Clients))}, nil
}

// clientServiceTask fills in the service task of a document without one
// from its client's relationship, when that has exactly one service task
// (mapping.DeriveClientServiceTask); otherwise the document is rejected,
// since the export does not say which.
func clientServiceTask(rel *kanta.Relationship, d *kanta.Document) *kanta.Finding {
	var tasks []string
	for _, st := range rel.ServiceTasks {
		if st.ServiceTask != "" && !slices.Contains(tasks, st.ServiceTask) {
			tasks = append(tasks, st.ServiceTask)
		}
	}
	if len(tasks) != 1 {
		return &kanta.Finding{Field: "service_task", Rule: kanta.RuleRequired, Reason: fmt.Sprintf("it has no case and no service task, and its client %q has %d service tasks (%s), not one to take: map the document's service task", d.ClientKey, len(tasks), strings.Join(tasks, ", "))}
	}
	d.ServiceTask = tasks[0]
	return nil
}

// DocumentClient checks that a document's client is migrated and has a
// relationship in the document's service task, finds its key when the
// document names it by identity code, and fills it in. With taskFromClient,
// a document without a service task takes its client's only one first
// (clientServiceTask).
func (r *Resolver) DocumentClient(d *kanta.Document, taskFromClient bool) (*Staged, *kanta.Finding, error) {
	crow, rel, f, err := r.documentClient(d)
	if f != nil || err != nil {
		return nil, f, err
	}
	if taskFromClient && d.ServiceTask == "" {
		if f := clientServiceTask(rel, d); f != nil {
			return nil, f, nil
		}
	}
	if f := r.inTask(rel, d); f != nil {
		return nil, f, nil
	}
	return crow, nil, nil
}

// documentClient finds a document's client and fills it in.
func (r *Resolver) documentClient(d *kanta.Document) (*Staged, *kanta.Relationship, *kanta.Finding, error) {
	if d.ClientKey == "" && d.ClientIdentity != "" {
		key, f, err := r.byIdentity(d.ClientIdentity, "client_identity_code")
		if f != nil || err != nil {
			return nil, nil, f, err
		}
		d.ClientKey = key
	}
	crow, rel, f, err := r.client(d.ClientKey, "client",
		func(string) string { return fmt.Sprintf("client %q is not in the export", d.ClientKey) },
		func(why string) string { return fmt.Sprintf("its client relationship is not migrated (%s)", why) })
	if f != nil || err != nil {
		return nil, nil, f, err
	}
	d.Client = rel.Client
	return crow, rel, nil, nil
}

// inTask checks a document against its client's relationship in its
// service task: rejected without one, warned outside every period.
func (r *Resolver) inTask(rel *kanta.Relationship, d *kanta.Document) *kanta.Finding {
	if f := r.inServiceTask(rel, d.ServiceTask, d.ClientKey); f != nil {
		return f
	}
	r.inPeriod(rel, d.ServiceTask, d.ClientKey, "drawn_up", "it was drawn up", d.DrawnUp)
	return nil
}

// inServiceTask says why a client cannot have a case or document in a
// service task when its relationship has none in it.
func (r *Resolver) inServiceTask(rel *kanta.Relationship, task, clientKey string) *kanta.Finding {
	if !r.ServiceTasks || task == "" {
		return nil
	}
	for _, st := range rel.ServiceTasks {
		if st.ServiceTask == task {
			return nil
		}
	}
	return &kanta.Finding{Field: "service_task", Rule: kanta.RuleServiceTaskNotLoaded,
		Reason: fmt.Sprintf("client %q has no migrated service-task relationship in service task %s: its record is rejected or missing (see the service_task records)", clientKey, task)}
}

// inPeriod notes a warning when a case or document of a service task falls
// outside every period of its client's relationship in that task (days
// compared in the legacy system's zone, a period's end day included, an
// open period open). It still loads: the archive links it to the client's
// relationship, not to a period, and the dates may be the source's error
// or the period's; the warning says which to check.
func (r *Resolver) inPeriod(rel *kanta.Relationship, task, clientKey, field, what string, at time.Time) {
	if task == "" || at.IsZero() {
		return
	}
	var periods []string
	for _, st := range rel.ServiceTasks {
		if st.ServiceTask != task {
			continue
		}
		if !r.dayBefore(at, st.Start) && (st.End.IsZero() || !r.dayBefore(st.End, at)) {
			return
		}
		periods = append(periods, r.period(st.Start, st.End))
	}
	if len(periods) == 0 {
		return // no relationship in the task at all: inServiceTask's question
	}
	w := kanta.Finding{Field: field, Rule: kanta.RuleOutsidePeriod,
		Reason: fmt.Sprintf("%s on %s, outside every period of client %q in service task %s (%s): it is archived under the client's relationship; check its date and the periods' in the source",
			what, r.day(at), clientKey, task, strings.Join(periods, ", "))}
	r.warn(w)
}

// warn notes a warning of the record being resolved, once: a document is
// resolved twice when it is collected into a case.
func (r *Resolver) warn(w kanta.Finding) {
	if !slices.Contains(r.warnings, w) {
		r.warnings = append(r.warnings, w)
	}
}

// day is a time's date in the legacy system's zone.
func (r *Resolver) day(t time.Time) string { return t.In(r.zone()).Format("2006-01-02") }

// dayBefore says whether a's day is before b's.
func (r *Resolver) dayBefore(a, b time.Time) bool { return r.day(a) < r.day(b) }

// period writes a period for a reason: "1998-01-01–1998-12-31", an open one
// "2001-03-01–".
func (r *Resolver) period(start, end time.Time) string {
	s := r.day(start) + "–"
	if !end.IsZero() {
		s += r.day(end)
	}
	return s
}

// Owner finds the migrated client a record belongs to (a service-task
// relationship, a related person, a case membership), by key or by
// identity code, fills in the key, and returns the client's relationship.
func (r *Resolver) Owner(who *kanta.CaseClient) (*kanta.Relationship, *kanta.Finding, error) {
	if who.ClientKey == "" && who.Identity != "" {
		key, f, err := r.byIdentity(who.Identity, "client_identity_code")
		if f != nil || err != nil {
			return nil, f, err
		}
		who.ClientKey = key
	}
	_, rel, f, err := r.client(who.ClientKey, "client",
		func(string) string { return fmt.Sprintf("client %q is not in the export", who.ClientKey) },
		func(why string) string { return fmt.Sprintf("client %q is not migrated (%s)", who.ClientKey, why) })
	return rel, f, err
}

// ServiceTask checks a service-task relationship record (one period of a
// client's relationship in a service task and unit): its client is
// migrated (found by identity code when named so), and the period does not
// overlap another of the same task and unit. Several periods of one task
// are history as it was, each a record that loads; periods in different
// units may run at once. Two periods overlap when one starts before the
// other ends (an open period never ends); one that starts on the day
// another ends is a handover, not an overlap. It defaults the dates and
// the unit to the client relationship's and returns the relationship.
func (r *Resolver) ServiceTask(who *kanta.CaseClient, st *kanta.ServiceTaskRelationship) (*kanta.Relationship, *kanta.Finding, error) {
	rel, f, err := r.Owner(who)
	if f != nil || err != nil {
		return nil, f, err
	}
	if st.Start.IsZero() {
		st.Start = rel.Start
	}
	if st.End.IsZero() {
		st.End = rel.End
	}
	if st.Unit.OID == "" {
		st.Unit = rel.Unit
	}
	if st.Start.IsZero() {
		return nil, &kanta.Finding{Field: "start", Rule: kanta.RuleMissingDate,
			Reason: fmt.Sprintf("the period has no start, and client %q's relationship takes its own start from its periods (derive: earliest_period): give the period's start in the source", who.ClientKey)}, nil
	}
	for _, have := range rel.ServiceTasks {
		if have.ServiceTask != st.ServiceTask || have.Unit.OID != st.Unit.OID {
			continue
		}
		if r.overlap(have, *st) {
			from := ""
			if have.PartKey != "" {
				from = " (record " + have.PartKey + ")"
			}
			return nil, &kanta.Finding{Field: "start", Rule: kanta.RulePeriodOverlap,
				Reason: fmt.Sprintf("this period (%s) overlaps client %q's period %s%s in service task %s at the same unit: the archive could not tell them apart; correct the dates of one in the source, or keep one row if they are one period",
					r.period(st.Start, st.End), who.ClientKey, r.period(have.Start, have.End), from, st.ServiceTask)}, nil
		}
	}
	return rel, nil, nil
}

// overlap says whether two periods share a day beyond a handover day.
func (r *Resolver) overlap(a, b kanta.ServiceTaskRelationship) bool {
	endsAfterStart := func(p kanta.ServiceTaskRelationship, start time.Time) bool {
		return p.End.IsZero() || r.dayBefore(start, p.End)
	}
	return endsAfterStart(a, b.Start) && endsAfterStart(b, a.Start) ||
		r.day(a.Start) == r.day(b.Start) // the same start: overlapping whatever the ends
}

// Document checks a document's client, case and replaced version, fills in
// its client (and its client key, when named by identity code), and returns
// what it refers to.
func (r *Resolver) Document(d *kanta.Document) (Refs, *kanta.Finding, error) {
	var refs Refs
	crow, rel, f, err := r.documentClient(d)
	if f != nil || err != nil {
		return refs, f, err
	}
	refs.Relationship = crow.EntityOID
	krow, err := r.recs.Staged(kanta.EntityCase, d.CaseKey)
	switch {
	case err != nil:
		return refs, nil, err
	case krow == nil:
		return refs, &kanta.Finding{Field: "case", Rule: kanta.RuleCaseMissing, Reason: fmt.Sprintf("case %q is not in the export", d.CaseKey)}, nil
	case !krow.Deliverable:
		return refs, &kanta.Finding{Field: "case", Rule: kanta.RuleCaseNotLoaded, Reason: fmt.Sprintf("its case is not migrated (%s)", krow.Why)}, nil
	}
	var c kanta.Case
	if err := krow.Model(&c); err != nil {
		return refs, nil, fmt.Errorf("reading case %s from the state store: %w", d.CaseKey, err)
	}
	if d.ServiceTask == "" { // none of its own: its case's
		d.ServiceTask = c.ServiceTask
	}
	if d.Unit.OID == "" {
		d.Unit = c.Unit
	}
	member := false
	for _, cc := range c.Clients {
		member = member || cc.ClientKey == d.ClientKey
	}
	if !member {
		return refs, &kanta.Finding{Field: "case", Rule: kanta.RuleCaseClient, Reason: fmt.Sprintf("its client %q is not a client of case %q", d.ClientKey, d.CaseKey)}, nil
	}
	// The service task after the case: a document of a non-member is
	// case-client, the more specific fault (kanta.RuleClass).
	if f := r.inTask(rel, d); f != nil {
		return refs, f, nil
	}
	refs.Case = krow.EntityOID
	if d.AttachedToKey != "" { // Attachment checked it before
		prow, err := r.recs.Staged(kanta.EntityDocument, d.AttachedToKey)
		if err != nil {
			return refs, nil, err
		}
		if prow != nil {
			refs.AttachedTo = prow.DocOID
		}
	}
	if d.ReplacesKey == "" {
		return refs, nil, nil
	}
	prow, err := r.recs.Staged(kanta.EntityDocument, d.ReplacesKey)
	switch {
	case err != nil:
		return refs, nil, err
	case prow == nil || !prow.ThisPass:
		return refs, &kanta.Finding{Field: "replaces", Rule: kanta.RuleReplacesMissing, Reason: fmt.Sprintf("it replaces document %q, which is not in the export before it", d.ReplacesKey)}, nil
	case !prow.Deliverable:
		return refs, &kanta.Finding{Field: "replaces", Rule: kanta.RuleReplacesNotLoaded, Reason: fmt.Sprintf("the version it replaces is not migrated (%s)", prow.Why)}, nil
	}
	refs.Set, refs.Replaces, refs.ReplacesVersion = prow.SetOID, prow.DocOID, prow.Version
	if d.Version != 0 && d.Version <= prow.Version {
		return refs, &kanta.Finding{Field: "version", Rule: kanta.RuleVersionOrder, Reason: fmt.Sprintf("version %d is not after the version %d it replaces", d.Version, prow.Version)}, nil
	}
	return refs, nil, nil
}

// Member checks a case-member record: its case is migrated, its client is
// (found by identity code when named so) and not already a member. It fills
// in the client and defaults the dates to the case's, and returns the case.
func (r *Resolver) Member(caseKey string, cc *kanta.CaseClient) (*kanta.Case, *kanta.Finding, error) {
	c, f, err := r.Case(caseKey)
	if f != nil || err != nil {
		return nil, f, err
	}
	rel, f, err := r.Owner(cc)
	if f != nil || err != nil {
		return nil, f, err
	}
	if f := r.inServiceTask(rel, c.ServiceTask, cc.ClientKey); f != nil {
		return nil, f, nil
	}
	for _, have := range c.Clients {
		if have.ClientKey == cc.ClientKey {
			return nil, &kanta.Finding{Field: "client", Rule: kanta.RuleDuplicateKey, Reason: fmt.Sprintf("client %q is already a member of case %q", cc.ClientKey, caseKey)}, nil
		}
	}
	cc.Client = rel.Client
	if cc.Joined.IsZero() {
		cc.Joined = c.Opened
	}
	if cc.Left.IsZero() {
		cc.Left = c.Closed
	}
	r.inPeriod(rel, c.ServiceTask, cc.ClientKey, "joined", "the client joins the case", cc.Joined)
	return c, nil, nil
}

// Case finds the migrated case a record carried in its document names.
func (r *Resolver) Case(caseKey string) (*kanta.Case, *kanta.Finding, error) {
	krow, err := r.recs.Staged(kanta.EntityCase, caseKey)
	switch {
	case err != nil:
		return nil, nil, err
	case krow == nil:
		return nil, &kanta.Finding{Field: "case", Rule: kanta.RuleCaseMissing, Reason: fmt.Sprintf("case %q is not in the export", caseKey)}, nil
	case !krow.Deliverable:
		return nil, &kanta.Finding{Field: "case", Rule: kanta.RuleCaseNotLoaded, Reason: fmt.Sprintf("its case is not migrated (%s)", krow.Why)}, nil
	}
	var c kanta.Case
	if err := krow.Model(&c); err != nil {
		return nil, nil, fmt.Errorf("reading case %s from the state store: %w", caseKey, err)
	}
	return &c, nil, nil
}
