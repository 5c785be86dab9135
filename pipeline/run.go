package pipeline

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/kantamig/kantamig/kanta"
	"github.com/kantamig/kantamig/ledger"
	"github.com/kantamig/kantamig/load/adopt"
	"github.com/kantamig/kantamig/load/plan"
	"github.com/kantamig/kantamig/load/shard"
	"github.com/kantamig/kantamig/load/sink"
	"github.com/kantamig/kantamig/report"
	"github.com/kantamig/kantamig/state"
	"github.com/kantamig/kantamig/transform"
)

// RunOptions control a migration run.
type RunOptions struct {
	Sink               sink.Sink
	Phased             bool // all relationships, then all cases, then all documents
	AllowMappingChange bool
	// AdoptPackage lets this run take over an archive package made by another
	// run (another state file): after staging, every document the package
	// holds is matched to this run's record by source key, version and
	// content and counts as delivered (package load/adopt); a package that
	// does not match exactly is refused. Not for a sharded run.
	AdoptPackage   bool
	ProcessingCode string // of the message frames; default P
	// TestEnvironment says the sink is a test archive (processing code T or D,
	// or the operator said so): no document of a person whose identity code
	// is outside the test range 900–999 may leave. See plan.IsTestProcessing.
	TestEnvironment bool
	Progress        Progress // nil for none
	// Senders is how many documents may be on their way to the sink at once
	// (default 8). Each waits for the documents it depends on, so different
	// clients proceed in parallel while each client's order holds. A phased
	// run sends one at a time.
	Senders int
	// Shard, when set, makes this process one worker of a sharded run: it
	// delivers the clients of its shard from a store the workers share
	// (see sharded.go).
	Shard *shard.Spec
	// RetryRefused sends again the documents the archive refused in an
	// earlier start (--retry-refused); by default they, and what depends on
	// them, wait until their content changes (seen at a re-staging).
	RetryRefused bool
	// Restage reads the sources again although an earlier start of the run
	// staged them to the end (by default a resume delivers what is staged,
	// and the sources need not be reachable): to take in what changed in
	// them since. Records gone from them are then skipped (gone-from-source).
	Restage bool
}

// ErrMappingChanged refuses to resume a run with another mapping file.
type ErrMappingChanged struct{ Was, Now string }

func (e *ErrMappingChanged) Error() string {
	return fmt.Sprintf("the mapping file has changed since the run started (SHA-256 %s…, now %s…); resuming with another mapping could archive the same record twice in different forms. Use the original mapping, or give --allow-mapping-change if the change is deliberate",
		e.Was[:12], e.Now[:12])
}

// ErrStateKeys refuses a state store staged by a kantamig whose record keys
// were not qualified by their source: its records would all look new, and be
// archived a second time under new identifiers.
type ErrStateKeys struct{ Format string }

func (e *ErrStateKeys) Error() string {
	return fmt.Sprintf("the state store was made by an earlier kantamig that kept record keys without their source (key format %q, this one writes %q): continuing would archive its records twice. Finish that run with the kantamig that started it, or start a new run with a new state store and a new package", e.Format, keyFormat)
}

// keyFormat says how record keys are written in the store: the source's name,
// a colon and the key within the source.
const keyFormat = "source-qualified"

// ErrSinkChanged refuses to resume a run with another sink: the documents
// delivered so far are in the first one, and the second would have a gap
// and, for the clients that were half done, a broken order.
type ErrSinkChanged struct{ Was, Now string }

func (e *ErrSinkChanged) Error() string {
	return fmt.Sprintf("this run delivers to %s, not %s: the documents delivered so far are there, and continuing elsewhere would leave both incomplete. Give --sink %s to continue it, or start a new run with a new state file for the other sink",
		e.Was, e.Now, e.Was)
}

// ErrComplete says the run has nothing left to do.
var ErrComplete = errors.New("the run is complete; nothing to do")

