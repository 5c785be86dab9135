// Package plan decides the order in which staged documents are delivered
// and what each waits for: per client, the client relationship, then its
// cases, then its documents in the order they were drawn up, a replacing
// version after the version it replaces, a case shared by several clients
// after each one's relationship. It walks the state store a page at a time,
// rebuilds each document from its staged model, checks that it is the
// document staged (its content hash), notes it as handed on, and gives it,
// with the OIDs it depends on, to whoever delivers. A record whose document
// cannot be rebuilt as staged is rejected on its own (rule transform), and
// what depends on it is held back with it; the walk goes on.
//
// A document the archive refused in an earlier run (pending under rule
// archive-rejected) is not sent again unless Options.RetryRefused: it is
// passed over, and what depends on it (for a relationship, the client's
// cases and documents; for a case, its documents; for a document, the
// client's later documents and its replacing versions) waits, recorded as
// held back by it (rule held-back), so that the client's order holds when it
// is sent at last.
//
// Different clients are independent: the dependencies let the deliverer
// send them in parallel while every client's order holds.
package plan

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"

	"github.com/kantamig/kantamig/kanta"
	"github.com/kantamig/kantamig/state"
	"github.com/kantamig/kantamig/transform"
)

// Item is one document due for delivery.
type Item struct {
	Entity, Key string
	ClientKey   string // the source key of its client, for the sink's manifest
	Out         *transform.Output
	// Deps are the document OIDs the archive must have before this one.
	Deps []string
	// Parts are records delivered within this document, with no document
	// of their own (a case's member records): loaded when it is.
	Parts []Part
	// Content is the hash of what the document was made from (ContentID)
	// and EntityOID the relationship's or case's OID: the document's
	// identity in an archive package's manifest.
	Content, EntityOID string
	// Locator is the record's place in the legacy source, identity codes
	// masked.
	Locator string
}

// ContentID is the hash of what a document is made from: the mapping (by
// its hash) and the record's staged model. Two state stores that staged the
// same source with the same mapping give a record the same ContentID
// whatever OIDs they minted, which is how a run adopting an archive package
// recognises the documents it holds (package adopt).
func ContentID(mapping string, model []byte) string {
	h := sha256.New()
	h.Write([]byte(mapping))
	h.Write([]byte{0})
	h.Write(model)
	return hex.EncodeToString(h.Sum(nil))
}

// Part names a record carried in another's document.
type Part struct{ Entity, Key string }

// CaseParts lists the records carried in a case's document: its members
// read from a table of their own, and its items.
func CaseParts(c kanta.Case) []Part {
	var parts []Part
	for _, cc := range c.Clients {
		if cc.MemberKey != "" {
			parts = append(parts, Part{Entity: string(kanta.EntityMember), Key: cc.MemberKey})
		}
	}
	return append(parts, itemParts(c.Items)...)
}

// itemParts lists the records of kinds written generically into a document.
func itemParts(items []kanta.Item) []Part {
	var parts []Part
	for _, it := range items {
		parts = append(parts, Part{Entity: string(it.Entity), Key: it.Key})
	}
	return parts
}

// RelationshipParts lists the records carried in a client-relationship
// document: its service-task relationships, related persons and addresses
// read from tables of their own, and its items.
func RelationshipParts(rel kanta.Relationship) []Part {
	var parts []Part
	for _, st := range rel.ServiceTasks {
		if st.PartKey != "" {
			parts = append(parts, Part{Entity: string(kanta.EntityServiceTask), Key: st.PartKey})
		}
	}
	for _, p := range rel.RelatedPersons {
		if p.PartKey != "" {
			parts = append(parts, Part{Entity: string(kanta.EntityRelatedPerson), Key: p.PartKey})
		}
	}
	for _, a := range rel.Client.Addresses {
		if a.PartKey != "" {
			parts = append(parts, Part{Entity: string(kanta.EntityAddress), Key: a.PartKey})
		}
	}
	return append(parts, itemParts(rel.Items)...)
}

