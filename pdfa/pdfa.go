// Package pdfa carries a scanned or printed legacy document (a PDF, or a
// TIFF scan) into the archive as PDF/A-1b, with tools made for the job:
// Ghostscript converts (TIFF by way of libtiff's tiff2pdf), Apache PDFBox
// Preflight validates. A PDF already valid as PDF/A-1b is carried as it is,
// byte for byte. Nothing is carried that the validator did not pass, and a
// file Ghostscript could read only by repairing it, or not at all (damaged,
// protected by a password, without pages), is refused with the tool's own
// words: a repaired copy is not the document the legacy system held.
//
// The route is an inference (DOMAIN §3: the archive standard names a PDF/A
// storage form, whose chapter is not in hand; PDF/A-1b is what the IHE
// scanned-documents profile requires), so the mapping must ask for it
// (pdfa_documents) and every document carried so is counted.
//
// The tools run as processes on temporary files, one document at a time:
// the bytes are held in memory once on the way in and once on the way out.
package pdfa

import (
	"bytes"
	"context"
	"encoding/xml"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"
)

// Tools are the programs the route needs, found by Find.
type Tools struct {
	Ghostscript string // gs
	TIFF2PDF    string // tiff2pdf, from libtiff
	Java        string
	Classpath   string // Apache PDFBox Preflight and what it needs
	ICC         string // the sRGB profile the PDF/A output intent embeds
	// Versions names the tools as the report says which made a document.
	Versions string
}

// debianJars are the jars Debian's libpdfbox2-java needs for Preflight,
// under /usr/share/java.
var debianJars = []string{"preflight.jar", "pdfbox2.jar", "fontbox2.jar", "xmpbox.jar", "commons-logging.jar", "javax.activation.jar", "jaxb-api.jar"}

// Install says how to install the tools on Debian or Ubuntu.
const Install = "apt-get install ghostscript libtiff-tools default-jre-headless libpdfbox2-java libactivation-java libjaxb-api-java" +
	" (elsewhere: set KANTAMIG_PDFBOX_CLASSPATH to Apache PDFBox's preflight-app jar, KANTAMIG_PDFA_ICC to an sRGB ICC profile)"

// Find looks the tools up: on PATH, Preflight's jars under /usr/share/java
// (or KANTAMIG_PDFBOX_CLASSPATH), the profile in Ghostscript's own
// folders (or KANTAMIG_PDFA_ICC). Its error names every tool missing and
// how to install them.
func Find() (*Tools, error) {
	t := &Tools{}
	var missing []string
	for _, p := range []struct {
		name string
		dst  *string
	}{{"gs", &t.Ghostscript}, {"tiff2pdf", &t.TIFF2PDF}, {"java", &t.Java}} {
		path, err := exec.LookPath(p.name)
		if err != nil {
			missing = append(missing, p.name)
		}
		*p.dst = path
	}
	if cp := os.Getenv("KANTAMIG_PDFBOX_CLASSPATH"); cp != "" {
		t.Classpath = cp
		for _, jar := range filepath.SplitList(cp) {
			if _, err := os.Stat(jar); err != nil {
				missing = append(missing, jar+" (KANTAMIG_PDFBOX_CLASSPATH)")
			}
		}
	} else {
		var jars []string
		for _, j := range debianJars {
			path := filepath.Join("/usr/share/java", j)
			if _, err := os.Stat(path); err != nil {
				missing = append(missing, path)
			}
			jars = append(jars, path)
		}
		t.Classpath = strings.Join(jars, string(os.PathListSeparator))
	}
	if icc := os.Getenv("KANTAMIG_PDFA_ICC"); icc != "" {
		t.ICC = icc
		if _, err := os.Stat(icc); err != nil {
			missing = append(missing, icc+" (KANTAMIG_PDFA_ICC)")
		}
	} else {
		found, _ := filepath.Glob("/usr/share/ghostscript/*/iccprofiles/srgb.icc")
		found = append(found, "/usr/share/color/icc/ghostscript/srgb.icc")
		for _, f := range found {
			if _, err := os.Stat(f); err == nil {
				t.ICC = f
				break
			}
		}
		if t.ICC == "" {
			missing = append(missing, "an sRGB ICC profile (Ghostscript's srgb.icc)")
		}
	}
	if len(missing) > 0 {
		return nil, fmt.Errorf("the PDF/A route needs %s: %s", strings.Join(missing, ", "), Install)
	}
	gsVersion, _ := exec.Command(t.Ghostscript, "--version").Output()
	t.Versions = "Ghostscript " + strings.TrimSpace(string(gsVersion)) + ", Apache PDFBox Preflight" + preflightVersion(t.Classpath)
	return t, nil
}