// Run stages every source record in the state store (mapping, checks,
// identifiers minted and stored), then delivers the documents that are still
// pending, in order, signing them on the way. It can be interrupted at any
// point and run again: it continues where it stopped, re-sends nothing the
// sink acknowledged, and produces the same identifiers.
func (r *Runner) Run(ctx context.Context, ro RunOptions) (*report.Report, error) {
	if ro.Progress != nil {
		r.progress = ro.Progress
	}
	if ro.Shard != nil {
		return r.runShard(ctx, ro)
	}
	st := r.st
	pass, run, staged, err := r.begin(ro)
	if err != nil {
		return nil, err
	}
	if ro.Progress != nil {
		r.progress = ro.Progress
	}
	if staged {
		// An earlier start read every source to the end: deliver what it
		// staged, with what its staging noted.
		if err := r.restoreNotes(pass); err != nil {
			return nil, err
		}
	} else {
		// Stage: the same extraction, mapping and checks as a dry-run, kept
		// in the store.
		known, err := stagingTotal(st)
		if err != nil {
			return nil, err
		}
		r.progress.Start("staging", known)
		err = r.stage(ctx, pass)
		r.progress.Finish()
		if err != nil {
			return r.rep, err
		}
	}
	if err := r.stopOnBudget(pass); err != nil {
		return r.rep, err
	}
	if err := r.stopUnreconciled(pass); err != nil {
		return r.rep, err
	}
	if !staged {
		if err := r.keepNotes(pass); err != nil {
			return r.rep, err
		}
	}
	if r.adopting != nil {
		if err := r.adopt(ctx); err != nil {
			return r.rep, err
		}
	}
	// Deliver what is pending: the progress counts documents, not the
	// records carried in them.
	counts, err := st.Counts()
	if err != nil {
		return r.rep, err
	}
	pending := documentsPending(counts)
	senders := ro.Senders
	if ro.Phased {
		senders = 1
	}
	if err := r.deliverPending(ctx, ro, "delivering", pending, senders, plan.Options{Phased: ro.Phased, Run: run, Mapping: r.m.SHA256, RetryRefused: ro.RetryRefused}, pass); err != nil {
		return r.rep, err
	}
	if left, err := total(st, state.Pending); err != nil {
		return r.rep, err
	} else if left == 0 {
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

// deliverPending checks the test range when the sink is a test archive,
// delivers what po walks, counts it in the report and accounts for every
// record from the store.
func (r *Runner) deliverPending(ctx context.Context, ro RunOptions, phase string, pending int64, senders int, po plan.Options, pass int) error {
	testArchive := ro.TestEnvironment || plan.IsTestProcessing(ro.ProcessingCode)
	if testArchive {
		if err := plan.CheckTestRange(ctx, r.st); err != nil {
			return err
		}
	}
	r.progress.Start(phase, pending)
	d, err := r.deliver(ctx, ro.Sink, po, senders, r.framer(ro.ProcessingCode), testArchive)
	r.progress.Finish()
	r.beforeAccount()
	r.rep.DocumentsSigned, r.rep.DocumentsDelivered, r.rep.DuplicatesAtSink = d.Signed(), d.Delivered(), d.Duplicates()
	if _, aerr := ledger.Account(r.st, r.rep, pass); err == nil {
		err = aerr
	}
	if err != nil {
		return err
	}
	if r.rep.StateCounts, err = r.st.Counts(); err != nil {
		return err
	}
	if refused := (refusals{Refused: d.Refused() + r.waiting.Refused, HeldBack: d.HeldBack() + r.waiting.HeldBack}); refused.Refused > 0 {
		return &ErrRefused{refusals: refused, NewlyRefused: d.Refused()}
	}
	return nil
}

// refusals counts documents the archive refused and those waiting for them.
type refusals struct{ Refused, HeldBack int }

// ErrRefused ends a delivery that went on past documents the archive
// refused: everything else was delivered; they, and what depends on them,
// are pending with the archive's answer (kantamig status lists them).
type ErrRefused struct {
	refusals
	NewlyRefused int // refused in this run (the rest in earlier ones, not sent again)
}

func (e *ErrRefused) Error() string {
	earlier := ""
	if n := e.Refused - e.NewlyRefused; n > 0 {
		earlier = fmt.Sprintf(" (%d of them in an earlier run, not sent again)", n)
	}
	return fmt.Sprintf("the archive refused %d document(s)%s and %d document(s) wait for them, held back to keep each client's order; everything else was delivered. "+
		"They are recorded with the archive's answer (kantamig status, and the Refused sheet of the report, list them with their legacy records): "+
		"correct the source or the mapping and run again with --restage (a refused document whose content changed is sent again; add --allow-mapping-change if the mapping changed), "+
		"or give --retry-refused to send them again unchanged",
		e.Refused, earlier, e.HeldBack)
}

// begin checks that the store's run may go on with this mapping and sink,
// binds the sink to the run, and records the start: it returns the pass
// (staging rounds) and the run (starts) this is, and whether that pass was
// staged to the end by an earlier start (then this one does not stage).
func (r *Runner) begin(ro RunOptions) (pass, run int, staged bool, err error) {
	st := r.st
	was, err := st.Setting("mapping_sha256")
	if err != nil {
		return 0, 0, false, err
	}
	if was != "" && was != r.m.SHA256 && !ro.AllowMappingChange {
		return 0, 0, false, &ErrMappingChanged{Was: was, Now: r.m.SHA256}
	}
	if was != "" {
		if f, err := st.Setting("key_format"); err != nil {
			return 0, 0, false, err
		} else if f != keyFormat {
			return 0, 0, false, &ErrStateKeys{Format: f}
		}
	}
	if err := checkBinding(st, 1, ro.Sink.String()); err != nil {
		return 0, 0, false, err
	}
	runID, err := st.Setting("run_id")
	if err != nil {
		return 0, 0, false, err
	}
	if runID == "" {
		var b [16]byte
		if _, err := rand.Read(b[:]); err != nil {
			return 0, 0, false, err
		}
		runID = hex.EncodeToString(b[:])
		if err := st.SetSetting("run_id", runID); err != nil {
			return 0, 0, false, err
		}
		if err := st.Commit(); err != nil { // stored before any sink knows it
			return 0, 0, false, err
		}
	}
	if err := r.bind(ro, runID); err != nil {
		return 0, 0, false, err
	}
	done, err := st.Setting("complete")
	if err != nil {
		return 0, 0, false, fmt.Errorf("reading whether the run is complete: %w", err)
	}
	if done == "yes" && was == r.m.SHA256 {
		return 0, 0, false, ErrComplete
	}
	if pass, err = state.IntSetting(st, "pass"); err != nil {
		return 0, 0, false, err
	}
	stagedPass, err := state.IntSetting(st, "staged_pass")
	if err != nil {
		return 0, 0, false, err
	}
	if staged = !ro.Restage && was == r.m.SHA256 && stagedPass > 0 && stagedPass == pass; !staged {
		pass++
	}
	if run, err = state.IntSetting(st, "runs"); err != nil {
		return 0, 0, false, err
	}
	run++
	for k, v := range map[string]string{
		"pass": strconv.Itoa(pass), "runs": strconv.Itoa(run), "mapping_sha256": r.m.SHA256, "mapping_file": r.m.File,
		"oid_root": r.m.OIDRoot, "cutoff": r.m.Cutoff.Format("2006-01-02"), "time_zone": r.m.Location.String(), "test_rehearsal": strconv.FormatBool(r.m.TestRehearsal), "sink": ro.Sink.String(), "complete": "no",
		"last_start": time.Now().UTC().Format(time.RFC3339), "key_format": keyFormat,
	} {
		if err := st.SetSetting(k, v); err != nil {
			return 0, 0, false, err
		}
	}
	if was == "" {
		if err := st.SetSetting("first_start", time.Now().UTC().Format(time.RFC3339)); err != nil {
			return 0, 0, false, err
		}
	}
	return pass, run, staged, nil
}

// bind ties the sink to the run. A package another run made, with
// --adopt-package, is bound only once this run has adopted its documents
// (adopt): until then it stays the other run's, so that an adoption a kill
// interrupts is done again, never taken as done.
func (r *Runner) bind(ro RunOptions, runID string) error {
	r.adopting, r.runID = nil, runID
	if a, ok := sink.AdoptableOf(ro.Sink); ok && ro.AdoptPackage {
		owner, documents, err := a.Owner()
		if err != nil {
			return err
		}
		if owner != runID && (owner != "" || documents > 0) {
			r.adopting = a
			return nil
		}
	}
	if b, ok := ro.Sink.(sink.Bound); ok {
		return b.Bind(runID, false)
	}
	return nil
}

// adopt matches the documents of the package being adopted to the staged
// records (package adopt), then binds the package to this run.
func (r *Runner) adopt(ctx context.Context) error {
	res, err := adopt.Package(ctx, r.st, r.adopting, r.tr, r.m.SHA256)
	if err != nil {
		return err
	}
	if err := r.st.SetSetting("adopted", r.adopting.String()); err != nil {
		return err
	}
	if err := r.st.Commit(); err != nil {
		return err
	}
	if err := r.adopting.Bind(r.runID, true); err != nil {
		return err
	}
	r.rep.AdoptedDocuments, r.rep.AdoptionReminted = res.Adopted, res.Reminted
	r.adopting = nil
	return nil
}

// stagingTotal is the progress's total for a staging: the records an
// earlier pass staged to the end (one row for every record it read), or 0
// (unknown) when none did. The rows of a staging a kill interrupted are
// only part of the sources: a total from them ran out long before the
// staging did.
func stagingTotal(st state.Store) (int64, error) {
	staged, err := state.IntSetting(st, "staged_pass")
	if err != nil || staged == 0 {
		return 0, err
	}
	return total(st, "")
}

// framer builds each document's message frame, numbered by its OID's last arc.
func (r *Runner) framer(processingCode string) func(*transform.Output, []byte) []byte {
	tr := r.tr.Rebuilder()
	return func(out *transform.Output, signed []byte) []byte {
		return tr.Frame(out, transform.FrameParams{MessageRoot: r.m.OIDRoot + ".4", MessageNumber: out.OID[strings.LastIndexByte(out.OID, '.')+1:],
			Created: time.Now(), ProcessingCode: processingCode}, signed)
	}
}

// total counts the store's records with an outcome ("" for all).
// documentsPending counts the pending records that are documents of their
// own (client relationships, cases, client documents): the records carried
// in them (service-task periods, members, addresses, related persons) are
// delivered with them, and are no work of their own.
func documentsPending(counts map[string]map[string]int) int64 {
	var n int64
	for _, e := range []kanta.Entity{kanta.EntityClient, kanta.EntityCase, kanta.EntityDocument} {
		n += int64(counts[string(e)][state.Pending])
	}
	return n
}

func total(st state.Store, outcome string) (int64, error) {
	counts, err := st.Counts()
	if err != nil {
		return 0, err
	}
	var n int64
	for _, byOutcome := range counts {
		for o, c := range byOutcome {
			if outcome == "" || o == outcome {
				n += int64(c)
			}
		}
	}
	return n, nil
}

// keepNotes records that this pass is staged to the end and checked, with
// what its staging noted (report.Notes), so that a resume delivers without
// reading the sources again and still reports those notes.
func (r *Runner) keepNotes(pass int) error {
	data, err := json.Marshal(r.rep.Notes())
	if err != nil {
		return err
	}
	if err := r.st.SetSetting(notesSetting(pass), string(data)); err != nil {
		return err
	}
	if err := r.st.SetSetting("staged_pass", strconv.Itoa(pass)); err != nil {
		return err
	}
	return r.st.Commit()
}

// restoreNotes puts into the report what the staging of pass noted.
func (r *Runner) restoreNotes(pass int) error {
	data, err := r.st.Setting(notesSetting(pass))
	if err != nil {
		return fmt.Errorf("reading the notes of staging pass %d from the state store: %w", pass, err)
	}
	var n report.Notes
	if err := json.Unmarshal([]byte(data), &n); err != nil {
		return fmt.Errorf("reading the notes of staging pass %d from the state store: %w", pass, err)
	}
	r.rep.AddNotes(n)
	return nil
}

func notesSetting(pass int) string { return "staging_notes/" + strconv.Itoa(pass) }
