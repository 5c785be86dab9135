// Package validate sends a chosen sample of signed archive documents, each
// with its frame, to the archive's test validation service (SHARK
// validation, DOMAIN §5.3) and collects what it answers, so that a team can
// prove its documents in Kanta's test environment before a production run.
// It refuses, before anything leaves, a document naming a person (anywhere
// in it or its frame, see load/testguard) whose
// identity code is outside the test range: the service takes test persons
// only. archive-sim serves the same endpoint with its judge.
package validate

import (
	"bufio"
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"time"

	"github.com/kantamig/kantamig/load/testguard"
	"github.com/kantamig/kantamig/report"
)

// Candidate is one document that may be chosen: its kind and general type,
// and where its document and frame are.
type Candidate struct {
	OID, Kind, Type     string
	Document, FramePath string
	// Locator is its record in the legacy source, identity codes masked,
	// where the package or folder says (manifest.jsonl, locators.tsv).
	Locator string
}

// Candidates lists the documents of an archive package (a folder with
// manifest.jsonl, in delivery order) or of a dry-run's --documents folder
// (KIND-OID.xml, its frame in frames/KIND-OID.frame.xml).
func Candidates(dir string) ([]Candidate, error) {
	if f, err := os.Open(filepath.Join(dir, "manifest.jsonl")); err == nil {
		defer f.Close()
		var out []Candidate
		sc := bufio.NewScanner(f)
		sc.Buffer(make([]byte, 1<<20), 1<<20)
		for sc.Scan() {
			var e struct{ OID, Kind, Document, Frame, Locator string }
			if err := json.Unmarshal(sc.Bytes(), &e); err != nil {
				return nil, fmt.Errorf("reading %s: %w", f.Name(), err)
			}
			out = append(out, Candidate{OID: e.OID, Kind: e.Kind, Document: filepath.Join(dir, e.Document), FramePath: filepath.Join(dir, e.Frame), Locator: e.Locator})
		}
		return out, sc.Err()
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, err
	}
	locators := readLocators(filepath.Join(dir, "locators.tsv"))
	var out []Candidate
	for _, e := range entries {
		name := e.Name()
		if e.IsDir() || !strings.HasSuffix(name, ".xml") {
			continue
		}
		base := strings.TrimSuffix(name, ".xml")
		kind, oid, ok := cutKind(base)
		if !ok {
			continue
		}
		frame := filepath.Join(dir, "frames", base+".frame.xml")
		if _, err := os.Stat(frame); err != nil {
			return nil, fmt.Errorf("%s has no frame (frames/%s): write the dry-run's documents with this version of kantamig", name, filepath.Base(frame))
		}
		out = append(out, Candidate{OID: oid, Kind: kind, Document: filepath.Join(dir, name), FramePath: frame, Locator: locators[oid]})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Document < out[j].Document })
	return out, nil
}

// readLocators reads a dry-run folder's locators.tsv (OID, tab, locator):
// none when the folder has none.
func readLocators(path string) map[string]string {
	out := map[string]string{}
	data, err := os.ReadFile(path)
	if err != nil {
		return out
	}
	for _, line := range strings.Split(string(data), "\n") {
		if oid, loc, ok := strings.Cut(line, "\t"); ok {
			out[oid] = loc
		}
	}
	return out
}

// cutKind splits a dry-run document's name, KIND-OID.
func cutKind(base string) (kind, oid string, ok bool) {
	for _, k := range []string{"client-relationship", "client-document", "case"} {
		if rest, found := strings.CutPrefix(base, k+"-"); found {
			return k, rest, true
		}
	}
	return "", "", false
}

// Options choose the documents and say where to send them.
type Options struct {
	URL    string       // the validation service
	Client *http.Client // with the TLS settings the service needs
	Kind   string       // client-relationship, case or client-document; "" all
	Type   string       // a general document type code; "" all
	Max    int          // at most this many, spread evenly over the candidates; 0 all
	Source string       // the package or folder, for the report
}

