package pipeline

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"time"

	"github.com/kantamig/kantamig/extract"
	"github.com/kantamig/kantamig/kanta"
	"github.com/kantamig/kantamig/load/sign"
	"github.com/kantamig/kantamig/mapping"
	"github.com/kantamig/kantamig/report"
	"github.com/kantamig/kantamig/transform"
)

// Options control a dry-run.
type Options struct {
	SchemaDir    string // Sosmeta schema folder
	ShowPersonal bool   // unmasked identity codes and names in the report
	DocumentsDir string // if set, every generated document is written here
	Version      string // kantamig version, for the report
	Command      string // the command line, for the report
	// Signer signs every generated document, as a run will. Nil means a
	// throwaway in-process key made for this dry-run.
	Signer *sign.Signer
	// SignerName describes the signer in the report.
	SignerName string
	Workers    int // signing workers; default 2
}

type clientEntry struct {
	client  kanta.Client
	oid     string
	ok      bool
	why     string // why not ok
	locator string
}

type caseEntry struct {
	oid     string
	ok      bool
	why     string
	clients []string
	locator string
}

// docEntry is kept for every document, so it is small: ids are kept as their
// sequence numbers, not as OID strings.
type docEntry struct {
	seq     int32
	setSeq  int32
	version int32
	ok      bool
	why     string
	locator string
}

// Runner holds one dry-run's state.
type Runner struct {
	m       *mapping.Mapping
	opts    Options
	tr      *transform.Transformer
	rep     *report.Report
	clients map[string]*clientEntry
	cases   map[string]*caseEntry
	docs    map[string]*docEntry
	seq     [3]int32
	pool    *signPool
}

// SourceError is a fault of a whole source (cannot open, broken file): the
// run stops, since continuing would silently lose records.
type SourceError struct {
	Entity kanta.Entity
	Source string
	Err    error
}

func (e *SourceError) Error() string {
	return fmt.Sprintf("reading %s from source %q: %v", e.Entity, e.Source, e.Err)
}

func (e *SourceError) Unwrap() error { return e.Err }

// ErrNoSchemas is returned when no Sosmeta schema folder is given.
var ErrNoSchemas = errors.New("no Sosmeta schema folder: give --sosmeta DIR (or set KANTAMIG_SOSMETA)")

// Load reads the Sosmeta schemas and the mapping file, checking the mapping
// against the built-in code sets, the mapping's own code-set files and the
// specific document types that have a structure.
func Load(mappingFile, schemaDir string) (*mapping.Mapping, *transform.Schemas, error) {
	if schemaDir == "" {
		return nil, nil, ErrNoSchemas
	}
	schemas, err := transform.LoadSchemas(schemaDir)
	if err != nil {
		return nil, nil, err
	}
	sets := kanta.BuiltinCodeSets()
	if err := schemas.AddTypesTo(sets.Get(kanta.SetSpecificDocumentType)); err != nil {
		return nil, nil, err
	}
	m, err := mapping.LoadWith(mappingFile, sets)
	if err != nil {
		return nil, nil, err
	}
	return m, schemas, nil
}

// Prepare readies a dry-run of a loaded mapping.
func Prepare(m *mapping.Mapping, schemas *transform.Schemas, opts Options) (*Runner, error) {
	tr := transform.New(transform.Settings{
		Custodian: m.Custodian, Organiser: m.Organiser,
		Moderator: m.Software.Moderator, Product: m.Software.Product, Version: m.Software.Version,
		Location: m.Location, CodeSets: m.CodeSets, Schemas: schemas,
	})
	sets := map[string]string{}
	for _, n := range m.CodeSets.Names() {
		cs := m.CodeSets.Get(n)
		sets[n] = fmt.Sprintf("%s, %d values, from %v", cs.Version, cs.Len(), cs.Sources)
	}
	if opts.Signer == nil {
		s, err := sign.NewThrowawaySigner(m.Custodian.OID, m.Custodian.Name)
		if err != nil {
			return nil, fmt.Errorf("making the dry-run's throwaway signing key: %w", err)
		}
		opts.Signer, opts.SignerName = s, "throwaway in-process RSA-2048 key (dry-run)"
	}
	if opts.Workers <= 0 {
		opts.Workers = 2
	}
	rep := report.New(report.Settings{
		Signer: opts.SignerName, SigningWorkers: opts.Workers,
		Command: opts.Command, MappingFile: m.File, MappingSHA256: m.SHA256, System: m.System,
		Cutoff: m.Cutoff.Format("2006-01-02"), CodeSets: sets, SchemaFolder: opts.SchemaDir,
		Version: opts.Version, Started: time.Now(), PersonalData: opts.ShowPersonal,
	})
	return &Runner{m: m, opts: opts, tr: tr, rep: rep,
		clients: map[string]*clientEntry{}, cases: map[string]*caseEntry{}, docs: map[string]*docEntry{}}, nil
}

