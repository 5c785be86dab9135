package pipeline

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/kantamig/kantamig/budget"
	"github.com/kantamig/kantamig/extract"
	"github.com/kantamig/kantamig/kanta"
	"github.com/kantamig/kantamig/ledger"
	"github.com/kantamig/kantamig/load/deliver"
	"github.com/kantamig/kantamig/load/plan"
	"github.com/kantamig/kantamig/load/sign"
	"github.com/kantamig/kantamig/load/sink"
	"github.com/kantamig/kantamig/mapping"
	"github.com/kantamig/kantamig/pdfa"
	"github.com/kantamig/kantamig/report"
	"github.com/kantamig/kantamig/state"
	"github.com/kantamig/kantamig/transform"
	"github.com/kantamig/kantamig/transform/builtinschemas"
)

// Options control a dry-run, and the staging and signing of a run.
type Options struct {
	// Observe, when set, hears of every document delivered, refused or
	// held back and what signing and sending took (the log and metrics).
	Observe      *deliver.Observer
	SchemaDir    string // Sosmeta schema folder
	ShowPersonal bool   // unmasked identity codes and names in the report
	DocumentsDir string // dry-run: if set, every signed document is written here
	Version      string // kantamig version, for the report
	Language     string // of the workbook: report.Finnish or report.English (the zero value)
	Command      string // the command line, for the report
	// Signer signs every generated document, as a run will. Nil means a
	// throwaway in-process key made for this dry-run.
	Signer *sign.Signer
	// SignerName describes the signer in the report.
	SignerName string
	Workers    int // signing workers; default 2
	// Progress, when set, is told of each phase of a dry-run and its counts
	// (a run takes its own from RunOptions).
	Progress Progress
	// MaxDocumentBytes rejects, at staging, a document larger than this
	// (DefaultMaxDocumentBytes when 0), with its size in the reason.
	MaxDocumentBytes int
	// MaxMessageBytes rejects, at staging, a document whose message frame
	// could be larger than this (DefaultMaxMessageBytes when 0).
	MaxMessageBytes int
	// Store is the state store. Nil means a temporary one in WorkDir,
	// removed when the Runner is closed: a dry-run's.
	Store state.Store
	// WorkDir holds the dry-run's temporary store (identity codes in clear):
	// made 0700, emptied of stale stores of killed runs at the start. The
	// default is a folder of the user's in the system's temporary folder.
	WorkDir string
	// OpenSource, when set, opens each entity block's source instead of its
	// export (a mapping's tests give their own records).
	OpenSource func(em *mapping.EntityMapping) (extract.Source, error)
	// Sample, for a dry-run, takes a sample of clients with all their
	// records (see Sample); the zero value takes every record.
	Sample Sample
	// BeforeAccount, when set, is called when the documents are delivered
	// (signed, in a dry-run) and the account from the store begins: the
	// command gives back there the memory it traded for throughput.
	BeforeAccount func()
}

