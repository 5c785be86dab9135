package main

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/kantamig/kantamig/archive"
	"github.com/kantamig/kantamig/report"
)

// validate sends a spread sample of a package's documents to archive-sim's
// validation endpoint and reports each answer: a delivered package is
// valid; a changed document is invalid with the service's numbered errors;
// a document naming a real person is never sent.
func TestValidateAgainstArchiveSim(t *testing.T) {
	e := newRunEnv(t)
	if code, out := e.runToEnd(t); code != exitOK {
		t.Fatalf("run: exit %d\n%s", code, lastLines(out, 5))
	}
	var received atomic.Int64
	_, addr, files := startSim(t, archive.Faults{}, func(h http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if r.URL.Path == archive.ValidatorPath {
				received.Add(1)
			}
			h.ServeHTTP(w, r)
		})
	})
	validate := func(pkg string, extra ...string) (int, string, *report.Validation) {
		rep := filepath.Join(t.TempDir(), "v.xlsx")
		args := append([]string{"validate", "--url", "https://" + addr + archive.ValidatorPath,
			"--tls-ca", files.CA, "--tls-cert", files.ClientCert, "--tls-key", files.ClientKey, "--report", rep}, extra...)
		code, stdout, stderr := runCLI(t, append(args, pkg)...)
		var v report.Validation
		data, err := os.ReadFile(strings.TrimSuffix(rep, ".xlsx") + ".json")
		if err == nil {
			err = json.Unmarshal(data, &v)
		}
		if err != nil {
			t.Fatalf("no validation report (%v): exit %d\n%s%s", err, code, stdout, stderr)
		}
		return code, stdout, &v
	}

	code, out, v := validate(e.pkg, "--max", "12")
	if code != exitOK || len(v.Results) != 12 || v.Counts[report.ValidationValid] != 12 || received.Load() != 12 {
		t.Fatalf("the delivered package: exit %d, %d results %v, %d received\n%s", code, len(v.Results), v.Counts, received.Load(), out)
	}
	kinds := map[string]bool{}
	for _, r := range v.Results {
		kinds[r.Kind] = true
	}
	if len(kinds) != 3 {
		t.Errorf("the sample of 12 is not spread over the kinds: %v", kinds)
	}
	for _, r := range v.Results { // each OID with its legacy record
		if !regexp.MustCompile(`^(asiakkaat\.csv:\d+|asiat\.xlsx!Asiat:\d+|asiakirjat\.xml:/vienti/asiakirjat/asiakirja\[\d+\] \(line \d+\))$`).MatchString(r.Locator) {
			t.Errorf("%s (%s): locator %q", r.OID, r.Kind, r.Locator)
		}
	}
	code, _, v = validate(e.pkg, "--kind", "client-document", "--type", "15", "--max", "3")
	if code != exitOK || len(v.Results) != 3 || v.Results[0].Type != "15" || v.Results[0].ServiceRequest != "SP17" {
		t.Errorf("plans only: exit %d, %+v", code, v.Results)
	}

	// A dry-run's documents, their frames in frames/.
	docs := filepath.Join(t.TempDir(), "docs")
	if code, _, stderr := runCLI(t, dryRunArgs(t, t.TempDir(), "--documents", docs)...); code != exitOK {
		t.Fatalf("dry-run: exit %d\n%s", code, stderr)
	}
	if code, out, v := validate(docs, "--max", "4"); code != exitOK || v.Counts[report.ValidationValid] != 4 || v.Results[0].Locator == "" {
		t.Errorf("a dry-run's documents: exit %d, %v, %+v\n%s", code, v.Counts, v.Results, out)
	}

	// The first relationship document changed, the second naming a real
	// person (an individual number below 900, with its right check character).
	broken := filepath.Join(t.TempDir(), "package")
	if out, err := exec.Command("cp", "-a", e.pkg, broken).CombinedOutput(); err != nil {
		t.Fatalf("%v %s", err, out)
	}
	cands := readManifest(t, broken)
	var rels []manifestEntry
	for _, c := range cands {
		if c.Kind == "client-relationship" {
			rels = append(rels, c)
		}
	}
	first := filepath.Join(broken, rels[0].Document)
	doc, _ := os.ReadFile(first)
	os.WriteFile(first, []byte(strings.Replace(string(doc), `representation="B64">PGRp`, `representation="B64">PGRq`, 1)), 0o600)
	second := filepath.Join(broken, rels[1].Document)
	doc, _ = os.ReadFile(second)
	n, _ := strconv.Atoi("010190123")
	real := "010190-123" + string("0123456789ABCDEFHJKLMNPRSTUVWXY"[n%31])
	text := string(doc)
	start := strings.Index(text, `<id root="1.2.246.21" extension="`) + len(`<id root="1.2.246.21" extension="`)
	os.WriteFile(second, []byte(text[:start]+real+text[start+11:]), 0o600)
	// The third naming one inside its display form (a code typed into a text).
	third := filepath.Join(broken, rels[2].Document)
	doc, _ = os.ReadFile(third)
	text = string(doc)
	from := strings.Index(text, `representation="B64">`) + len(`representation="B64">`)
	to := from + strings.Index(text[from:], "<")
	xhtml, err := base64.StdEncoding.DecodeString(strings.ReplaceAll(text[from:to], "\n", ""))
	if err != nil {
		t.Fatal(err)
	}
	end := bytes.LastIndex(xhtml, []byte("</"))
	xhtml = append(append(xhtml[:end:end], "<p>Sisar 020202A123C soitti.</p>"...), xhtml[end:]...)
	os.WriteFile(third, []byte(text[:from]+base64.StdEncoding.EncodeToString(xhtml)+text[to:]), 0o600)

	before := received.Load()
	code, out, v = validate(broken, "--kind", "client-relationship", "--max", "0")
	byOID := map[string]report.ValidationResult{}
	for _, r := range v.Results {
		byOID[r.OID] = r
	}
	bad, person, inText := byOID[rels[0].OID], byOID[rels[1].OID], byOID[rels[2].OID]
	if code != exitVerify || bad.Outcome != report.ValidationInvalid || !strings.Contains(strings.Join(bad.Errors, " "), "digest does not match") {
		t.Errorf("a changed document: exit %d, %+v\n%s", code, bad, out)
	}
	if sent := received.Load() - before; person.Outcome != report.ValidationNotSent || inText.Outcome != report.ValidationNotSent ||
		sent != int64(len(rels)-2) || strings.Contains(out, real) || strings.Contains(out, "A123C") || v.Counts[report.ValidationValid] != len(rels)-3 {
		t.Errorf("a real person: %+v %+v; %d of %d sent, %v\n%s", person, inText, sent, len(rels), v.Counts, lastLines(out, 3))
	}

	// A URL without the endpoint's path: the first answer, 404, stops the
	// validation as the service's fault, with what was sent reported, into
	// a folder that did not exist.
	var all atomic.Int64
	_, bare, bareFiles := startSim(t, archive.Faults{}, func(h http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { all.Add(1); h.ServeHTTP(w, r) })
	})
	rep := filepath.Join(t.TempDir(), "not", "yet", "v.xlsx")
	code, stdout, stderr := runCLI(t, "validate", "--url", "https://"+bare, "--tls-ca", bareFiles.CA, "--tls-cert", bareFiles.ClientCert,
		"--tls-key", bareFiles.ClientKey, "--report", rep, "--max", "20", e.pkg)
	if code != exitFailure || all.Load() != 1 || !strings.Contains(stderr, "not the validation endpoint") {
		t.Errorf("a URL without the endpoint: exit %d, %d requests\n%s%s", code, all.Load(), stdout, stderr)
	}
	if _, err := os.Stat(strings.TrimSuffix(rep, ".xlsx") + ".json"); err != nil {
		t.Errorf("no report of what was sent: %v", err)
	}
}
