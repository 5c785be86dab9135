package mapping

import (
	"fmt"
	"slices"
	"sort"
	"strings"

	"github.com/kantamig/kantamig/kanta"
)

// CodeSetUse is what a mapping's run would carry of one code set, and what
// it takes to carry it into the real archive: the path from a test
// rehearsal (placeholder codes allowed) to a migration.
type CodeSetUse struct {
	Name, OID, Title string
	// Version is the versioned OID documents name the set by; "" while no
	// confirmed value or national export gives it.
	Version string
	// Sources are where its values came from: built-in (confirmed, DOMAIN)
	// and the files the mapping loads.
	Sources []string
	// National and Placeholder count its codes a document may carry and
	// those it may not (only a test rehearsal sends those).
	National, Placeholder int
	// Named are the placeholder codes the mapping itself names (value maps,
	// constants): what would reach documents.
	Named []string
	// Fetch says what to load from the national code server, "" when
	// nothing: every code national and the version known.
	Fetch string
}

// CodeUse lists every code set a run of the mapping has, sorted by name,
// with what each needs before a real migration.
func (m *Mapping) CodeUse() []CodeSetUse {
	named := map[string][]string{}
	for _, p := range m.Placeholders {
		if !slices.Contains(named[p.Set], p.Code) {
			named[p.Set] = append(named[p.Set], p.Code)
		}
	}
	var out []CodeSetUse
	for _, name := range m.CodeSets.Names() {
		c := m.CodeSets.Get(name)
		u := CodeSetUse{Name: name, OID: c.OID, Title: c.Title, Version: c.Version, Sources: c.Sources, Named: named[name]}
		sort.Strings(u.Named)
		for _, code := range c.Codes() {
			if c.Placeholder(code) == "" {
				u.National++
			} else {
				u.Placeholder++
			}
		}
		// Placeholders the mapping does not name may still come from the
		// data (a municipality code in a client's row): they count too.
		// The display formats' placeholder is PDF/A's, carried only by a
		// mapping that states pdfa_documents.
		if (u.Version == "" || u.Placeholder > 0) && (name != kanta.SetDisplayFormat || m.PDFADocuments) {
			u.Fetch = fmt.Sprintf("the national code server's (Koodistopalvelu) export of classification %s (%s), as FHIR CodeSystem JSON, or as CSV with its version stated; then under codesets: `- {set: %s, file: EXPORT}`",
				c.OID, c.Title, name)
		}
		out = append(out, u)
	}
	return out
}

// String is the set in a line for people.
func (u CodeSetUse) String() string {
	version := u.Version
	if version == "" {
		version = "version not known"
	}
	s := fmt.Sprintf("%s (%s, %s; %s): %d national code(s), %d placeholder(s); from %s", u.Name, u.OID, u.Title, version,
		u.National, u.Placeholder, strings.Join(u.Sources, ", "))
	if len(u.Named) > 0 {
		s += fmt.Sprintf("; the mapping names placeholder(s) %s", strings.Join(u.Named, ", "))
	}
	return s
}
