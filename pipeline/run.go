package pipeline

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/kantamig/kantamig/kanta"
	"github.com/kantamig/kantamig/load/sink"
	"github.com/kantamig/kantamig/load/state"
	"github.com/kantamig/kantamig/report"
	"github.com/kantamig/kantamig/transform"
)

// RunOptions control a migration run.
type RunOptions struct {
	Sink               sink.Sink
	Phased             bool // all relationships, then all cases, then all documents
	AllowMappingChange bool
	// AdoptPackage lets this run take over an archive package made by another
	// run (another state file); every document it holds counts as delivered.
	AdoptPackage   bool
	ProcessingCode string // of the message frames; default P
	// TestEnvironment says the sink is a test archive (processing code T or D,
	// or the operator said so): no document of a person whose identity code
	// is outside the test range 900–999 may leave. See IsTestProcessing.
	TestEnvironment bool
	Progress        Progress // nil for none
	// Senders is how many documents may be on their way to the sink at once
	// (default 8). Each waits for the documents it depends on, so different
	// clients proceed in parallel while each client's order holds. A phased
	// run sends one at a time.
	Senders int
}

// ErrMappingChanged refuses to resume a run with another mapping file.
type ErrMappingChanged struct{ Was, Now string }

func (e *ErrMappingChanged) Error() string {
	return fmt.Sprintf("the mapping file has changed since the run started (SHA-256 %s…, now %s…); resuming with another mapping could archive the same record twice in different forms. Use the original mapping, or give --allow-mapping-change if the change is deliberate",
		e.Was[:12], e.Now[:12])
}

// ErrSinkChanged refuses to resume a run with another sink: the documents
// delivered so far are in the first one, and the second would have a gap
// and, for the clients that were half done, a broken order.
type ErrSinkChanged struct{ Was, Now string }

func (e *ErrSinkChanged) Error() string {
	return fmt.Sprintf("this run delivers to %s, not %s: the documents delivered so far are there, and continuing elsewhere would leave both incomplete. Give --sink %s to continue it, or start a new run with a new state file for the other sink",
		e.Was, e.Now, e.Was)
}

// ErrRealPersonsToTest refuses to send documents of real persons (identity
// codes outside the test range 900–999) to a test archive. Nothing was sent.
type ErrRealPersonsToTest struct {
	Clients int    // clients to be delivered whose identity code is outside the test range
	Example string // the first one's locator
}

func (e *ErrRealPersonsToTest) Error() string {
	return fmt.Sprintf("%d client(s) to be delivered have identity codes outside the test range 900–999 (the first at %s), and this run goes to a test archive (processing code T or D); nothing was sent. Test archives take test persons only: use a test extract, or give --processing-code P for the production archive", e.Clients, e.Example)
}

// IsTestProcessing reports whether a processing code means a test archive:
// T (training) or D (debugging).
func IsTestProcessing(code string) bool { return code == "T" || code == "D" }

// realPerson reports whether a client is a real person as far as a test
// archive is concerned: a valid identity code outside the test range.
// Clients known only by a temporary identifier carry no national code.
func realPerson(c kanta.Client) bool {
	if c.IdentityCode == "" {
		return false
	}
	code, err := kanta.ParseIdentityCode(c.IdentityCode)
	return err != nil || !code.TestRange()
}

// checkTestRange walks every client that is to be (or was) delivered and
// refuses the run if any is a real person: before the first document leaves,
// not after the archive has seen some.
func (r *Runner) checkTestRange(ctx context.Context) error {
	refusal := &ErrRealPersonsToTest{}
	err := eachKey(ctx, r.st, string(kanta.EntityClient), func(k string) error {
		row, err := r.st.Get(string(kanta.EntityClient), k)
		if err != nil || row == nil || (row.Outcome != state.Pending && row.Outcome != state.Loaded) {
			return err
		}
		var rel kanta.Relationship
		if err := state.Decode(row.Model, &rel); err != nil {
			return fmt.Errorf("reading client %s from the state store: %w", k, err)
		}
		if realPerson(rel.Client) {
			if refusal.Clients == 0 {
				refusal.Example = row.Locator
			}
			refusal.Clients++
		}
		return nil
	})
	if err != nil {
		return err
	}
	if refusal.Clients > 0 {
		return refusal
	}
	return nil
}