// Options shape a plan.
type Options struct {
	// Phased delivers all relationships, then all cases, then all
	// documents in drawing-up order, instead of client by client.
	Phased bool
	// Run numbers this delivery, so that a record handed on is not handed
	// on twice in one run.
	Run int
	// ClientKeys, when set, pages through the clients this delivery walks
	// (a shard's), in key order; by default every client. A client-by-client
	// walk only: a phased one walks everything.
	ClientKeys func(after string, limit int) ([]string, error)
	// HeldBack, when set, hears of every record the walk rejects (see
	// holdBack), for the run's report.
	HeldBack func(state.Record)
	// Mapping is the mapping's hash, part of each document's ContentID.
	Mapping string
	// Rehash walks without delivering: each pending document is rebuilt
	// and its content hash stored as the one staged. An adoption does this
	// once it has given records the OIDs the package holds.
	Rehash bool
	// RetryRefused sends again the documents the archive refused in an
	// earlier run (--retry-refused); by default they and what depends on
	// them wait.
	RetryRefused bool
}

// Planner walks the pending records of a store in delivery order.
type Planner struct {
	st   state.Store
	tr   *transform.Transformer
	opts Options
	// lastDoc is, for the current client, the last document handed on;
	// handled remembers the records already seen in this run, to spare the
	// store the same question for every document.
	lastDoc map[string]string
	handled map[string]bool
	// ids caches, for the current client, the rows of the relationships
	// and cases its documents name (their OIDs do not change while it is
	// walked): a document would otherwise read both again.
	ids map[string]*state.Record
	// waiting names, per client and per case, the refused document that
	// what follows of it waits for; held counts the records held back.
	waiting map[string]string
	held    int
	refused int // refused in an earlier run, passed over
}

// New makes a planner; tr rebuilds the documents (transform's Rebuilder).
func New(st state.Store, tr *transform.Transformer, opts Options) *Planner {
	return &Planner{st: st, tr: tr, opts: opts, lastDoc: map[string]string{}, handled: map[string]bool{}, ids: map[string]*state.Record{},
		waiting: map[string]string{}}
}

// Page is how many keys are read from the store at a time.
const Page = 500

// EachKey calls fn with every key of an entity in the store, in key order,
// a page at a time, stopping when ctx is done.
func EachKey(ctx context.Context, st state.Store, entity kanta.Entity, fn func(string) error) error {
	return eachKey(ctx, func(after string, limit int) ([]string, error) { return st.Keys(string(entity), after, limit) }, fn)
}

func eachKey(ctx context.Context, page func(after string, limit int) ([]string, error), fn func(string) error) error {
	after := ""
	for {
		keys, err := page(after, Page)
		if err != nil {
			return err
		}
		for _, k := range keys {
			if err := ctx.Err(); err != nil {
				return err
			}
			if err := fn(k); err != nil {
				return err
			}
		}
		if len(keys) < Page {
			return nil
		}
		after = keys[len(keys)-1]
	}
}

// Walk hands every pending document to submit, in delivery order.
func (p *Planner) Walk(ctx context.Context, submit func(Item) error) error {
	w := &walk{Planner: p, submit: submit}
	if p.opts.Phased {
		return w.phased(ctx)
	}
	// Client by client: the relationship, its cases, its documents in the
	// order they were drawn up.
	keys := p.opts.ClientKeys
	if keys == nil {
		keys = func(after string, limit int) ([]string, error) {
			return p.st.Keys(string(kanta.EntityClient), after, limit)
		}
	}
	return eachKey(ctx, keys, func(key string) error {
		clear(p.lastDoc)
		clear(p.handled)
		clear(p.ids)
		if err := w.client(key); err != nil {
			return err
		}
		for _, step := range []struct {
			entity kanta.Entity
			fn     func(string) error
		}{{kanta.EntityCase, w.caseRow}, {kanta.EntityDocument, w.document}} {
			keys, err := p.st.ClientRows(string(step.entity), key)
			if err != nil {
				return err
			}
			for _, k := range keys {
				if err := step.fn(k); err != nil {
					return err
				}
			}
		}
		return nil
	})
}

type walk struct {
	*Planner
	submit func(Item) error
}