// Runner is one dry-run or run of a mapping.
type Runner struct {
	m        *mapping.Mapping
	opts     Options
	tr       *transform.Transformer
	rep      *report.Report
	st       state.Store
	progress Progress
	pdfa     *pdfa.Tools // the PDF/A route's tools, when the mapping states pdfa_documents
	pdfaErr  error       // why they are not here
	// adopting is the package a run takes over once it is staged (see
	// bind), runID the run's id.
	adopting sink.Adoptable
	runID    string
	// budgetUse is what staging used of the error budget; the archive's
	// refusals are added to it as they come.
	budgetUse budget.Use
	// waiting are the documents refused in an earlier run that the last
	// delivery passed over, and those it held back for them.
	waiting refusals
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

// toFetch names the code sets whose national exports a run of the mapping
// lacks (mapping.CodeUse), for the report.
func toFetch(m *mapping.Mapping) []string {
	var out []string
	for _, u := range m.CodeUse() {
		if u.Fetch != "" {
			out = append(out, u.Name+" ("+u.OID+")")
		}
	}
	return out
}

// Schemas reads the Sosmeta schemas of a folder (a national export), or,
// with none given, the ones built into kantamig: what explain lists.
func Schemas(dir string) (*transform.Schemas, error) { return loadSchemas(dir) }

// loadSchemas reads the Sosmeta schemas of a folder (a national export), or,
// with none given, the ones built into kantamig.
func loadSchemas(dir string) (*transform.Schemas, error) {
	if dir != "" {
		return transform.LoadSchemas(dir)
	}
	fsys, err := builtinschemas.FS()
	if err != nil {
		return nil, fmt.Errorf("reading %s: %w", builtinschemas.Name, err)
	}
	return transform.LoadSchemasFS(fsys, builtinschemas.Name)
}

// Load reads the Sosmeta schemas and the mapping file, checking the mapping
// against the built-in code sets, the mapping's own code-set files and the
// specific document types that have a structure.
//
// Without a schema folder, the schemas built into kantamig are used.
func Load(mappingFile, schemaDir string) (*mapping.Mapping, *transform.Schemas, error) {
	return load(mappingFile, schemaDir, mapping.LoadWith)
}

// LoadWithoutSources loads a mapping for its tests, which bring their own
// records: its sources need not be there.
func LoadWithoutSources(mappingFile, schemaDir string) (*mapping.Mapping, *transform.Schemas, error) {
	return load(mappingFile, schemaDir, mapping.LoadWithoutSources)
}

func load(mappingFile, schemaDir string, loadMapping func(string, *kanta.CodeSets) (*mapping.Mapping, error)) (*mapping.Mapping, *transform.Schemas, error) {
	schemas, err := loadSchemas(schemaDir)
	if err != nil {
		return nil, nil, err
	}
	sets := kanta.BuiltinCodeSets()
	if err := schemas.AddTypesTo(sets.Get(kanta.SetSpecificDocumentType)); err != nil {
		return nil, nil, err
	}
	m, err := loadMapping(mappingFile, sets)
	if err != nil {
		return nil, nil, err
	}
	if err := checkStructuredPaths(m, schemas); err != nil {
		return nil, nil, err
	}
	return m, schemas, nil
}

// checkStructuredPaths refuses, at its place in the mapping file, a
// structured: path that no structure in the schema folder has: the
// transform fills only the paths a type's schema has, so a misspelt one
// would be ignored for every document without a word.
func checkStructuredPaths(m *mapping.Mapping, schemas *transform.Schemas) error {
	wanted := m.StructuredPaths()
	if len(wanted) == 0 {
		return nil
	}
	known, err := schemas.StructuredPaths()
	if err != nil {
		return err
	}
	names := make([]string, 0, len(known))
	for p := range known {
		names = append(names, p)
	}
	var errs mapping.Errors
	for _, w := range wanted {
		if len(known[w.Path]) > 0 {
			continue
		}
		hint := "paths are the structure's property names under its root, joined by dots, e.g. paatos.paatoksen_sisalto"
		if best, near := kanta.Nearest(w.Path, names); near {
			hint = fmt.Sprintf("did you mean %q (structures %s)?", best, strings.Join(known[best], ", "))
		}
		errs = append(errs, &mapping.Error{File: m.File, Pos: w.Pos, Msg: fmt.Sprintf("structured path %q is in no Sosmeta structure of %s", w.Path, schemas.Dir()), Hint: hint})
	}
	if len(errs) > 0 {
		return errs
	}
	return nil
}

// Prepare readies a dry-run of a loaded mapping.
func Prepare(m *mapping.Mapping, schemas *transform.Schemas, opts Options) (*Runner, error) {
	tr := transform.New(transform.Settings{
		Custodian: m.Custodian, Organiser: m.Organiser,
		Moderator: m.Software.Moderator, Product: m.Software.Product, Version: m.Software.Version,
		Location: m.Location, CodeSets: m.CodeSets, Schemas: schemas, TestRehearsal: m.TestRehearsal, DisplayOnlyDocuments: m.DisplayOnlyDocuments,
		ServiceRequests: transform.ServiceRequests{CaseDocument: m.ServiceRequests.CaseDocument, ReplacingVersion: m.ServiceRequests.ReplacingVersion},
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
		Cutoff: m.Cutoff.Format("2006-01-02"), TimeZone: m.Location.String(), CodeSets: sets, SchemaFolder: schemaFolderName(opts.SchemaDir),
		Version: opts.Version, Started: time.Now(), PersonalData: opts.ShowPersonal, TestRehearsal: m.TestRehearsal, Language: opts.Language,
		CodeSetsToFetch: toFetch(m),
	})
	st := opts.Store
	if st == nil {
		var err error
		dir := opts.WorkDir
		if dir == "" {
			dir = filepath.Join(os.TempDir(), fmt.Sprintf("kantamig-%d", os.Getuid()))
		}
		if st, err = state.OpenTemp(dir); err != nil {
			return nil, err
		}
	}
	r := &Runner{m: m, opts: opts, tr: tr, rep: rep, st: st, progress: noProgress{}}
	if m.PDFADocuments {
		// Found before anything is read, so that a machine without the
		// tools stops here and not at the first scan.
		tools, err := pdfa.Find()
		switch {
		case err != nil && opts.OpenSource == nil:
			r.Close()
			return nil, fmt.Errorf("the mapping states pdfa_documents: %w", err)
		case err != nil:
			// A mapping's tests bring their own records, most without a
			// scan: the first scan stops them, saying what is missing.
			r.pdfaErr = fmt.Errorf("the mapping states pdfa_documents: %w", err)
		}
		r.pdfa = tools
	}
	if opts.Progress != nil {
		r.progress = opts.Progress
	}
	return r, nil
}

// Close releases the dry-run's temporary store.
func (r *Runner) Close() error {
	if r.opts.Store == nil {
		return r.st.Close()
	}
	return nil
}

// ErrDocumentsIntoPackage refuses a dry-run whose --documents folder is an
// archive package (it holds a manifest.jsonl).
type ErrDocumentsIntoPackage struct{ Dir string }

func (e *ErrDocumentsIntoPackage) Error() string {
	return fmt.Sprintf("%s is an archive package (it has a manifest.jsonl): a dry-run does not write into a run's package; give --documents an empty or new folder", e.Dir)
}

// DryRun does everything a run does but deliver: it stages every record
// (mapping, resolving, transforming, identifiers) in a temporary store, then
// plans and signs every document in delivery order, as a run would, and
// hands each to a sink that keeps nothing, or writes it to DocumentsDir.
func (r *Runner) DryRun(ctx context.Context) (*report.Report, error) {
	if r.opts.DocumentsDir != "" {
		if _, err := os.Stat(filepath.Join(r.opts.DocumentsDir, sink.ManifestFile)); err == nil {
			// A run's archive package: a dry-run's documents beside its own
			// would make it hold what no run delivered.
			return nil, &ErrDocumentsIntoPackage{Dir: r.opts.DocumentsDir}
		}
		if err := os.MkdirAll(r.opts.DocumentsDir, 0o700); err != nil {
			return nil, fmt.Errorf("creating documents folder: %w", err)
		}
	}
	const pass = 1
	r.progress.Start("extracting, mapping and building", 0)
	err := r.stage(ctx, pass)
	r.progress.Finish()
	if err != nil {
		return r.rep, err
	}
	// The budget is reported, not enforced: a dry-run shows how much of it
	// the run would use (a run stops there).
	if berr := r.checkBudget(pass); berr != nil && !isBudget(berr) {
		return r.rep, berr
	}
	pending, err := total(r.st, state.Pending)
	if err != nil {
		return r.rep, err
	}
	r.progress.Start("signing in delivery order", pending)
	var frame func(*transform.Output, []byte) []byte
	if r.opts.DocumentsDir != "" {
		// Each document's frame beside it, for kantamig validate; processing
		// code D (debugging), as the archive's validated sample frames have.
		frame = r.framer("D")
	}
	ds := &documentsSink{dir: r.opts.DocumentsDir}
	d, err := r.deliver(ctx, ds, plan.Options{Run: 1}, 8, frame, false)
	if cerr := ds.Close(); err == nil {
		err = cerr
	}
	r.progress.Finish()
	r.beforeAccount()
	r.rep.DocumentsSigned = d.Signed()
	if _, aerr := ledger.Account(r.st, r.rep, pass); err == nil {
		err = aerr
	}
	if err != nil {
		return r.rep, err
	}
	r.rep.Finish()
	return r.rep, nil
}

// open opens an entity block's source (or what the tests give instead).
func (r *Runner) open(em *mapping.EntityMapping) (extract.Source, error) {
	if r.opts.OpenSource != nil {
		return r.opts.OpenSource(em)
	}
	return extract.Open(em.Source)
}

// stage reads every source in turn and stages its records.
func (r *Runner) stage(ctx context.Context, pass int) error {
	stg := r.newStager(ctx, pass)
	if !r.opts.Sample.IsZero() {
		clients := 0
		if r.opts.Sample.Clients > 0 {
			var err error
			if clients, err = r.countClients(ctx); err != nil {
				return err
			}
		}
		stg.sample = newSampler(r.opts.Sample, clients)
		r.rep.Settings.Sample = stg.sample.desc
	}
	return r.stageSteps(ctx, stg, stg.steps(), ledger.NewTally(r.st, pass), nil)
}

// newStager makes the stager of a pass with the runner's options.
func (r *Runner) newStager(ctx context.Context, pass int) *stager {
	stg := newStager(r.m, r.tr, r.st, r.rep, pass, r.opts.MaxDocumentBytes, r.opts.MaxMessageBytes)
	stg.pdfa, stg.pdfaErr, stg.ctx = r.pdfa, r.pdfaErr, ctx
	stg.builders = r.opts.Workers
	return stg
}

// stageSteps takes the records of steps through stg, counting what it
// reads in tally, and then finds the records of earlier passes the sources
// no longer hold (among those gone says are its, or all when nil).
func (r *Runner) stageSteps(ctx context.Context, stg *stager, steps []step, tally *ledger.Tally, gone func(*state.Record) (bool, error)) error {
	for _, s := range steps {
		if s.finish != nil {
			if err := s.finish(); err != nil {
				return err
			}
			continue
		}
		if err := r.each(ctx, s.em, s.fn, stg.drain, tally); err != nil {
			return err
		}
	}
	if err := stg.goneFromSource(gone); err != nil {
		return err
	}
	return r.st.Commit()
}

// deliver plans the pending documents and signs and delivers them.
// frame builds a message frame (nil for a sink that never asks for one).
func (r *Runner) deliver(ctx context.Context, sk sink.Sink, po plan.Options, senders int, frame func(*transform.Output, []byte) []byte, testArchive bool) (*deliver.Deliverer, error) {
	d := deliver.Start(ctx, deliver.Options{Sink: sk, Signer: r.opts.Signer, Outcomes: r.st, Workers: r.opts.Workers,
		Senders: senders, Frame: frame, Delivered: func() { r.progress.Add(1) }, TestArchive: testArchive, Refused: r.refused, Observe: r.opts.Observe})
	p := plan.New(r.st, r.tr.Rebuilder(), po)
	err := p.Walk(ctx, d.Submit)
	r.waiting = refusals{Refused: p.Refused(), HeldBack: p.Held()}
	if cerr := d.Close(); cerr != nil {
		err = cerr // the signing or delivery failure is the cause
	}
	if serr := r.st.Commit(); err == nil {
		err = serr
	}
	return d, err
}

// documentsSink is the dry-run's sink: it keeps nothing, or writes each
// signed document to a folder as <kind>-<oid>.xml, and its frame (the
// document inside) in its frames/ folder as <kind>-<oid>.frame.xml.
type documentsSink struct {
	dir      string
	once     sync.Once
	mkdirErr error
	// locators lists each document's record (OID, tab, locator), for
	// validate's report: the folder's manifest.
	mu       sync.Mutex
	locators *os.File
}

// LocatorsFile, in a dry-run's documents folder, maps each document's OID
// to its record's place in the legacy source (a line "OID<tab>locator").
const LocatorsFile = "locators.tsv"

func (s *documentsSink) Deliver(_ context.Context, d *sink.Delivery) (sink.Receipt, error) {
	if s.dir == "" {
		return sink.Receipt{}, nil
	}
	if err := writeFileAtomic(filepath.Join(s.dir, d.Kind+"-"+d.OID+".xml"), d.Document); err != nil {
		return sink.Receipt{}, err
	}
	if err := s.locate(d); err != nil {
		return sink.Receipt{}, err
	}
	if d.Frame == nil {
		return sink.Receipt{}, nil
	}
	s.once.Do(func() { s.mkdirErr = os.MkdirAll(filepath.Join(s.dir, "frames"), 0o700) })
	if s.mkdirErr != nil {
		return sink.Receipt{}, fmt.Errorf("writing frames: %w", s.mkdirErr)
	}
	return sink.Receipt{}, writeFileAtomic(filepath.Join(s.dir, "frames", d.Kind+"-"+d.OID+".frame.xml"), d.Frame())
}

// locate adds a document's line to LocatorsFile.
func (s *documentsSink) locate(d *sink.Delivery) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.locators == nil {
		f, err := os.OpenFile(filepath.Join(s.dir, LocatorsFile), os.O_CREATE|os.O_WRONLY|os.O_TRUNC, 0o600)
		if err != nil {
			return fmt.Errorf("writing %s: %w", LocatorsFile, err)
		}
		s.locators = f
	}
	_, err := fmt.Fprintf(s.locators, "%s\t%s\n", d.OID, strings.ReplaceAll(d.Identity.Locator, "\n", " "))
	return err
}