var generalType = regexp.MustCompile(`<code code="([0-9]+)" codeSystem="1\.2\.246\.537\.6\.1506`)

// Choose filters the candidates by kind and type and spreads the sample
// evenly over what remains, in their order (a package's is delivery order).
func Choose(cands []Candidate, o Options) ([]Candidate, error) {
	var kept []Candidate
	for _, c := range cands {
		if o.Kind != "" && c.Kind != o.Kind {
			continue
		}
		if o.Type != "" {
			if err := readType(&c); err != nil {
				return nil, err
			}
			if c.Type != o.Type {
				continue
			}
		}
		kept = append(kept, c)
	}
	if o.Max > 0 && len(kept) > o.Max {
		kept = spread(kept, o.Max)
	}
	if o.Type == "" { // the report's type column, read for the chosen only
		for i := range kept {
			if kept[i].Kind == "client-document" {
				if err := readType(&kept[i]); err != nil {
					return nil, err
				}
			}
		}
	}
	return kept, nil
}

// readType reads a client document's general type from its header.
func readType(c *Candidate) error {
	head, err := readHead(c.Document)
	if err != nil {
		return err
	}
	if m := generalType.FindSubmatch(head); m != nil {
		c.Type = string(m[1])
	}
	return nil
}

// spread takes limit of the candidates, every kind among them (each its share,
// at least one), evenly over each kind's, in their order.
func spread(kept []Candidate, limit int) []Candidate {
	byKind := map[string][]int{}
	var kinds []string
	for i, c := range kept {
		if byKind[c.Kind] == nil {
			kinds = append(kinds, c.Kind)
		}
		byKind[c.Kind] = append(byKind[c.Kind], i)
	}
	quota := map[string]int{}
	sum := 0
	for _, k := range kinds {
		quota[k] = max(1, limit*len(byKind[k])/len(kept))
		sum += quota[k]
	}
	for sum < limit { // what rounding left goes to the largest kinds
		for _, k := range kinds {
			if sum < limit && quota[k] < len(byKind[k]) {
				quota[k]++
				sum++
			}
		}
	}
	for sum > limit { // more kinds than max: the smallest quotas above one give way
		for _, k := range kinds {
			if sum > limit && quota[k] > 1 {
				quota[k]--
				sum--
			}
		}
		if sum > limit { // more kinds than the limit: the later kinds go without
			for i := len(kinds) - 1; i >= 0 && sum > limit; i-- {
				sum -= quota[kinds[i]]
				quota[kinds[i]] = 0
			}
		}
	}
	var picked []int
	for _, k := range kinds {
		idx := byKind[k]
		for i := 0; i < quota[k]; i++ {
			picked = append(picked, idx[i*len(idx)/quota[k]])
		}
	}
	sort.Ints(picked)
	out := make([]Candidate, len(picked))
	for i, p := range picked {
		out[i] = kept[p]
	}
	return out
}

// readHead reads the start of a document, where its header's type is.
func readHead(path string) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	buf := make([]byte, 8192)
	n, err := io.ReadFull(f, buf)
	if err == io.ErrUnexpectedEOF || err == io.EOF {
		err = nil
	}
	return buf[:n], err
}

var (
	serviceRequest = regexp.MustCompile(`<reasonCode code="([^"]+)" codeSystem="1\.2\.246\.537\.6\.1503\.`)
)