// DryRun runs everything but signing and delivery and returns the report.
func (r *Runner) DryRun(ctx context.Context) (*report.Report, error) {
	if r.opts.DocumentsDir != "" {
		if err := os.MkdirAll(r.opts.DocumentsDir, 0o700); err != nil {
			return nil, fmt.Errorf("creating documents folder: %w", err)
		}
	}
	r.pool = newSignPool(ctx, r.opts.Signer, r.opts.Workers, r.deliver)
	steps := []struct {
		em *mapping.EntityMapping
		fn func(extract.Record) error
	}{
		{r.m.Clients, r.client},
		{r.m.Cases, r.caseRecord},
		{r.m.Documents, r.document},
	}
	for _, s := range steps {
		if err := r.each(ctx, s.em, s.fn); err != nil {
			if perr := r.pool.close(); perr != nil {
				return r.rep, perr // the signing failure is the cause
			}
			return r.rep, err
		}
	}
	if err := r.pool.close(); err != nil {
		return r.rep, err
	}
	r.rep.Finish()
	return r.rep, nil
}

// deliver receives each signed document, in order. A dry-run delivers
// nothing; it counts, and writes the document if asked to.
func (r *Runner) deliver(out *transform.Output, signed []byte) error {
	r.rep.DocumentsSigned++
	if r.opts.DocumentsDir == "" {
		return nil
	}
	path := filepath.Join(r.opts.DocumentsDir, string(out.Kind)+"-"+out.OID+".xml")
	return writeFileAtomic(path, signed)
}

// writeFileAtomic writes a whole file or nothing: a temporary file, synced,
// renamed into place, readable by the owner only.
func writeFileAtomic(path string, data []byte) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), ".tmp-*")
	if err != nil {
		return fmt.Errorf("writing document: %w", err)
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		return fmt.Errorf("writing document: %w", err)
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return fmt.Errorf("writing document: %w", err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("writing document: %w", err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return fmt.Errorf("writing document: %w", err)
	}
	return nil
}

func (r *Runner) each(ctx context.Context, em *mapping.EntityMapping, fn func(extract.Record) error) error {
	src, err := extract.Open(em.Source)
	if err != nil {
		return &SourceError{Entity: em.Entity, Source: em.SourceName, Err: err}
	}
	defer src.Close()
	for {
		rec, err := src.Next(ctx)
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return &SourceError{Entity: em.Entity, Source: em.SourceName, Err: err}
		}
		if err := fn(rec); err != nil {
			return err
		}
	}
}

// provisional mints a dry-run id under the mapping's root: root.<kind>.<n>.
// The loader mints and stores the real ones.
func (r *Runner) provisional(kind int) string { return r.oid(kind, r.next(kind)) }

func (r *Runner) next(kind int) int32 {
	r.seq[kind]++
	return r.seq[kind]
}

func (r *Runner) oid(kind int, seq int32) string {
	return r.m.OIDRoot + "." + strconv.Itoa(kind+1) + "." + strconv.Itoa(int(seq))
}

