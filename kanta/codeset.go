package kanta

import (
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"
)

// CodeSet is one national classification: its OID, the version OID used in
// documents, and its values, each with where it came from.
//
// A document may carry a code only if the code is national (confirmed in
// DOMAIN.md and built in, or read from a national export) and the set's
// version is known (confirmed, or given by a national export). Anything else
// is a placeholder: a code from a sample or local file, or of a set whose
// version nobody has stated. Placeholders are for test rehearsals only.
type CodeSet struct {
	Name string // short name used in mapping files, e.g. "service-task"
	OID  string // e.g. 1.2.246.537.6.1221
	// Version is the versioned OID seen in documents, e.g.
	// 1.2.246.537.6.1221.201601: confirmed, or from a national export;
	// empty while unknown.
	Version  string
	Title    string // the national name, for codeSystemName
	values   map[string]string
	national map[string]bool // confirmed, or from a national export
	order    []string
	Sources  []string // where the values came from: "built-in" and loaded files
	local    []string // loaded files that are not national exports
}

// NewCodeSet makes an empty code set.
func NewCodeSet(name, oid, version, title string) *CodeSet {
	return &CodeSet{Name: name, OID: oid, Version: version, Title: title, values: map[string]string{}, national: map[string]bool{}}
}

// Add puts a local value in the set (a placeholder unless the code is
// national already); a later Add of the same code replaces its display name.
func (c *CodeSet) Add(code, display string) {
	if _, ok := c.values[code]; !ok {
		c.order = append(c.order, code)
	}
	c.values[code] = display
}

// AddNational puts a value read from another national export in the set
// (the specific document types the national Sosmeta schemas are named by).
func (c *CodeSet) AddNational(code, display string) { c.addNational(code, display) }

// addNational puts a confirmed or nationally exported value in the set.
func (c *CodeSet) addNational(code, display string) {
	c.Add(code, display)
	c.national[code] = true
}

// CodeSystem is the OID a document names the set by: the versioned OID, or,
// while the version is unknown (a test rehearsal only), the bare OID.
func (c *CodeSet) CodeSystem() string {
	if c.Version != "" {
		return c.Version
	}
	return c.OID
}

// Placeholder says why a document may not carry code ("" when it may): the
// code comes only from a file that is not a national export, or the set's
// version is not known.
func (c *CodeSet) Placeholder(code string) string {
	switch {
	case !c.national[code] && len(c.local) > 0:
		return fmt.Sprintf("code %q of %s comes only from %s, which is not a national export", code, c.Name, strings.Join(c.local, ", "))
	case !c.national[code]:
		return fmt.Sprintf("code %q of %s is not confirmed nationally", code, c.Name)
	case c.Version == "":
		return fmt.Sprintf("the version of code set %s (%s) is not known", c.Name, c.OID)
	}
	return ""
}

// PlaceholderError refuses a placeholder code outside a test rehearsal.
type PlaceholderError struct {
	Set    *CodeSet
	Code   string
	Reason string
}

func (e *PlaceholderError) Error() string {
	return fmt.Sprintf("%s: load the national code server's export of %s (%s) under codesets:, or declare `test_rehearsal: true` to rehearse with placeholders",
		e.Reason, e.Set.OID, e.Set.Title)
}

// National returns nil if a document may carry code, or a *PlaceholderError.
func (c *CodeSet) National(code string) error {
	if why := c.Placeholder(code); why != "" {
		return &PlaceholderError{Set: c, Code: code, Reason: why}
	}
	return nil
}

// Display gives the display name of a code and whether the code is in the set.
func (c *CodeSet) Display(code string) (string, bool) {
	d, ok := c.values[code]
	return d, ok
}

// Codes lists the codes in the order they were added.
func (c *CodeSet) Codes() []string { return append([]string(nil), c.order...) }

// Len is the number of values.
func (c *CodeSet) Len() int { return len(c.order) }

// UnknownCodeError is returned when a value is not in its code set. It names
// the code set and the closest codes, so the fix is obvious.
type UnknownCodeError struct {
	Set         *CodeSet
	Code        string
	Suggestions []string
}

func (e *UnknownCodeError) Error() string {
	msg := fmt.Sprintf("code %q is not in code set %s (%s)", e.Code, e.Set.Name, e.Set.OID)
	if e.Set.onlyConfirmed() {
		// A near code among the few confirmed ones points at the wrong fix
		// (a real code such as 091 is missing only because no export is loaded).
		held := "none of its codes"
		if e.Set.Len() > 0 {
			held = fmt.Sprintf("only its %d confirmed code(s) (%s)", e.Set.Len(), strings.Join(e.Set.Codes(), ", "))
		}
		return fmt.Sprintf("%s as built into kantamig, which holds %s: load the national code server's export of the set under codesets: ({set: %s, file: EXPORT.csv})",
			msg, held, e.Set.Name)
	}
	if len(e.Suggestions) > 0 {
		msg += "; did you mean " + strings.Join(e.Suggestions, ", ") + "?"
	}
	return msg
}