// Run validates the chosen documents one by one and accounts for each.
func Run(ctx context.Context, chosen []Candidate, total int, o Options, progress func()) (*report.Validation, error) {
	v := &report.Validation{FormatVersion: 1, Service: o.URL, Source: o.Source, Started: time.Now(), Candidates: total,
		Selection: selection(o, len(chosen))}
	stuck := &systemic{url: o.URL}
	for _, c := range chosen {
		if err := ctx.Err(); err != nil {
			return v, err
		}
		doc, err := os.ReadFile(c.Document)
		if err != nil {
			return v, err
		}
		frame, err := os.ReadFile(c.FramePath)
		if err != nil {
			return v, err
		}
		r := report.ValidationResult{OID: c.OID, Locator: c.Locator, Kind: c.Kind, Type: c.Type}
		if m := serviceRequest.FindSubmatch(frame); m != nil {
			r.ServiceRequest = string(m[1])
		}
		if real := testguard.RealPersons(append(append([]byte(nil), frame...), doc...)); len(real) > 0 {
			r.Outcome = report.ValidationNotSent
			r.Errors = []string{fmt.Sprintf("names %d person(s) with an identity code outside the test range 900–999 (%s): the validation service takes test persons only, so it was not sent", len(real), strings.Join(real, ", "))}
		} else {
			var status int
			r.Outcome, r.Errors, status = send(ctx, o, c.OID, r.ServiceRequest, doc, frame)
			if err := stuck.note(r.Outcome, status, r.Errors); err != nil {
				v.Add(r)
				return v, err
			}
		}
		v.Add(r)
		if progress != nil {
			progress()
		}
	}
	return v, nil
}

func selection(o Options, n int) string {
	what := "every kind"
	if o.Kind != "" {
		what = o.Kind
	}
	if o.Type != "" {
		what += ", general type " + o.Type
	}
	if o.Max > 0 {
		return fmt.Sprintf("%s: %d, spread over the candidates (--max %d)", what, n, o.Max)
	}
	return fmt.Sprintf("%s: all %d", what, n)
}

// SystemicError stops a validation that cannot give any document a
// verdict: the URL is not the validation endpoint, or the service fails
// every request alike. What was sent before is in the report.
type SystemicError struct {
	URL    string
	Status int
	Why    string
}

func (e *SystemicError) Error() string {
	return fmt.Sprintf("the validation service at %s %s; stopped before sending the rest", e.URL, e.Why)
}

// SameFailures is how many failures in a row, alike, stop a validation.
const SameFailures = 5

// systemic watches the answers for a fault of the service, not of a
// document.
type systemic struct {
	url    string
	last   string
	repeat int
}

func (s *systemic) note(outcome string, status int, errs []string) error {
	switch {
	case status == http.StatusNotFound || status == http.StatusMethodNotAllowed:
		return &SystemicError{URL: s.url, Status: status, Why: fmt.Sprintf("answered HTTP %d: the URL is not the validation endpoint; give its whole path, e.g. https://HOST/shark-validointi/validoi/asiakirja/tulos", status)}
	case outcome != report.ValidationFailed:
		s.last, s.repeat = "", 0
		return nil
	}
	what := strings.Join(errs, "; ")
	if what == s.last {
		s.repeat++
	} else {
		s.last, s.repeat = what, 1
	}
	if s.repeat >= SameFailures {
		return &SystemicError{URL: s.url, Status: status, Why: fmt.Sprintf("failed %d requests in a row alike (%s): check the URL, the network and the TLS settings", s.repeat, what)}
	}
	return nil
}

// send posts one document and reads the answer (see readAnswer), with the
// HTTP status (0 when there was no answer).
func send(ctx context.Context, o Options, oid, sr string, doc, frame []byte) (string, []string, int) {
	id := make([]byte, 8)
	rand.Read(id)
	body, err := encodeRequest("kantamig-"+hex.EncodeToString(id), sr, doc, frame)
	if err != nil {
		return report.ValidationFailed, []string{err.Error()}, 0
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, o.URL, bytes.NewReader(body))
	if err != nil {
		return report.ValidationFailed, []string{err.Error()}, 0
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := o.Client.Do(req)
	if err != nil {
		return report.ValidationFailed, []string{err.Error()}, 0
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	verdict, errs := readAnswer(resp.StatusCode, resp.Header.Get("Content-Type"), data)
	return verdict, errs, resp.StatusCode
}

func firstLine(s string) string {
	s = strings.TrimSpace(s)
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		s = s[:i]
	}
	if len(s) > 200 {
		s = s[:200]
	}
	return s
}