// settle records a mapping outcome: reject, skip or nothing yet. It returns
// true when the record mapped and should go on.
func (r *Runner) settle(e kanta.Entity, rec extract.Record, o *mapping.Outcome) bool {
	for _, w := range o.Warnings {
		r.rep.Warn(report.Finding{Locator: rec.Locator, Entity: string(e), Key: o.Key, Field: w.Field, Rule: w.Rule, Reason: w.Reason})
	}
	for _, u := range o.Unmapped {
		r.rep.AddUnmapped(u.Field, u.Map, u.Value, rec.Locator)
	}
	switch {
	case o.Reject != nil:
		r.rejectRecord(e, rec, o.Key, o.Reject.Field, o.Reject.Rule, o.Reject.Reason)
		return false
	case o.Skip != nil:
		r.rep.Count(e, report.OutcomeSkip)
		r.rep.Skip(report.Finding{Locator: rec.Locator, Entity: string(e), Key: o.Key, Field: o.Skip.Field, Rule: o.Skip.Rule, Reason: o.Skip.Reason})
		return false
	}
	return true
}

func (r *Runner) rejectRecord(e kanta.Entity, rec extract.Record, key, field, rule, reason string) {
	r.rep.Count(e, report.OutcomeReject)
	r.rep.Reject(report.Finding{Locator: rec.Locator, Entity: string(e), Key: key, Field: field, Rule: rule, Reason: reason})
}

func transformRule(err error) string {
	var se *transform.StructureError
	if errors.As(err, &se) {
		return "structured-form"
	}
	return "transform"
}

func (r *Runner) client(rec extract.Record) error {
	rel, o := r.m.Client(rec)
	if prev, dup := r.clients[o.Key]; dup && o.Key != "" {
		r.rejectRecord(kanta.EntityClient, rec, o.Key, "key", "duplicate-key", "a client with the same key was already read at "+prev.locator)
		return nil
	}
	entry := &clientEntry{locator: rec.Locator}
	r.clients[o.Key] = entry
	if !r.settle(kanta.EntityClient, rec, o) {
		entry.why = describe(o)
		return nil
	}
	entry.client = rel.Client
	entry.oid = r.provisional(0)
	out, err := r.tr.Relationship(rel, transform.IDs{Document: r.provisional(0), Relationship: entry.oid})
	if err != nil {
		entry.why = "its client-relationship document could not be built: " + err.Error()
		r.rejectRecord(kanta.EntityClient, rec, o.Key, "", transformRule(err), err.Error())
		return nil
	}
	entry.ok = true
	return r.accepted(kanta.EntityClient, out)
}

func describe(o *mapping.Outcome) string {
	if o.Reject != nil {
		return "rejected: " + o.Reject.Reason
	}
	if o.Skip != nil {
		return "skipped: " + o.Skip.Reason
	}
	return ""
}

func (r *Runner) accepted(e kanta.Entity, out *transform.Output) error {
	r.rep.Count(e, report.OutcomeLoad)
	r.rep.DocumentsGenerated++
	return r.pool.submit(out)
}

func (r *Runner) caseRecord(rec extract.Record) error {
	c, o := r.m.Case(rec)
	if prev, dup := r.cases[o.Key]; dup && o.Key != "" {
		r.rejectRecord(kanta.EntityCase, rec, o.Key, "key", "duplicate-key", "a case with the same key was already read at "+prev.locator)
		return nil
	}
	entry := &caseEntry{locator: rec.Locator}
	r.cases[o.Key] = entry
	if o.OK() {
		for i, cc := range c.Clients {
			ce := r.clients[cc.ClientKey]
			switch {
			case ce == nil:
				o.Reject = &mapping.Finding{Field: "clients", Rule: "client-missing", Reason: fmt.Sprintf("client %q is not in the export", cc.ClientKey)}
			case !ce.ok:
				o.Reject = &mapping.Finding{Field: "clients", Rule: "client-not-loaded", Reason: fmt.Sprintf("client %q is not migrated (%s)", cc.ClientKey, ce.why)}
			default:
				c.Clients[i].Client = ce.client
				entry.clients = append(entry.clients, cc.ClientKey)
				continue
			}
			break
		}
	}
	if !r.settle(kanta.EntityCase, rec, o) {
		entry.why = describe(o)
		return nil
	}
	entry.oid = r.provisional(1)
	out, err := r.tr.Case(c, transform.IDs{Document: r.provisional(1), Case: entry.oid})
	if err != nil {
		entry.why = "its case document could not be built: " + err.Error()
		r.rejectRecord(kanta.EntityCase, rec, o.Key, "", transformRule(err), err.Error())
		return nil
	}
	entry.ok = true
	return r.accepted(kanta.EntityCase, out)
}