func (s *documentsSink) Close() error {
	if s.locators != nil {
		return s.locators.Close()
	}
	return nil
}
func (s *documentsSink) String() string { return "dry-run:" + s.dir }

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

// each streams one source's records through fn and records in the ledger
// how many it read, with the source's own count where it can give one:
// counted here, as they come from the source, not from what staging made
// of them.
func (r *Runner) each(ctx context.Context, em *mapping.EntityMapping, fn func(extract.Record) error, drain func() error, tally *ledger.Tally) error {
	src, err := r.open(em)
	if err != nil {
		return &SourceError{Entity: em.Entity, Source: em.SourceName, Err: err}
	}
	defer src.Close()
	records, done, stop := readAhead(ctx, src)
	defer stop()
	read := 0
	for next := range records {
		if next.err == io.EOF {
			break
		}
		if next.err != nil {
			return &SourceError{Entity: em.Entity, Source: em.SourceName, Err: next.err}
		}
		read++
		err := fn(next.rec)
		done(next)
		if err != nil {
			return err
		}
		r.progress.Add(1)
	}
	stop() // the reader has left the source: it may be counted
	if err := ctx.Err(); err != nil {
		return err
	}
	if err := drain(); err != nil {
		return err
	}
	if read == 0 {
		// Reconciled all the same (nothing read, nothing counted), but a
		// wrong file, sheet, record path or query also reads as nothing.
		r.rep.Warn(report.Finding{Locator: em.SourceName, Entity: string(em.Entity), Source: em.SourceName, Rule: kanta.RuleEmptySource,
			Reason: fmt.Sprintf("the source %s yielded no %s records: if it is not empty, check its file, sheet, record path or query in the mapping", em.SourceName, em.Entity)})
	}
	b := ledger.Block{Entity: string(em.Entity), Source: em.SourceName, Read: read}
	if c, ok := extract.CounterOf(src); ok {
		n, how, err := c.CountRecords(ctx)
		switch {
		case ctx.Err() != nil:
			return ctx.Err()
		case err != nil:
			b.CountError = err.Error()
		default:
			b.SourceCount, b.CountedBy = &n, how
		}
	}
	return tally.Read(b)
}

// schemaFolderName names the schemas a report was made with.
func schemaFolderName(dir string) string {
	if dir == "" {
		return builtinschemas.Name
	}
	return dir
}

// beforeAccount tells the command that delivery is over (Options.BeforeAccount).
func (r *Runner) beforeAccount() {
	if r.opts.BeforeAccount != nil {
		r.opts.BeforeAccount()
	}
}