// onlyConfirmed says whether the set holds only the few codes built in
// (no export loaded): a code outside them may well be a real one.
func (c *CodeSet) onlyConfirmed() bool {
	return len(c.Sources) == 1 && c.Sources[0] == "built-in" && c.Len() < 10
}

// Check returns nil if code is in the set, or an *UnknownCodeError with the
// closest matches by code and by display name.
func (c *CodeSet) Check(code string) error {
	if _, ok := c.values[code]; ok {
		return nil
	}
	return &UnknownCodeError{Set: c, Code: code, Suggestions: c.suggest(code)}
}

func (c *CodeSet) suggest(code string) []string {
	type scored struct {
		label string
		dist  int
	}
	var best []scored
	lc := strings.ToLower(code)
	for _, k := range c.order {
		d := Distance(lc, strings.ToLower(k))
		if dn := Distance(lc, strings.ToLower(c.values[k])); dn < d {
			d = dn
		}
		if strings.Contains(strings.ToLower(c.values[k]), lc) && len(lc) >= 3 {
			d = 0
		}
		limit := len(lc)/2 + 1
		if d <= limit {
			best = append(best, scored{fmt.Sprintf("%q (%s)", k, c.values[k]), d})
		}
	}
	sort.SliceStable(best, func(i, j int) bool { return best[i].dist < best[j].dist })
	var out []string
	for i := 0; i < len(best) && i < 3; i++ {
		out = append(out, best[i].label)
	}
	return out
}

// Distance is the edit distance between two strings, for suggesting the
// name or code somebody probably meant.
// Nearest is the known name nearest to name by Distance (the first in
// order on a tie), if it is near enough to be a misspelling of it: within
// half the name's length, plus one.
func Nearest(name string, known []string) (string, bool) {
	best, bestD := "", 1<<30
	for _, k := range known {
		if d := Distance(name, k); d < bestD || (d == bestD && k < best) {
			best, bestD = k, d
		}
	}
	return best, best != "" && bestD <= len(name)/2+1
}