// ErrComplete says the run has nothing left to do.
var ErrComplete = errors.New("the run is complete; nothing to do")

// DeliveryError is a failure to deliver one document; the run stops.
type DeliveryError struct {
	Entity, Key, OID string
	Err              error
}

func (e *DeliveryError) Error() string {
	return fmt.Sprintf("delivering %s %s (%s): %v", e.Entity, e.Key, e.OID, e.Err)
}

func (e *DeliveryError) Unwrap() error { return e.Err }

// Run stages every source record in the state store (mapping, checks,
// identifiers minted and stored), then delivers the documents that are still
// pending, in order, signing them on the way. It can be interrupted at any
// point and run again: it continues where it stopped, re-sends nothing the
// sink acknowledged, and produces the same identifiers.
func (r *Runner) Run(ctx context.Context, ro RunOptions) (*report.Report, error) {
	st := r.st
	was, err := st.Setting("mapping_sha256")
	if err != nil {
		return nil, err
	}
	if was != "" && was != r.m.SHA256 && !ro.AllowMappingChange {
		return nil, &ErrMappingChanged{Was: was, Now: r.m.SHA256}
	}
	if sinkWas, err := st.Setting("sink"); err != nil {
		return nil, err
	} else if sinkWas != "" && sinkWas != ro.Sink.String() {
		return nil, &ErrSinkChanged{Was: sinkWas, Now: ro.Sink.String()}
	}
	runID, err := st.Setting("run_id")
	if err != nil {
		return nil, err
	}
	if runID == "" {
		var b [16]byte
		if _, err := rand.Read(b[:]); err != nil {
			return nil, err
		}
		runID = hex.EncodeToString(b[:])
		if err := st.SetSetting("run_id", runID); err != nil {
			return nil, err
		}
		if err := st.Commit(); err != nil { // stored before any sink knows it
			return nil, err
		}
	}
	if b, ok := ro.Sink.(sink.Bound); ok {
		if err := b.Bind(runID, ro.AdoptPackage); err != nil {
			return nil, err
		}
	}
	if done, _ := st.Setting("complete"); done == "yes" && was == r.m.SHA256 {
		return nil, ErrComplete
	}
	pass, _ := st.Setting("pass")
	r.pass, _ = strconv.Atoi(pass)
	r.pass++
	runs, _ := st.Setting("runs")
	run, _ := strconv.Atoi(runs)
	run++
	for k, v := range map[string]string{
		"pass": strconv.Itoa(r.pass), "runs": strconv.Itoa(run), "mapping_sha256": r.m.SHA256, "mapping_file": r.m.File,
		"oid_root": r.m.OIDRoot, "cutoff": r.m.Cutoff.Format("2006-01-02"), "sink": ro.Sink.String(), "complete": "no",
		"last_start": time.Now().UTC().Format(time.RFC3339),
	} {
		if err := st.SetSetting(k, v); err != nil {
			return nil, err
		}
	}
	if was == "" {
		if err := st.SetSetting("first_start", time.Now().UTC().Format(time.RFC3339)); err != nil {
			return nil, err
		}
	}
	progress := ro.Progress
	if progress == nil {
		progress = noProgress{}
	}
	// Stage: the same extraction, mapping and checks as a dry-run, kept in the store.
	// The total is what the store holds from an earlier start, if any.
	before, err := st.Counts()
	if err != nil {
		return nil, err
	}
	var known int64
	for _, byOutcome := range before {
		for _, n := range byOutcome {
			known += int64(n)
		}
	}
	r.opts.StageDocuments = true
	r.pool = nil
	r.progress = progress
	progress.Start("staging", known)
	for _, s := range r.steps() {
		if err := r.each(ctx, s.em, s.fn); err != nil {
			progress.Finish()
			return r.rep, err
		}
	}
	progress.Finish()
	r.progress = nil
	if err := st.Commit(); err != nil {
		return r.rep, err
	}
	counts, err := st.Counts()
	if err != nil {
		return r.rep, err
	}
	var pendingNow int64
	for _, byOutcome := range counts {
		pendingNow += int64(byOutcome[state.Pending])
	}
	if ro.TestEnvironment || IsTestProcessing(ro.ProcessingCode) {
		ro.TestEnvironment = true
		if err := r.checkTestRange(ctx); err != nil {
			return r.rep, err
		}
	}
	// Deliver what is pending.
	d := newDelivery(ctx, r, ro, run)
	d.tr = r.tr.Rebuilder() // every rebuilt document is compared with the staged hash in submit
	d.progress = progress
	r.pool = newSignPool(ctx, r.opts.Signer, r.opts.Workers, d.dispatch)
	progress.Start("delivering", pendingNow)
	err = d.all(ctx)
	if perr := r.pool.close(); perr != nil {
		err = perr // the delivery or signing failure is the cause
	}
	if serr := d.wait(); serr != nil {
		err = serr
	}
	progress.Finish()
	r.rep.DocumentsDelivered = int(d.delivered.Load())
	r.rep.DuplicatesAtSink = int(d.duplicates.Load())
	if cerr := st.Commit(); err == nil {
		err = cerr
	}
	if err != nil {
		return r.rep, err
	}
	if counts, err = st.Counts(); err != nil {
		return r.rep, err
	}
	r.rep.StateCounts = counts
	pending := 0
	for _, byOutcome := range counts {
		pending += byOutcome[state.Pending]
	}
	if pending == 0 {
		if err := st.SetSetting("complete", "yes"); err != nil {
			return r.rep, err
		}
	}
	if err := st.Commit(); err != nil {
		return r.rep, err
	}
	r.rep.Finish()
	return r.rep, nil
}