// preflightVersion reads Preflight's version from a jar's name where one
// says it: the jar on the class path ("preflight-app-2.0.27.jar"), or the
// versioned name Debian links to its jar ("preflight-2.0.27.jar").
func preflightVersion(classpath string) string {
	for _, p := range filepath.SplitList(classpath) {
		base := filepath.Base(p)
		if !strings.HasPrefix(base, "preflight") {
			continue
		}
		names, _ := filepath.Glob(filepath.Join(filepath.Dir(p), "preflight-*.jar"))
		for _, n := range append([]string{p}, names...) {
			v := strings.TrimSuffix(strings.TrimPrefix(strings.TrimPrefix(filepath.Base(n), "preflight-"), "app-"), ".jar")
			if v != "" && v[0] >= '0' && v[0] <= '9' {
				return " " + v
			}
		}
	}
	return ""
}

// Kind is what a body's bytes are.
type Kind string

// The kinds the route takes.
const (
	PDF  Kind = "pdf"
	TIFF Kind = "tiff"
)

// Route says how a document became PDF/A.
type Route string

// The routes.
const (
	AsIs      Route = "as-is"     // already valid PDF/A-1b: carried byte for byte
	Converted Route = "converted" // converted by Ghostscript, then validated
)

// Result is a document carried as PDF/A-1b.
type Result struct {
	PDF   []byte
	Route Route
	// Note says in a line what was done and by which tools, for the report.
	Note string
}

// Refused is why a body cannot be carried: the tool's reason, and what to
// do about it.
type Refused struct{ Reason string }

func (r *Refused) Error() string { return r.Reason }

// Carry makes data (of kind k) a valid PDF/A-1b document. created is the
// time the document was drawn up: the PDF's creation and modification
// dates say it, not the day of the migration. A *Refused error says why
// the document cannot be carried; another error is the tools' own failure
// (a systemic fault: nothing about the document).
func (t *Tools) Carry(ctx context.Context, data []byte, k Kind, created time.Time) (*Result, error) {
	dir, err := os.MkdirTemp("", "kantamig-pdfa-")
	if err != nil {
		return nil, fmt.Errorf("pdfa: %w", err)
	}
	defer os.RemoveAll(dir)
	in := filepath.Join(dir, "in.pdf")
	switch k {
	case PDF:
		if !bytes.HasPrefix(data, []byte("%PDF-")) {
			return nil, &Refused{Reason: "the bytes do not begin %PDF-: not a PDF file"}
		}
		if err := os.WriteFile(in, data, 0o600); err != nil {
			return nil, fmt.Errorf("pdfa: %w", err)
		}
		// Only a PDF that claims PDF/A can be one; PDF/A-1 keeps its XMP
		// metadata unfiltered, so the claim is in plain sight. The others
		// are spared a run of the validator.
		if bytes.Contains(data, []byte("pdfaid")) {
			v, err := t.validate(ctx, in)
			if err != nil {
				return nil, err
			}
			if v.valid {
				return &Result{PDF: data, Route: AsIs, Note: "already PDF/A-1b (" + t.Versions + ": valid), carried as it is"}, nil
			}
		}
	case TIFF:
		tif := filepath.Join(dir, "in.tif")
		if err := os.WriteFile(tif, data, 0o600); err != nil {
			return nil, fmt.Errorf("pdfa: %w", err)
		}
		msg, err := t.run(ctx, t.TIFF2PDF, "-o", in, tif)
		if ctx.Err() != nil {
			return nil, ctx.Err() // stopped, not refused
		}
		if err != nil || hasError(msg) {
			return nil, &Refused{Reason: "the TIFF cannot be read (tiff2pdf: " + firstLines(msg, err) + "): rescan the paper, or replace the file from a backup"}
		}
	default:
		return nil, fmt.Errorf("pdfa: no route for %q", k)
	}
	out := filepath.Join(dir, "out.pdf")
	prefix := filepath.Join(dir, "pdfa.ps")
	if err := os.WriteFile(prefix, []byte(prefixPS(t.ICC, created)), 0o600); err != nil {
		return nil, fmt.Errorf("pdfa: %w", err)
	}
	msg, err := t.run(ctx, t.Ghostscript, "-dPDFA=1", "-dBATCH", "-dNOPAUSE", "-dSAFER", "-dPDFSTOPONERROR",
		"-sColorConversionStrategy=RGB", "-dPDFACompatibilityPolicy=1", "--permit-file-read="+t.ICC,
		"-sDEVICE=pdfwrite", "-sOutputFile="+out, prefix, in)
	if ctx.Err() != nil {
		return nil, ctx.Err()
	}
	if why := ghostscriptRefusal(msg); why != "" || err != nil {
		if why == "" {
			why = "Ghostscript could not read it (" + firstLines(msg, err) + ")"
		}
		return nil, &Refused{Reason: why}
	}
	v, err := t.validate(ctx, out)
	if err != nil {
		return nil, err
	}
	if !v.valid {
		return nil, &Refused{Reason: "converted by Ghostscript, the file is still not valid PDF/A-1b (PDFBox Preflight: " + v.errors + "): convert it with another tool and give the PDF/A instead"}
	}
	pdf, err := os.ReadFile(out)
	if err != nil {
		return nil, fmt.Errorf("pdfa: %w", err)
	}
	from := "PDF"
	if k == TIFF {
		from = "TIFF scan (tiff2pdf)"
	}
	return &Result{PDF: pdf, Route: Converted, Note: fmt.Sprintf("%s converted to PDF/A-1b, %s: valid", from, t.Versions)}, nil
}