func (w *walk) phased(ctx context.Context) error {
	if err := EachKey(ctx, w.st, kanta.EntityClient, w.client); err != nil {
		return err
	}
	if err := EachKey(ctx, w.st, kanta.EntityCase, w.caseRow); err != nil {
		return err
	}
	afterTime, afterKey := "", ""
	for {
		keys, times, err := w.st.OrderedKeys(string(kanta.EntityDocument), afterTime, afterKey, Page)
		if err != nil {
			return err
		}
		for _, k := range keys {
			if err := ctx.Err(); err != nil {
				return err
			}
			if err := w.document(k); err != nil {
				return err
			}
		}
		if len(keys) < Page {
			return nil
		}
		afterTime, afterKey = times[len(times)-1], keys[len(keys)-1]
	}
}

// due returns a record that is pending and not yet handed on in this run.
func (w *walk) due(entity kanta.Entity, key string) (*state.Record, error) {
	id := string(entity) + "\x00" + key
	if w.handled[id] {
		return nil, nil
	}
	if len(w.handled) > 100000 { // a phased run never changes client; the store has the answer anyway
		clear(w.handled)
		clear(w.ids)
	}
	row, err := w.st.Get(string(entity), key)
	if err != nil || row == nil || row.Outcome != state.Pending || row.DeliveryRun == w.opts.Run {
		if err == nil && row != nil {
			w.handled[id] = true
		}
		return nil, err
	}
	if row.Rule == kanta.RuleArchiveRejected && !w.opts.RetryRefused && !w.opts.Rehash {
		w.handled[id] = true
		w.refused++
		w.refusedEarlier(row)
		return nil, nil
	}
	return row, nil
}

// refusedEarlier notes a document the archive refused in an earlier run:
// what follows it waits.
func (w *walk) refusedEarlier(row *state.Record) {
	why := fmt.Sprintf("%s %s (%s), which the archive refused", row.Entity, row.Key, row.DocOID)
	switch kanta.Entity(row.Entity) {
	case kanta.EntityCase:
		w.waiting["case\x00"+row.Key] = why
	default: // a relationship or a document: the client's later documents wait
		if row.Entity == string(kanta.EntityClient) {
			w.waiting["client\x00"+row.Key] = why
		} else {
			w.waiting["client\x00"+row.ClientKey] = why
		}
	}
}

// wait records a record that waits for a refused document, pending with
// rule held-back, and says whether it must wait.
func (w *walk) wait(row *state.Record, keys ...string) (bool, error) {
	for _, k := range keys {
		why, ok := w.waiting[k]
		if !ok {
			continue
		}
		w.handled[row.Entity+"\x00"+row.Key] = true
		w.held++
		if row.Entity == string(kanta.EntityDocument) {
			// What follows it waits too: its replacing version, and the
			// client's later documents (in whatever case), which would
			// otherwise arrive before it.
			w.waiting["document\x00"+row.Key] = why
			w.waiting["client\x00"+row.ClientKey] = why
		}
		if w.opts.Rehash {
			return true, nil
		}
		return true, w.st.MarkFailed(row.Entity, row.Key, kanta.RuleHeldBack, "it waits for "+why)
	}
	return false, nil
}

// Held is how many records the walk held back for a document the archive
// refused in an earlier run; Refused how many such documents it passed over.
func (p *Planner) Held() int    { return p.held }
func (p *Planner) Refused() int { return p.refused }

// row reads the row of a relationship or case a document names, once per
// client walked.
func (w *walk) row(entity kanta.Entity, key string) (*state.Record, error) {
	id := string(entity) + "\x00" + key
	if r, ok := w.ids[id]; ok {
		return r, nil
	}
	r, err := w.st.Get(string(entity), key)
	if err != nil || r == nil {
		return r, err
	}
	r.Model = nil            // only its identifiers are wanted
	if len(w.ids) > 100000 { // a phased walk: bounded, like handled
		clear(w.ids)
	}
	w.ids[id] = r
	return r, nil
}

func (w *walk) client(key string) error {
	row, err := w.due(kanta.EntityClient, key)
	if err != nil || row == nil {
		return err
	}
	var rel kanta.Relationship
	if err := state.Decode(row.Model, &rel); err != nil {
		return fmt.Errorf("reading client %s from the state store: %w", key, err)
	}
	out, err := w.tr.Relationship(rel, transform.IDs{Document: row.DocOID, Relationship: row.EntityOID})
	if err != nil {
		return w.cannotRebuild(row, err, RelationshipParts(rel)...)
	}
	return w.handParts(row, out, key, RelationshipParts(rel))
}