// delivery walks the pending records in delivery order.
type delivery struct {
	r          *Runner
	ro         RunOptions
	run        int
	delivered  atomic.Int64
	duplicates atomic.Int64
	submitted  int64
	// docOID maps a record to its document OID, for dependencies; lastDoc is
	// the last document submitted for the current client.
	lastDoc  map[string]string
	progress Progress
	tr       *transform.Transformer
	// handled remembers, for the current client, the records already seen in
	// this run, to spare the store the same question for every document.
	handled map[string]bool

	ctx      context.Context
	sem      chan struct{}
	wg       sync.WaitGroup
	mu       sync.Mutex
	inflight map[string]*sending
	failed   error
}

// sending is a document on its way to the sink.
type sending struct {
	done chan struct{}
	err  error
}

func newDelivery(ctx context.Context, r *Runner, ro RunOptions, run int) *delivery {
	senders := ro.Senders
	if senders <= 0 {
		senders = 8
	}
	if ro.Phased {
		senders = 1
	}
	return &delivery{r: r, ro: ro, run: run, lastDoc: map[string]string{}, handled: map[string]bool{}, ctx: ctx,
		sem: make(chan struct{}, senders), inflight: map[string]*sending{}}
}

// dispatch receives signed documents in delivery order and sends each once
// the documents it depends on have arrived; independent ones go in parallel.
func (d *delivery) dispatch(out *transform.Output, ref rowRef, signed []byte) error {
	if err := d.firstFailure(); err != nil {
		return err
	}
	item := &sending{done: make(chan struct{})}
	d.mu.Lock()
	var deps []*sending
	for _, oid := range ref.deps {
		if s, ok := d.inflight[oid]; ok {
			deps = append(deps, s)
		}
	}
	d.inflight[out.OID] = item
	d.mu.Unlock()
	select {
	case d.sem <- struct{}{}:
	case <-d.ctx.Done():
		return d.ctx.Err()
	}
	d.wg.Add(1)
	go func() {
		defer d.wg.Done()
		defer func() { <-d.sem }()
		for _, dep := range deps {
			<-dep.done
			if dep.err != nil {
				item.err = errors.New("a document it depends on was not delivered")
				close(item.done)
				return
			}
		}
		if err := d.firstFailure(); err != nil {
			item.err = err
			close(item.done)
			return
		}
		item.err = d.deliver(out, ref, signed)
		close(item.done)
		d.mu.Lock()
		delete(d.inflight, out.OID)
		if item.err != nil && d.failed == nil {
			d.failed = item.err
		}
		d.mu.Unlock()
	}()
	return nil
}

func (d *delivery) firstFailure() error {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.failed
}

// wait lets every document on its way arrive and returns the first failure.
func (d *delivery) wait() error {
	d.wg.Wait()
	return d.firstFailure()
}

const page = 500

