package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/kantamig/kantamig/budget"
	"github.com/kantamig/kantamig/ledger"
	"github.com/kantamig/kantamig/load/deliver"
	"github.com/kantamig/kantamig/load/plan"
	"github.com/kantamig/kantamig/load/sign"
	"github.com/kantamig/kantamig/load/sink"
	"github.com/kantamig/kantamig/load/token"
	"github.com/kantamig/kantamig/mapping"
	"github.com/kantamig/kantamig/pipeline"
	"github.com/kantamig/kantamig/state"
)

// readmeExitCodes reads README.md's table of exit codes: code -> meaning.
func readmeExitCodes(t *testing.T) map[int]string {
	t.Helper()
	data, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	_, table, ok := strings.Cut(string(data), "### Exit codes\n")
	if !ok {
		t.Fatal("README.md has no ### Exit codes section")
	}
	table, _, _ = strings.Cut(strings.TrimLeft(table, "\n"), "\n\n")
	row := regexp.MustCompile(`(?m)^\| (\d+) \| (.+) \|$`)
	codes := map[int]string{}
	for _, m := range row.FindAllStringSubmatch(table, -1) {
		n, _ := strconv.Atoi(m[1])
		codes[n] = m[2]
	}
	return codes
}

// README.md documents exactly the exit codes the program has.
func TestREADMEListsExactlyTheExitCodes(t *testing.T) {
	readme := readmeExitCodes(t)
	var documented []int
	for c := range readme {
		documented = append(documented, c)
	}
	slices.Sort(documented)
	have := slices.Sorted(slices.Values(exitCodes))
	if !slices.Equal(documented, have) {
		t.Fatalf("README.md documents exit codes %v; the program has %v", documented, have)
	}
}

// Each kind of failure ends with the code README.md gives it: the table's
// row for the code must speak of the failure (the words listed here).
func TestErrorsEndWithTheDocumentedCode(t *testing.T) {
	readme := readmeExitCodes(t)
	wrap := func(err error) error { return fmt.Errorf("while doing something: %w", err) }
	cases := []struct {
		name  string
		err   error
		code  int
		words string // in README's row for the code
	}{
		{"usage", usageError("give -m FILE"), exitUsage, "command line"},
		{"unknown sink kind", wrap(&sink.SpecError{Spec: "ftp:x", Reason: "unknown kind"}), exitUsage, "command line"},
		{"mapping errors", mapping.Errors{&mapping.Error{Msg: "x"}}, exitMapping, "mapping file"},
		{"fail on reject", exitWith(exitRejects), exitRejects, "--fail-on-reject"},
		{"error budget", wrap(&budget.ErrExceeded{}), exitRejects, "error budget"},
		{"wrong PIN", wrap(token.ErrWrongPIN), exitWrongPIN, "PIN"},
		{"no PIN", token.ErrNoPIN, exitToken, "token"},
		{"key not found", wrap(&token.KeyNotFoundError{}), exitToken, "key is missing"},
		{"foreign certificate", wrap(&sign.ForeignCertificateError{SerialNumber: "1.2.3", Organisation: "1.2.4"}), exitToken, "not the custodian's"},
		{"token failed mid-run", wrap(&sign.TokenError{Err: errors.New("CKR_DEVICE_REMOVED")}), exitToken, "token failed"},
		{"verification", exitWith(exitVerify), exitVerify, "verify"},
		{"delivery", wrap(&deliver.DeliveryError{Err: &sink.PermanentError{Reason: "no"}}), exitDelivery, "could not be delivered"},
		{"real persons to a test archive", &plan.ErrRealPersonsToTest{Records: 1}, exitDelivery, "test range"},
		{"dry-run documents into a package", &pipeline.ErrDocumentsIntoPackage{Dir: "pkg"}, exitUsage, "command line was wrong"},
		{"state locked", &state.ErrLocked{Path: "x"}, exitState, "in use by another run"},
		{"mapping changed", &pipeline.ErrMappingChanged{Was: strings.Repeat("a", 64), Now: strings.Repeat("b", 64)}, exitState, "mapping changed"},
		{"sink changed", &pipeline.ErrSinkChanged{}, exitState, "another sink"},
		{"state with unqualified keys", &pipeline.ErrStateKeys{}, exitState, "keys not qualified by their source"},
		{"package owned", &sink.ErrPackageOwned{}, exitState, "belongs to another run"},
		{"package locked", &sink.ErrPackageLocked{}, exitState, "in use by another run"},
		{"source", &pipeline.SourceError{Err: errors.New("truncated")}, exitFailure, "source could not be read"},
		{"anything else", errors.New("disk full"), exitFailure, "the run itself failed"},
		{"incomplete", exitWith(exitIncomplete), exitIncomplete, "not complete"},
		{"no report", exitWith(exitNoReport), exitNoReport, "report could not be written"},
		{"unreconciled", wrap(&ledger.ErrUnreconciled{Problems: []string{"x"}}), exitUnreconciled, "do not reconcile"},
		{"interrupted", wrap(context.Canceled), exitInterrupted, "interrupted"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			code, _ := exitCode(c.err)
			if code != c.code {
				t.Fatalf("exit code %d, want %d", code, c.code)
			}
			if !strings.Contains(readme[code], c.words) {
				t.Errorf("README.md's row for %d does not speak of %q: %s", code, c.words, readme[code])
			}
		})
	}
}

// What the run tells the operator to do next comes from the same sorting as
// the exit code: go on, correct first, or change what the error names; and
// whether the run stopped at staging with a report to write.
func TestEachFailureSaysWhatRunningAgainWouldDo(t *testing.T) {
	wrap := func(err error) error { return fmt.Errorf("while doing something: %w", err) }
	for name, c := range map[string]struct {
		err    error
		again  again
		staged bool
	}{
		"a disk that filled":        {errors.New("disk full"), againResumes, false},
		"a token that failed":       {wrap(&sign.TokenError{Err: errors.New("CKR_DEVICE_REMOVED")}), againResumes, false},
		"the archive refusing":      {wrap(&deliver.DeliveryError{Err: &sink.PermanentError{Reason: "no"}}), againAfterCorrecting, false},
		"a changed mapping":         {&pipeline.ErrMappingChanged{}, againChangesNothing, false},
		"another sink":              {wrap(&pipeline.ErrSinkChanged{}), againChangesNothing, false},
		"real persons to test":      {&plan.ErrRealPersonsToTest{Records: 1}, againChangesNothing, false},
		"counts that do not add up": {wrap(&ledger.ErrUnreconciled{Problems: []string{"x"}}), againResumes, true},
		"the budget used up":        {wrap(&budget.ErrExceeded{}), againResumes, true},
	} {
		got := classify(c.err)
		if got.again != c.again || got.stoppedAtStaging != c.staged {
			t.Errorf("%s: again %d, stopped at staging %v; want %d, %v", name, got.again, got.stoppedAtStaging, c.again, c.staged)
		}
		if code, _ := exitCode(c.err); code != got.code {
			t.Errorf("%s: exit code %d, but classified %d", name, code, got.code)
		}
	}
}