func (w *walk) caseRow(key string) error {
	row, err := w.due(kanta.EntityCase, key)
	if err != nil || row == nil {
		return err
	}
	var c kanta.Case
	if err := state.Decode(row.Model, &c); err != nil {
		return fmt.Errorf("reading case %s from the state store: %w", key, err)
	}
	var waitKeys []string
	for _, cc := range c.Clients {
		waitKeys = append(waitKeys, "client\x00"+cc.ClientKey)
	}
	if held, err := w.wait(row, waitKeys...); held || err != nil {
		return err
	}
	var deps []string
	for _, cc := range c.Clients { // a shared case waits for every client's relationship
		if err := w.client(cc.ClientKey); err != nil {
			return err
		}
		if crow, err := w.row(kanta.EntityClient, cc.ClientKey); err == nil && crow != nil {
			if crow.Outcome == state.Rejected {
				return w.holdBack(row, kanta.RuleClientNotLoaded, fmt.Sprintf("client %s was held back at delivery (%s)", cc.ClientKey, crow.Reason), CaseParts(c)...)
			}
			deps = append(deps, crow.DocOID)
		}
	}
	out, err := w.tr.Case(c, transform.IDs{Document: row.DocOID, Case: row.EntityOID})
	if err != nil {
		return w.cannotRebuild(row, err, CaseParts(c)...)
	}
	return w.handParts(row, out, row.ClientKey, CaseParts(c), deps...)
}

func (w *walk) document(key string) error {
	row, err := w.due(kanta.EntityDocument, key)
	if err != nil || row == nil {
		return err
	}
	var doc kanta.Document
	if err := state.Decode(row.Model, &doc); err != nil {
		return fmt.Errorf("reading document %s from the state store: %w", key, err)
	}
	if err := w.client(doc.ClientKey); err != nil {
		return err
	}
	if err := w.caseRow(doc.CaseKey); err != nil {
		return err
	}
	for _, first := range []string{doc.ReplacesKey, doc.AttachedToKey} { // the version it replaces, the document it is attached to
		if first != "" {
			if err := w.document(first); err != nil {
				return err
			}
		}
	}
	if held, err := w.wait(row, "client\x00"+doc.ClientKey, "case\x00"+doc.CaseKey, "document\x00"+doc.ReplacesKey, "document\x00"+doc.AttachedToKey); held || err != nil {
		return err
	}
	ids := transform.IDs{Document: row.DocOID, Set: row.SetOID}
	crow, err := w.row(kanta.EntityClient, doc.ClientKey)
	if err != nil || crow == nil {
		return fmt.Errorf("document %s: its client %s is missing from the state store: %v", key, doc.ClientKey, err)
	}
	krow, err := w.row(kanta.EntityCase, doc.CaseKey)
	if err != nil || krow == nil {
		return fmt.Errorf("document %s: its case %s is missing from the state store: %v", key, doc.CaseKey, err)
	}
	switch {
	case crow.Outcome == state.Rejected:
		return w.holdBack(row, kanta.RuleClientNotLoaded, fmt.Sprintf("client %s was held back at delivery (%s)", doc.ClientKey, crow.Reason))
	case krow.Outcome == state.Rejected:
		return w.holdBack(row, kanta.RuleCaseNotLoaded, fmt.Sprintf("case %s was held back at delivery (%s)", doc.CaseKey, krow.Reason))
	}
	ids.Relationship, ids.Case = crow.EntityOID, krow.EntityOID
	deps := []string{crow.DocOID, krow.DocOID}
	if doc.ReplacesKey != "" {
		prow, err := w.st.Get(string(kanta.EntityDocument), doc.ReplacesKey)
		if err != nil || prow == nil {
			return fmt.Errorf("document %s: the version it replaces is missing from the state store: %v", key, err)
		}
		if prow.Outcome == state.Rejected {
			return w.holdBack(row, kanta.RuleReplacesNotLoaded, fmt.Sprintf("the version it replaces, %s, was held back at delivery (%s)", doc.ReplacesKey, prow.Reason))
		}
		ids.Replaces, ids.ReplacesVersion = prow.DocOID, prow.Version
		deps = append(deps, prow.DocOID)
	}
	if doc.AttachedToKey != "" {
		prow, err := w.st.Get(string(kanta.EntityDocument), doc.AttachedToKey)
		if err != nil || prow == nil {
			return fmt.Errorf("document %s: the document it is attached to is missing from the state store: %v", key, err)
		}
		if prow.Outcome == state.Rejected {
			return w.holdBack(row, kanta.RuleAttachmentParentNotLoaded, fmt.Sprintf("the document it is attached to, %s, was held back at delivery (%s)", doc.AttachedToKey, prow.Reason))
		}
		ids.AttachedTo = prow.DocOID
		deps = append(deps, prow.DocOID)
	}
	out, err := w.tr.Document(doc, ids)
	if err != nil {
		return w.cannotRebuild(row, err)
	}
	// The archive takes a client's documents in the order they were drawn up.
	if last := w.lastDoc[doc.ClientKey]; last != "" {
		deps = append(deps, last)
	}
	w.lastDoc[doc.ClientKey] = out.OID
	return w.hand(row, out, doc.ClientKey, deps...)
}

