package main

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/kantamig/kantamig/budget"
	"github.com/kantamig/kantamig/eventlog"
	"github.com/kantamig/kantamig/ledger"
	"github.com/kantamig/kantamig/load/adopt"
	"github.com/kantamig/kantamig/load/deliver"
	"github.com/kantamig/kantamig/load/plan"
	"github.com/kantamig/kantamig/load/sign"
	"github.com/kantamig/kantamig/load/sink"
	"github.com/kantamig/kantamig/load/token"
	"github.com/kantamig/kantamig/mapping"
	"github.com/kantamig/kantamig/pipeline"
	"github.com/kantamig/kantamig/state"
	"github.com/kantamig/kantamig/state/postgres"
)

// Exit codes. README.md's table lists exactly these (a test holds the two
// together); exitCode below is the one place an error becomes one.
const (
	exitOK           = 0
	exitFailure      = 1  // the run itself failed (I/O, a broken source, ...)
	exitUsage        = 2  // wrong command line
	exitMapping      = 3  // the mapping file is invalid
	exitRejects      = 4  // records were rejected and --fail-on-reject was given, or more than the error budget allows
	exitWrongPIN     = 5  // the token refused the PIN; nothing was signed
	exitToken        = 6  // the token or key is missing or failed; the run stopped
	exitVerify       = 7  // a document did not verify
	exitDelivery     = 8  // a document could not be delivered (the archive refused it, or the sink failed)
	exitState        = 9  // the state file is in use by another run, or belongs to another mapping
	exitIncomplete   = 10 // status: the run is not complete
	exitNoReport     = 11 // run: everything was delivered and recorded, but the report could not be written
	exitUnreconciled = 12 // the counts do not reconcile: a record read has no outcome, or a source counts otherwise
	exitInterrupted  = 130
)

// exitCodes lists every code, for the test that holds README.md to them.
var exitCodes = []int{exitOK, exitFailure, exitUsage, exitMapping, exitRejects, exitWrongPIN, exitToken, exitVerify,
	exitDelivery, exitState, exitIncomplete, exitNoReport, exitUnreconciled, exitInterrupted}

// codeError ends a command with a code; what it has to say was printed
// already (a verification report, a status, the flag package's usage).
type codeError struct {
	code int
	msg  string // printed if not empty
}

func (e *codeError) Error() string { return e.msg }

// exitWith ends a command with a code and nothing more to say.
func exitWith(code int) error { return &codeError{code: code} }

// usageError is a wrong command line, said in a line.
func usageError(format string, args ...any) error {
	return &codeError{code: exitUsage, msg: fmt.Sprintf(format, args...)}
}

// hinted is an error with what to do next, printed after it.
type hinted struct {
	err  error
	hint string
}

func (h *hinted) Error() string { return h.err.Error() }
func (h *hinted) Unwrap() error { return h.err }

// again is what running the same command again would do after an error.
type again int

const (
	againResumes         again = iota // it goes on where the run stopped
	againAfterCorrecting              // the archive would answer the same: correct the source or mapping first
	againChangesNothing               // the error says what to change
)

// class is what an error means to the operator: the exit code, what to say
// after it, and whether running the same command again helps. classify is
// the one place an error is sorted so.
type class struct {
	code  int
	after string
	again again
	// stoppedAtStaging: the run stopped before delivering (more), for what
	// staging found (counts that do not reconcile, the error budget used
	// up); its report says what.
	stoppedAtStaging bool
}

// exitCode decides the exit code of an error, and what to say after it.
func exitCode(err error) (int, string) {
	c := classify(err)
	return c.code, c.after
}

// classify sorts an error (see class).
func classify(err error) class {
	var c class
	var overBudget *budget.ErrExceeded
	switch {
	case refusedForGood(err):
		c.again = againChangesNothing
	case sink.IsPermanent(err):
		c.again = againAfterCorrecting
	}
	c.stoppedAtStaging = ledger.IsUnreconciled(err) || errors.As(err, &overBudget)
	c.code, c.after = codeOf(err)
	return c
}

// refusedForGood says whether a run was refused for something that running
// the same command again cannot change: its error says what to change.
func refusedForGood(err error) bool {
	var (
		sinkChanged    *pipeline.ErrSinkChanged
		mappingChanged *pipeline.ErrMappingChanged
		stateKeys      *pipeline.ErrStateKeys
		shardsChanged  *pipeline.ErrShardsChanged
		pkgOwned       *sink.ErrPackageOwned
		realPersons    *plan.ErrRealPersonsToTest
		adoptMismatch  *adopt.ErrMismatch
	)
	return errors.As(err, &sinkChanged) || errors.As(err, &mappingChanged) || errors.As(err, &stateKeys) ||
		errors.As(err, &shardsChanged) || errors.As(err, &pkgOwned) || errors.As(err, &realPersons) ||
		errors.As(err, &adoptMismatch)
}