func (r *Runner) document(rec extract.Record) error {
	d, o := r.m.Document(rec)
	typeLabel, taskLabel := r.label(kanta.SetDocumentType, d.Type), r.label(kanta.SetServiceTask, d.ServiceTask)
	count := func(outcome string) { r.rep.CountDocument(typeLabel, taskLabel, outcome) }
	if prev, dup := r.docs[o.Key]; dup && o.Key != "" {
		r.rejectRecord(kanta.EntityDocument, rec, o.Key, "key", "duplicate-key", "a document with the same key was already read at "+prev.locator)
		count(report.OutcomeReject)
		return nil
	}
	entry := &docEntry{locator: rec.Locator}
	r.docs[o.Key] = entry
	ids := transform.IDs{}
	if o.OK() {
		o.Reject = r.resolveDocument(&d, &ids)
	}
	if !r.settle(kanta.EntityDocument, rec, o) {
		entry.why = describe(o)
		if o.Reject != nil {
			count(report.OutcomeReject)
		} else {
			count(report.OutcomeSkip)
		}
		return nil
	}
	seq := r.next(2)
	ids.Document = r.oid(2, seq)
	out, err := r.tr.Document(d, ids)
	if err != nil {
		entry.why = "it could not be built: " + err.Error()
		r.rejectRecord(kanta.EntityDocument, rec, o.Key, "", transformRule(err), err.Error())
		count(report.OutcomeReject)
		return nil
	}
	entry.ok, entry.seq, entry.setSeq, entry.version = true, seq, seq, int32(out.Version)
	if ids.Replaces != "" {
		entry.setSeq = r.docs[d.ReplacesKey].setSeq
	}
	count(report.OutcomeLoad)
	return r.accepted(kanta.EntityDocument, out)
}

// resolveDocument checks a document's references and fills in what they give.
func (r *Runner) resolveDocument(d *kanta.Document, ids *transform.IDs) *mapping.Finding {
	ce := r.clients[d.ClientKey]
	switch {
	case ce == nil:
		return &mapping.Finding{Field: "client", Rule: "client-missing", Reason: fmt.Sprintf("client %q is not in the export", d.ClientKey)}
	case !ce.ok:
		return &mapping.Finding{Field: "client", Rule: "client-not-loaded", Reason: fmt.Sprintf("its client relationship is not migrated (%s)", ce.why)}
	}
	d.Client = ce.client
	ids.Relationship = ce.oid
	ke := r.cases[d.CaseKey]
	switch {
	case ke == nil:
		return &mapping.Finding{Field: "case", Rule: "case-missing", Reason: fmt.Sprintf("case %q is not in the export", d.CaseKey)}
	case !ke.ok:
		return &mapping.Finding{Field: "case", Rule: "case-not-loaded", Reason: fmt.Sprintf("its case is not migrated (%s)", ke.why)}
	}
	member := false
	for _, k := range ke.clients {
		if k == d.ClientKey {
			member = true
		}
	}
	if !member {
		return &mapping.Finding{Field: "case", Rule: "case-client", Reason: fmt.Sprintf("its client %q is not a client of case %q", d.ClientKey, d.CaseKey)}
	}
	ids.Case = ke.oid
	if d.ReplacesKey != "" {
		pe := r.docs[d.ReplacesKey]
		switch {
		case pe == nil:
			return &mapping.Finding{Field: "replaces", Rule: "replaces-missing", Reason: fmt.Sprintf("it replaces document %q, which is not in the export before it", d.ReplacesKey)}
		case !pe.ok:
			return &mapping.Finding{Field: "replaces", Rule: "replaces-not-loaded", Reason: fmt.Sprintf("the version it replaces is not migrated (%s)", pe.why)}
		}
		ids.Set, ids.Replaces, ids.ReplacesVersion = r.oid(2, pe.setSeq), r.oid(2, pe.seq), int(pe.version)
		if d.Version != 0 && d.Version <= int(pe.version) {
			return &mapping.Finding{Field: "version", Rule: "version-order", Reason: fmt.Sprintf("version %d is not after the version %d it replaces", d.Version, pe.version)}
		}
	}
	return nil
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