// eachKey calls fn with every key of an entity in the store, in key order,
// a page at a time, stopping when ctx is done.
func eachKey(ctx context.Context, st state.Store, entity string, fn func(string) error) error {
	after := ""
	for {
		keys, err := st.Keys(entity, after, page)
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
		if len(keys) < page {
			return nil
		}
		after = keys[len(keys)-1]
	}
}

func (d *delivery) all(ctx context.Context) error {
	st := d.r.st
	eachKey := func(entity string, fn func(string) error) error { return eachKey(ctx, st, entity, fn) }
	if d.ro.Phased {
		if err := eachKey(string(kanta.EntityClient), d.client); err != nil {
			return err
		}
		if err := eachKey(string(kanta.EntityCase), d.caseRow); err != nil {
			return err
		}
		afterTime, afterKey := "", ""
		for {
			keys, times, err := st.OrderedKeys(string(kanta.EntityDocument), afterTime, afterKey, page)
			if err != nil {
				return err
			}
			for _, k := range keys {
				if err := ctx.Err(); err != nil {
					return err
				}
				if err := d.document(k); err != nil {
					return err
				}
			}
			if len(keys) < page {
				return nil
			}
			afterTime, afterKey = times[len(times)-1], keys[len(keys)-1]
		}
	}
	// Client by client: the relationship, its cases, its documents in the
	// order they were drawn up. Signing runs in parallel across clients.
	return eachKey(string(kanta.EntityClient), func(key string) error {
		clear(d.lastDoc)
		clear(d.handled)
		if err := d.client(key); err != nil {
			return err
		}
		cases, err := st.ClientRows(string(kanta.EntityCase), key)
		if err != nil {
			return err
		}
		for _, k := range cases {
			if err := d.caseRow(k); err != nil {
				return err
			}
		}
		docs, err := st.ClientRows(string(kanta.EntityDocument), key)
		if err != nil {
			return err
		}
		for _, k := range docs {
			if err := d.document(k); err != nil {
				return err
			}
		}
		return nil
	})
}

// due returns a record that is pending and not yet handed to delivery in this run.
func (d *delivery) due(entity kanta.Entity, key string) (*state.Record, error) {
	if d.handled[string(entity)+"\x00"+key] {
		return nil, nil
	}
	if len(d.handled) > 100000 { // a phased run never changes client; the store has the answer anyway
		clear(d.handled)
	}
	row, err := d.r.st.Get(string(entity), key)
	if err != nil || row == nil || row.Outcome != state.Pending || row.DeliveryRun == d.run {
		if err == nil && row != nil {
			d.handled[string(entity)+"\x00"+key] = true
		}
		return nil, err
	}
	return row, nil
}

func (d *delivery) client(key string) error {
	row, err := d.due(kanta.EntityClient, key)
	if err != nil || row == nil {
		return err
	}
	var rel kanta.Relationship
	if err := state.Decode(row.Model, &rel); err != nil {
		return fmt.Errorf("reading client %s from the state store: %w", key, err)
	}
	if d.ro.TestEnvironment && realPerson(rel.Client) { // checked for all before delivery; kept here for each
		return &ErrRealPersonsToTest{Clients: 1, Example: row.Locator}
	}
	out, err := d.tr.Relationship(rel, transform.IDs{Document: row.DocOID, Relationship: row.EntityOID})
	if err != nil {
		return err
	}
	return d.submit(row, out, key)
}

func (d *delivery) caseRow(key string) error {
	row, err := d.due(kanta.EntityCase, key)
	if err != nil || row == nil {
		return err
	}
	var c kanta.Case
	if err := state.Decode(row.Model, &c); err != nil {
		return fmt.Errorf("reading case %s from the state store: %w", key, err)
	}
	var deps []string
	for _, cc := range c.Clients { // a shared case waits for every client's relationship
		if err := d.client(cc.ClientKey); err != nil {
			return err
		}
		if crow, err := d.r.st.Get(string(kanta.EntityClient), cc.ClientKey); err == nil && crow != nil {
			deps = append(deps, crow.DocOID)
		}
	}
	out, err := d.tr.Case(c, transform.IDs{Document: row.DocOID, Case: row.EntityOID})
	if err != nil {
		return err
	}
	return d.submit(row, out, row.ClientKey, deps...)
}