// cannotRebuild holds back a record whose document cannot be rebuilt for
// delivery as it was staged. The mapping and code sets are those of the
// staging (the run refuses others before it starts), so this is the
// record's own fault, or kantamig's: that record's reject, not a stop of
// the run; what depends on it is held back with it.
func (w *walk) cannotRebuild(row *state.Record, err error, parts ...Part) error {
	return w.holdBack(row, kanta.RuleTransform, fmt.Sprintf("%v: a defect of kantamig, to be reported with this record's locator; nothing that depends on it was sent", err), parts...)
}

// holdBack rejects a record at delivery, with its rule and reason, and
// the records its document carries (parts) with it.
func (w *walk) holdBack(row *state.Record, rule, reason string, parts ...Part) error {
	row.Outcome, row.Rule, row.Reason = state.Rejected, rule, reason
	w.handled[row.Entity+"\x00"+row.Key] = true
	delete(w.ids, row.Entity+"\x00"+row.Key)
	if w.opts.HeldBack != nil {
		w.opts.HeldBack(*row)
	}
	if err := w.st.Put(row); err != nil {
		return err
	}
	for _, p := range parts {
		prow, err := w.st.Get(p.Entity, p.Key)
		if err != nil {
			return err
		}
		if prow != nil && prow.Outcome == state.Pending {
			if err := w.holdBack(prow, rule, fmt.Sprintf("carried in %s %s, which was held back at delivery (%s)", row.Entity, row.Key, reason)); err != nil {
				return err
			}
		}
	}
	return nil
}

// hand checks that the rebuilt document is the one staged, notes that it is
// handed on in this run, and gives it to submit.
func (w *walk) hand(row *state.Record, out *transform.Output, clientKey string, deps ...string) error {
	return w.handParts(row, out, clientKey, nil, deps...)
}

// handParts is hand for a document that carries other records.
func (w *walk) handParts(row *state.Record, out *transform.Output, clientKey string, parts []Part, deps ...string) error {
	sum := sha256.Sum256(out.XML)
	if w.opts.Rehash {
		row.ContentHash = hex.EncodeToString(sum[:])
		w.handled[row.Entity+"\x00"+row.Key] = true
		return w.st.Put(row)
	}
	if hex.EncodeToString(sum[:]) != row.ContentHash {
		return w.cannotRebuild(row, errors.New("the document rebuilt for delivery differs from the one staged"), parts...)
	}
	if err := w.st.MarkSubmitted(row.Entity, row.Key, w.opts.Run); err != nil {
		return err
	}
	w.handled[row.Entity+"\x00"+row.Key] = true
	return w.submit(Item{Entity: row.Entity, Key: row.Key, ClientKey: clientKey, Out: out, Deps: deps, Parts: parts,
		Content: ContentID(w.opts.Mapping, row.Model), EntityOID: row.EntityOID, Locator: kanta.MaskIdentityCodesIn(row.Locator)})
}