// codeOf is an error's exit code and what to say after it.
func codeOf(err error) (int, string) {
	var ce *codeError
	var merr mapping.Errors
	var te *sign.TokenError
	var nf *token.KeyNotFoundError
	var foreign *sign.ForeignCertificateError
	var locked *state.ErrLocked
	var changed *pipeline.ErrMappingChanged
	var sinkChanged *pipeline.ErrSinkChanged
	var oldKeys *pipeline.ErrStateKeys
	var pkgLocked *sink.ErrPackageLocked
	var pkgOwned *sink.ErrPackageOwned
	var adoptMismatch *adopt.ErrMismatch
	var spec *sink.SpecError
	var intoPackage *pipeline.ErrDocumentsIntoPackage
	var realPersons *plan.ErrRealPersonsToTest
	var derr *deliver.DeliveryError
	var serr *pipeline.SourceError
	var shards *pipeline.ErrShardsChanged
	var overBudget *budget.ErrExceeded
	var lockLost *postgres.ErrLockLost
	var refused *pipeline.ErrRefused
	switch {
	case err == nil:
		return exitOK, ""
	case errors.As(err, &ce):
		return ce.code, ""
	case errors.As(err, &merr):
		return exitMapping, fmt.Sprintf("kantamig: the mapping file has %d problem(s); fix them and run 'kantamig check' again", len(merr))
	case errors.Is(err, token.ErrWrongPIN):
		return exitWrongPIN, ""
	case errors.As(err, &te):
		return exitToken, "The run stopped after the signatures in flight settled; every document written is complete. Fix the token and run again."
	case errors.As(err, &nf), errors.Is(err, token.ErrNoPIN), errors.As(err, &foreign):
		return exitToken, ""
	case errors.As(err, &spec), errors.As(err, &intoPackage), errors.Is(err, pipeline.ErrAdoptSharded):
		return exitUsage, ""
	case errors.As(err, &locked), errors.As(err, &changed), errors.As(err, &sinkChanged), errors.As(err, &oldKeys), errors.As(err, &pkgLocked), errors.As(err, &pkgOwned), errors.As(err, &adoptMismatch),
		errors.As(err, &shards), errors.Is(err, pipeline.ErrNotShared), errors.As(err, &lockLost):
		return exitState, ""
	case errors.As(err, &overBudget):
		return exitRejects, ""
	case ledger.IsUnreconciled(err):
		return exitUnreconciled, ""
	case errors.As(err, &realPersons), errors.As(err, &refused):
		return exitDelivery, ""
	case errors.As(err, &derr):
		return exitDelivery, "The run stopped; every document before it was delivered and recorded."
	case errors.As(err, &serr):
		return exitFailure, "Staging stopped at this source, so this start delivered nothing (documents delivered by earlier starts stay delivered: kantamig status). Fix or re-export the source and run again; the report so far is incomplete."
	case errors.Is(err, context.Canceled):
		return exitInterrupted, ""
	}
	return exitFailure, ""
}

// fatal prints an error for the user and returns its exit code.
func fatal(c *cli, err error) int {
	code, after := exitCode(err)
	if err == nil {
		return code
	}
	if c.log != nil && c.logFormat == eventlog.JSON {
		logError(c.log, err, code, after)
		return code
	}
	stderr := c.stderr
	var merr mapping.Errors
	var ce *codeError
	switch {
	case errors.As(err, &ce):
		if ce.msg != "" {
			fmt.Fprintln(stderr, "kantamig: "+ce.msg)
		}
	case errors.As(err, &merr):
		for _, e := range merr {
			fmt.Fprintln(stderr, e.Error())
		}
	default:
		fmt.Fprintf(stderr, "kantamig: %s\n", strings.TrimSpace(err.Error()))
	}
	if after != "" {
		fmt.Fprintln(stderr, after)
	}
	var h *hinted
	if errors.As(err, &h) {
		fmt.Fprintln(stderr, h.hint)
	}
	return code
}

// logError writes an error as one event (--log-format json): its message,
// exit code and what to do, a mapping's problems each with its place.
func logError(log *eventlog.Log, err error, code int, after string) {
	var ce *codeError
	if errors.As(err, &ce) && ce.msg == "" {
		log.Error("exit", "exit code "+fmt.Sprint(code), "exit_code", code)
		return
	}
	hint := after
	var h *hinted
	if errors.As(err, &h) {
		hint = strings.TrimSpace(hint + "\n" + h.hint)
	}
	fields := []any{"exit_code", code}
	if hint != "" {
		fields = append(fields, "hint", hint)
	}
	var merr mapping.Errors
	if errors.As(err, &merr) {
		var problems []string
		for _, e := range merr {
			problems = append(problems, e.Error())
		}
		fields = append(fields, "problems", problems)
	}
	log.Error("error", strings.TrimSpace(err.Error()), fields...)
}