func (d *delivery) document(key string) error {
	row, err := d.due(kanta.EntityDocument, key)
	if err != nil || row == nil {
		return err
	}
	var doc kanta.Document
	if err := state.Decode(row.Model, &doc); err != nil {
		return fmt.Errorf("reading document %s from the state store: %w", key, err)
	}
	if err := d.client(doc.ClientKey); err != nil {
		return err
	}
	if err := d.caseRow(doc.CaseKey); err != nil {
		return err
	}
	ids := transform.IDs{Document: row.DocOID, Set: row.SetOID}
	crow, err := d.r.st.Get(string(kanta.EntityClient), doc.ClientKey)
	if err != nil || crow == nil {
		return fmt.Errorf("document %s: its client %s is missing from the state store: %v", key, doc.ClientKey, err)
	}
	krow, err := d.r.st.Get(string(kanta.EntityCase), doc.CaseKey)
	if err != nil || krow == nil {
		return fmt.Errorf("document %s: its case %s is missing from the state store: %v", key, doc.CaseKey, err)
	}
	ids.Relationship, ids.Case = crow.EntityOID, krow.EntityOID
	deps := []string{crow.DocOID, krow.DocOID}
	if doc.ReplacesKey != "" {
		if err := d.document(doc.ReplacesKey); err != nil { // the version it replaces goes first
			return err
		}
		prow, err := d.r.st.Get(string(kanta.EntityDocument), doc.ReplacesKey)
		if err != nil || prow == nil {
			return fmt.Errorf("document %s: the version it replaces is missing from the state store: %v", key, err)
		}
		ids.Replaces, ids.ReplacesVersion = prow.DocOID, prow.Version
		deps = append(deps, prow.DocOID)
	}
	out, err := d.tr.Document(doc, ids)
	if err != nil {
		return err
	}
	// The archive takes a client's documents in the order they were drawn up.
	if last := d.lastDoc[doc.ClientKey]; last != "" {
		deps = append(deps, last)
	}
	d.lastDoc[doc.ClientKey] = out.OID
	return d.submit(row, out, doc.ClientKey, deps...)
}

// submit checks that the rebuilt document is the one staged, notes that it
// is on its way, and hands it to the signers.
func (d *delivery) submit(row *state.Record, out *transform.Output, clientKey string, deps ...string) error {
	sum := sha256.Sum256(out.XML)
	if hex.EncodeToString(sum[:]) != row.ContentHash {
		return fmt.Errorf("%s %s: the document rebuilt for delivery differs from the one staged; stage again (run with the same mapping) before delivering", row.Entity, row.Key)
	}
	if err := d.r.st.MarkSubmitted(row.Entity, row.Key, d.run); err != nil {
		return err
	}
	d.handled[row.Entity+"\x00"+row.Key] = true
	d.submitted++
	return d.r.pool.submit(out, rowRef{entity: row.Entity, key: row.Key, clientKey: clientKey, deps: deps})
}

// deliver runs on the pool's consumer, in delivery order: the frame, the
// sink, then the outcome, durably, before the next document.
func (d *delivery) deliver(out *transform.Output, ref rowRef, signed []byte) error {
	arcs := strings.Split(out.OID, ".")
	frame := func() []byte {
		return d.tr.Frame(out, transform.FrameParams{MessageRoot: d.r.m.OIDRoot + ".4", MessageNumber: arcs[len(arcs)-1],
			Created: time.Now(), ProcessingCode: d.ro.ProcessingCode})
	}
	receipt, err := d.ro.Sink.Deliver(context.Background(), &sink.Delivery{OID: out.OID, SetID: out.SetID, Version: out.Version,
		Kind: string(out.Kind), ServiceRequest: out.ServiceRequest(), ClientKey: ref.clientKey, Document: signed, Frame: frame})
	if err != nil {
		rule := kanta.RuleDelivery
		if sink.IsPermanent(err) {
			rule = kanta.RuleArchiveRejected
		}
		if merr := d.r.st.MarkFailed(ref.entity, ref.key, rule, err.Error()); merr != nil {
			return merr
		}
		return &DeliveryError{Entity: ref.entity, Key: ref.key, OID: out.OID, Err: err}
	}
	if receipt.Duplicate {
		d.duplicates.Add(1)
	}
	if err := d.r.st.MarkLoaded(ref.entity, ref.key); err != nil {
		return err
	}
	d.delivered.Add(1)
	d.progress.Add(1)
	return nil
}