// ghostscriptRefusal reads Ghostscript's messages for what makes a
// conversion unfaithful: it prints them and exits 0.
func ghostscriptRefusal(msg string) string {
	switch {
	case strings.Contains(msg, "requires a password"):
		return "the PDF is protected by a password, so its content cannot be read to convert it: get the file without the protection from its owner (the legacy system's export, or the password-holder's copy)"
	case strings.Contains(msg, "repaired") || strings.Contains(msg, "**** Error"):
		return "the PDF is damaged; Ghostscript could read it only by repairing it (" + starred(msg) + "), and a repaired copy is not the document the legacy system held: replace the file from a backup, or rescan the paper"
	case strings.Contains(msg, "No pages will be processed"):
		return "the PDF has no pages Ghostscript can read (" + starred(msg) + ")"
	}
	return ""
}

// starred gathers Ghostscript's warnings: its lines marked **** and the
// list of errors it met, in one line.
func starred(msg string) string {
	var out []string
	inList := false
	for _, line := range strings.Split(msg, "\n") {
		l := strings.TrimSpace(line)
		switch {
		case strings.HasPrefix(l, "The following errors were encountered"):
			inList = true
		case inList && strings.HasPrefix(line, "\t") && l != "":
			out = append(out, l)
		case strings.HasPrefix(l, "****") && !strings.Contains(l, "notify the author") && !strings.Contains(l, "does not conform") && !strings.Contains(l, "specification."):
			out = append(out, strings.TrimSpace(strings.TrimPrefix(l, "****")))
			inList = false
		default:
			inList = inList && l != ""
		}
	}
	return strings.Join(out, "; ")
}

func hasError(msg string) bool {
	return strings.Contains(strings.ToLower(msg), "error")
}

// firstLines is a tool's message, or its error, shortened to a reason.
func firstLines(msg string, err error) string {
	msg = strings.Join(strings.Fields(msg), " ")
	if msg == "" && err != nil {
		msg = err.Error()
	}
	if len(msg) > 300 {
		msg = msg[:300] + "…"
	}
	return msg
}

// run runs a tool and returns what it printed (both streams).
func (t *Tools) run(ctx context.Context, name string, args ...string) (string, error) {
	cmd := exec.CommandContext(ctx, name, args...)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	err := cmd.Run()
	return out.String(), err
}