func Distance(a, b string) int {
	ra, rb := []rune(a), []rune(b)
	prev := make([]int, len(rb)+1)
	cur := make([]int, len(rb)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(ra); i++ {
		cur[0] = i
		for j := 1; j <= len(rb); j++ {
			cost := 1
			if ra[i-1] == rb[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(rb)]
}

// codeColumns and nameColumns are the header names accepted for the code and
// its display name: the national code server's CSV export (CodeId, LongName)
// and plain English and Finnish alternatives.
var (
	codeColumns = []string{"codeid", "code", "koodi", "koodiarvo"}
	nameColumns = []string{"longname", "display", "nimi", "selite", "abbreviation", "shortname"}
)

// LoadFile adds the values of a code-set file to c. Two formats:
//
//   - FILE.json: a FHIR R4 CodeSystem resource, as the national code
//     server's FHIR interface gives it: the set's OID in url or identifier
//     (urn:oid:...), its version in version, the values in concept (nested
//     ones too). It is a national export: its version becomes the set's, and
//     its values replace the built-in ones.
//   - FILE.csv: the code server's CSV export, a header row, separated by ';'
//     or ',', with a code column (CodeId) and a name column (LongName); other
//     columns are ignored; UTF-8, with or without a byte-order mark. A CSV
//     says nothing of its version, so it is a national export only when
//     version (the versioned OID, from the code server's page of the export)
//     is given; otherwise its values are local placeholders.
func (c *CodeSet) LoadFile(path, version string) error {
	f, err := os.Open(path)
	if err != nil {
		return fmt.Errorf("opening code set file for %s: %w", c.Name, err)
	}
	defer f.Close()
	fhir := strings.EqualFold(filepath.Ext(path), ".json")
	if fhir {
		if version != "" {
			return fmt.Errorf("code set file %s: a FHIR CodeSystem states its own version; remove version:", path)
		}
		err = c.loadFHIR(f)
	} else {
		err = c.loadCSV(f, version)
	}
	if err != nil {
		return fmt.Errorf("reading code set file %s for %s: %w", path, c.Name, err)
	}
	c.Sources = append(c.Sources, path)
	if !fhir && version == "" {
		c.local = append(c.local, path)
	}
	return nil
}

// versionOf makes the versioned OID of a set from a stated version: either
// the whole versioned OID or its last part.
func (c *CodeSet) versionOf(v string) (string, error) {
	v = strings.TrimPrefix(strings.TrimSpace(v), "urn:oid:")
	if !strings.HasPrefix(v, c.OID+".") {
		v = c.OID + "." + v
	}
	last := strings.TrimPrefix(v, c.OID+".")
	if last == "" || strings.Trim(last, "0123456789") != "" {
		return "", fmt.Errorf("version %q is not a version of %s (write the versioned OID, e.g. %s.201601)", v, c.OID, c.OID)
	}
	return v, nil
}

func (c *CodeSet) loadCSV(r io.Reader, version string) error {
	if version != "" {
		v, err := c.versionOf(version)
		if err != nil {
			return err
		}
		c.replaceWithNational(v)
	}
	n, err := c.load(r, version != "")
	if err == nil && n == 0 {
		err = errors.New("the file has no values")
	}
	return err
}

// replaceWithNational empties the set for a national export, which is the
// whole list of its version.
func (c *CodeSet) replaceWithNational(version string) {
	c.Version = version
	c.values, c.national, c.order = map[string]string{}, map[string]bool{}, nil
	c.local = nil
}

// fhirCodeSystem is the part of a FHIR R4 CodeSystem resource a code set needs.
type fhirCodeSystem struct {
	ResourceType string `json:"resourceType"`
	URL          string `json:"url"`
	Identifier   []struct {
		Value string `json:"value"`
	} `json:"identifier"`
	Version string        `json:"version"`
	Concept []fhirConcept `json:"concept"`
}

type fhirConcept struct {
	Code    string        `json:"code"`
	Display string        `json:"display"`
	Concept []fhirConcept `json:"concept"`
}

func (c *CodeSet) loadFHIR(r io.Reader) error {
	var cs fhirCodeSystem
	if err := json.NewDecoder(r).Decode(&cs); err != nil {
		return fmt.Errorf("not a FHIR CodeSystem in JSON: %w", err)
	}
	if cs.ResourceType != "CodeSystem" {
		return fmt.Errorf("resourceType is %q, not CodeSystem", cs.ResourceType)
	}
	oid := fhirOID(cs)
	if oid != c.OID {
		return fmt.Errorf("the export is of code set %q, not of %s (%s)", oid, c.OID, c.Title)
	}
	if cs.Version == "" {
		return errors.New("the CodeSystem has no version")
	}
	v, err := c.versionOf(cs.Version)
	if err != nil {
		return err
	}
	c.replaceWithNational(v)
	var walk func([]fhirConcept)
	walk = func(list []fhirConcept) {
		for _, k := range list {
			if k.Code != "" {
				c.addNational(k.Code, k.Display)
			}
			walk(k.Concept)
		}
	}
	walk(cs.Concept)
	if c.Len() == 0 {
		return errors.New("the CodeSystem has no concepts")
	}
	return nil
}

// fhirOID is the OID a CodeSystem names itself by: its url or an identifier
// of the form urn:oid:....
func fhirOID(cs fhirCodeSystem) string {
	if strings.HasPrefix(cs.URL, "urn:oid:") {
		return strings.TrimPrefix(cs.URL, "urn:oid:")
	}
	for _, id := range cs.Identifier {
		if strings.HasPrefix(id.Value, "urn:oid:") {
			return strings.TrimPrefix(id.Value, "urn:oid:")
		}
	}
	return cs.URL
}

func (c *CodeSet) load(r io.Reader, national bool) (int, error) {
	data, err := io.ReadAll(r)
	if err != nil {
		return 0, err
	}
	text := strings.TrimPrefix(string(data), "\uFEFF")
	firstLine, _, _ := strings.Cut(text, "\n")
	cr := csv.NewReader(strings.NewReader(text))
	cr.Comma = ','
	if strings.Count(firstLine, ";") > strings.Count(firstLine, ",") {
		cr.Comma = ';'
	}
	cr.FieldsPerRecord = -1
	header, err := cr.Read()
	if err != nil {
		return 0, fmt.Errorf("reading header: %w", err)
	}
	codeCol, nameCol := findColumn(header, codeColumns), findColumn(header, nameColumns)
	if codeCol < 0 || nameCol < 0 {
		return 0, errors.New("header must name a code column (CodeId) and a name column (LongName)")
	}
	n := 0
	for {
		rec, err := cr.Read()
		if err == io.EOF {
			return n, nil
		}
		if err != nil {
			return n, err
		}
		if codeCol >= len(rec) || strings.TrimSpace(rec[codeCol]) == "" {
			continue
		}
		display := ""
		if nameCol < len(rec) {
			display = strings.TrimSpace(rec[nameCol])
		}
		if national {
			c.addNational(strings.TrimSpace(rec[codeCol]), display)
		} else {
			c.Add(strings.TrimSpace(rec[codeCol]), display)
		}
		n++
	}
}

func findColumn(header []string, names []string) int {
	for _, want := range names {
		for i, h := range header {
			if strings.EqualFold(strings.TrimSpace(h), want) {
				return i
			}
		}
	}
	return -1
}