// Validate runs PDFBox Preflight on a PDF: whether it is valid PDF/A-1b,
// and if not, why. For the tests and checks that read what was delivered.
func (t *Tools) Validate(ctx context.Context, pdf []byte) (bool, string, error) {
	f, err := os.CreateTemp("", "kantamig-validate-*.pdf")
	if err != nil {
		return false, "", fmt.Errorf("pdfa: %w", err)
	}
	defer os.Remove(f.Name())
	if _, err := f.Write(pdf); err != nil {
		f.Close()
		return false, "", fmt.Errorf("pdfa: %w", err)
	}
	if err := f.Close(); err != nil {
		return false, "", fmt.Errorf("pdfa: %w", err)
	}
	v, err := t.validate(ctx, f.Name())
	return v.valid, v.errors, err
}

// verdict is what Preflight said of a file.
type verdict struct {
	valid  bool
	errors string
}

// validate runs PDFBox Preflight on a file and reads its XML verdict.
func (t *Tools) validate(ctx context.Context, file string) (verdict, error) {
	// A short-lived JVM: the quickest compiler, the serial collector.
	cmd := exec.CommandContext(ctx, t.Java, "-XX:TieredStopAtLevel=1", "-XX:+UseSerialGC", "-Xshare:auto", "-Djava.awt.headless=true",
		"-cp", t.Classpath, "org.apache.pdfbox.preflight.Validator_A1b", "xml", file)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	if ctx.Err() != nil {
		return verdict{}, ctx.Err()
	}
	var r struct {
		IsValid string `xml:"isValid"`
		Errors  struct {
			Error []struct {
				Code    string `xml:"code"`
				Details string `xml:"details"`
			} `xml:"error"`
		} `xml:"errors"`
		Exception string `xml:"exceptionThrown>message"`
	}
	start := bytes.Index(stdout.Bytes(), []byte("<preflight"))
	if start < 0 {
		return verdict{}, errors.Join(fmt.Errorf("pdfa: PDFBox Preflight gave no verdict (%s)", firstLines(stderr.String(), err)), errors.New(Install))
	}
	if xerr := xml.Unmarshal(stdout.Bytes()[start:], &r); xerr != nil {
		return verdict{}, fmt.Errorf("pdfa: reading PDFBox Preflight's verdict: %w", xerr)
	}
	if strings.TrimSpace(r.IsValid) == "true" {
		return verdict{valid: true}, nil
	}
	seen := map[string]bool{}
	var list []string
	for _, e := range r.Errors.Error {
		s := strings.TrimSpace(e.Code) + " " + strings.TrimSpace(e.Details)
		if !seen[s] {
			seen[s] = true
			list = append(list, s)
		}
	}
	if r.Exception != "" {
		list = append(list, strings.TrimSpace(r.Exception))
	}
	if len(list) > 5 {
		list = append(list[:5], fmt.Sprintf("and %d more", len(list)-5))
	}
	return verdict{errors: strings.Join(list, "; ")}, nil
}

// prefixPS is the PostScript Ghostscript runs before the document: the
// PDF/A output intent with the sRGB profile, and the document's dates (the
// day it was drawn up, not the migration's).
func prefixPS(icc string, created time.Time) string {
	var b strings.Builder
	b.WriteString("%!\n")
	if !created.IsZero() {
		// PDFBox compares these with the XMP dates Ghostscript writes from
		// them; it does not take Ghostscript's own "Z00'00'".
		date := "D:" + created.UTC().Format("20060102150405") + "+00'00'"
		fmt.Fprintf(&b, "[ /CreationDate (%s) /ModDate (%s) /DOCINFO pdfmark\n", date, date)
	}
	fmt.Fprintf(&b, `[/_objdef {icc_PDFA} /type /stream /OBJ pdfmark
[{icc_PDFA} << /N 3 >> /PUT pdfmark
[{icc_PDFA} (%s) (r) file /PUT pdfmark
[/_objdef {OutputIntent_PDFA} /type /dict /OBJ pdfmark
[{OutputIntent_PDFA} << /Type /OutputIntent /S /GTS_PDFA1 /DestOutputProfile {icc_PDFA} /OutputConditionIdentifier (sRGB) >> /PUT pdfmark
[{Catalog} << /OutputIntents [ {OutputIntent_PDFA} ] >> /PUT pdfmark
`, psString(icc))
	return b.String()
}

// psString escapes a path for a PostScript string.
func psString(s string) string {
	return strings.NewReplacer(`\`, `\\`, `(`, `\(`, `)`, `\)`).Replace(s)
}
