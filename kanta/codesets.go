package kanta

import (
	"cmp"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
)

// Names of the code sets that mapping files and the model refer to.
const (
	SetSex                  = "sex"
	SetMunicipality         = "municipality"
	SetServiceTask          = "service-task"
	SetSocialService        = "social-service"
	SetDocumentType         = "document-type"
	SetSpecificDocumentType = "specific-document-type"
	SetDocumentGroup        = "document-group"
	SetConfidentiality      = "confidentiality"
	SetCaseName             = "case-name"
	SetCaseStatus           = "case-status"
	SetServiceRequest       = "service-request"
	SetMinorDisclosure      = "minor-disclosure"
	SetDisplayFormat        = "display-format"
)

// CodeSets is the set of code sets one run uses, by name.
type CodeSets struct {
	byName map[string]*CodeSet
}

// BuiltinCodeSets returns the code sets with the values DOMAIN.md confirms
// (and, where marked, the document types it infers from the Sosmeta schemas).
// Everything else must be loaded from the national code server's exports.
func BuiltinCodeSets() *CodeSets {
	cs := &CodeSets{byName: map[string]*CodeSet{}}
	add := func(name, oid, version, title string, values ...string) *CodeSet {
		set := NewCodeSet(name, oid, version, title)
		for i := 0; i+1 < len(values); i += 2 {
			set.addNational(values[i], values[i+1])
		}
		set.Sources = []string{"built-in"}
		cs.byName[name] = set
		return set
	}
	add(SetSex, "1.2.246.537.5.1", "1.2.246.537.5.1.1997", "AR/YDIN - Sukupuoli",
		"1", "Mies", "2", "Nainen")
	add(SetMunicipality, "1.2.246.537.6.21", "1.2.246.537.6.21.2003", "Kuntakoodit",
		"092", "Vantaa")
	// 10 and 20 from Sosmeta 1506.19008's enum, 15 from the Sosmeta
	// examples, 24 from the real samples (DOMAIN §2).
	add(SetServiceTask, "1.2.246.537.6.1221", "1.2.246.537.6.1221.201601", "Sosiaalihuolto - Palvelutehtävä",
		"10", "Lastensuojelu", "15", "Päihdehuolto", "20", "Vammaispalvelut", "24", "Lapsiperheiden palvelut")
	add(SetSocialService, "1.2.246.537.6.1222", "1.2.246.537.6.1222.201601", "Sosiaalihuolto - Sosiaalipalvelut",
		"2", "Ammatillinen perhehoito", "15", "Kasvatus- ja perheneuvonta", "24", "Laitospalvelu", "31", "Perhehoito",
		"37", "Päivätoiminta", "45", "Sosiaaliohjaus", "46", "Sosiaalityö", "51", "Tukisuhdetoiminta",
		"55", "Vammaisten henkilöiden työtoiminta", "82", "Vanhemmuuden selvittäminen",
		"85", "Ympärivuorokautinen palveluasuminen", "93", "Asumisen tuki", "94", "Lapsen asumisen tuki",
		"99", "Taloudellisen toimintakyvyn edistäminen")
	// The general types: 15 is confirmed by the real samples, the others are
	// the prefixes of the national Sosmeta export's specific types (DOMAIN
	// §1.2). 17 "Muu asiakirja" has no schema and is not confirmed: a
	// placeholder until the national export is loaded.
	types := add(SetDocumentType, "1.2.246.537.6.1506", "1.2.246.537.6.1506.201701", "Sosiaalihuolto - Asiakasasiakirjatyyppi",
		"1", "Arvio", "3", "Hakemus", "4", "Ilmoitus", "5", "Kuulemisasiakirja", "6", "Laskelma",
		"7", "Lausunto", "8", "Lähete", "9", "Maksusitoumus", "10", "Pyyntö", "11", "Päätös",
		"12", "Selvitys", "13", "Sopimus", "14", "Suostumus", "15", "Suunnitelma", "16", "Yhteenveto",
		"19", "Asiakaskertomusmerkintä")
	types.Add("17", "Muu asiakirja")
	add(SetSpecificDocumentType, "1.2.246.537.6.1506", "1.2.246.537.6.1506.201701", "Sosiaalihuolto - Asiakasasiakirjatyyppi",
		"15007", "Lapsiperheiden palvelujen asiakassuunnitelma", "15024", "Vammaispalvelujen toteuttamissuunnitelma")
	add(SetDocumentGroup, "1.2.246.537.6.1505", "1.2.246.537.6.1505.201601", "Sosiaalihuolto - Asiakirjaryhmä",
		"1", "Asiakkuusasiakirja", "2", "Asia-asiakirja", "5", "Toisen tai myöhemmän vaiheen asiakasasiakirja")
	add(SetConfidentiality, "1.2.246.777.5.99902", "1.2.246.777.5.99902.2006", "KanTa-palvelut - Asiakirjan luottamuksellisuus",
		"6", "Sosiaalihuollon salassapidettävä")
	// The versions of the case-name and case-status sets are not known
	// (DOMAIN §2): only their national exports give them.
	add(SetCaseName, "1.2.246.537.6.1265", "", "Sosiaalihuolto - Sosiaalihuollon asia",
		"99", "Muu")
	add(SetCaseStatus, "1.2.246.537.6.1501", "", "Sosiaalihuolto - Asian tila")
	add(SetServiceRequest, "1.2.246.537.6.1503", "1.2.246.537.6.1503.201601", "Sosiaalihuolto - Arkistosanomien palvelupyynnöt",
		"SP1", "Asiakkuusasiakirjan arkistointi", "SP17", "Asiakasasiakirjan arkistointi")
	add(SetMinorDisclosure, "1.2.246.537.6.1286", "1.2.246.537.6.1286.201901", "Sosiaalihuolto - Alaikäisen asiakastietojen luovuttaminen huoltajille",
		"1", MinorMayBeDisclosed)
	// XHTML_1.1 is confirmed (DOMAIN §2); the code of PDF/A is not known:
	// a placeholder until the set's national export is loaded (PDFAFormat).
	formats := add(SetDisplayFormat, "1.2.246.537.6.1502", "1.2.246.537.6.1502.201601", "Sosiaalihuolto - Asiakirjan näyttömuodon formaatti",
		"2", "XHTML_1.1")
	formats.Add(PDFAPlaceholder, "PDF/A-1b")
	return cs
}

// PDFAPlaceholder is the display-format code a PDF/A document carries while
// the set's national export is not loaded: not national, so only a test
// rehearsal may carry it, and its display name says "(placeholder)".
const PDFAPlaceholder = "PDFA-1B"

// PDFAFormat is the display-format code of a PDF/A document: the one value
// of the loaded national export whose name says PDF/A (PDF/A-1 first),
// else PDFAPlaceholder.
func (cs *CodeSets) PDFAFormat() string {
	set := cs.Get(SetDisplayFormat)
	found := ""
	for _, code := range set.Codes() {
		name, _ := set.Display(code)
		n := strings.ToUpper(strings.ReplaceAll(name, " ", ""))
		if !set.national[code] || !strings.Contains(n, "PDF/A") {
			continue
		}
		if found == "" || strings.Contains(n, "PDF/A-1") {
			found = code
		}
	}
	return cmp.Or(found, PDFAPlaceholder)
}

// MinorMayBeDisclosed is code 1 of the minor-disclosure set, as both real
// samples of a minor client carry it (DOMAIN §2).
const MinorMayBeDisclosed = "Alaikäisen asiakkaan asiakirja voidaan luovuttaa huoltajille ja muille tiedonsaantiin oikeutetuille, koska alaikäinen ei kiellä asiakirjan luovuttamista"

// ServiceTaskOfType gives the one service task whose name the specific
// document type's name begins with (15007 "Lapsiperheiden palvelujen
// asiakassuunnitelma" under 24 "Lapsiperheiden palvelut"), by the first
// words of the two names, inflection aside: ok is false when no service
// task the sets hold matches, or more than one does. No national source
// ties a specific type to a service task; the names do, for many types.
func (cs *CodeSets) ServiceTaskOfType(specificType string) (task string, ok bool) {
	name, _ := cs.Get(SetSpecificDocumentType).Display(specificType)
	first := firstWord(name)
	if first == "" {
		return "", false
	}
	tasks := cs.Get(SetServiceTask)
	found := ""
	for _, code := range tasks.Codes() {
		taskName, _ := tasks.Display(code)
		if !sameStem(first, firstWord(taskName)) {
			continue
		}
		if found != "" {
			return "", false
		}
		found = code
	}
	return found, found != ""
}

// firstWord is a name's first word, lower case, without a trailing hyphen
// ("Päihde- ja riippuvuustyön …" gives "päihde").
func firstWord(name string) string {
	f := strings.Fields(name)
	if len(f) == 0 {
		return ""
	}
	return strings.TrimRight(strings.ToLower(f[0]), "-")
}

// sameStem says whether two Finnish words are one stem in two cases
// ("lastensuojelun", "lastensuojelu"; "vammaispalvelujen",
// "vammaispalvelut"; "päihde", "päihdehuolto" as the stem of a compound):
// they share all of the shorter word but its last two letters, and at
// least six letters.
func sameStem(a, b string) bool {
	ra, rb := []rune(a), []rune(b)
	n := 0
	for n < len(ra) && n < len(rb) && ra[n] == rb[n] {
		n++
	}
	return n >= 6 && n >= min(len(ra), len(rb))-2
}

// Get returns the named code set, or nil.
func (cs *CodeSets) Get(name string) *CodeSet { return cs.byName[name] }

// Lookup finds a code set by short name or by OID (versioned or not).
func (cs *CodeSets) Lookup(nameOrOID string) (*CodeSet, error) {
	if s, ok := cs.byName[nameOrOID]; ok {
		return s, nil
	}
	for _, s := range cs.byName {
		if s.OID == nameOrOID || s.Version == nameOrOID {
			return s, nil
		}
	}
	return nil, fmt.Errorf("unknown code set %q; known: %s", nameOrOID, strings.Join(cs.Names(), ", "))
}

// Names lists the code set names, sorted.
func (cs *CodeSets) Names() []string {
	names := make([]string, 0, len(cs.byName))
	for n := range cs.byName {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// Display gives a code's display name in the named set ("" if unknown).
func (cs *CodeSets) Display(set, code string) string {
	d, _ := cs.byName[set].Display(code)
	return d
}

// LoadDir loads a folder of national exports: every FHIR CodeSystem (*.json)
// goes to the set of its OID; every CSV must be named by the versioned OID
// of its export (1.2.246.537.6.1221.201601.csv), which says both the set and
// the version. Files of sets kantamig does not use are listed in ignored.
func (cs *CodeSets) LoadDir(dir string) (loaded, ignored []string, err error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, nil, fmt.Errorf("reading the code set folder: %w", err)
	}
	for _, e := range entries {
		name := e.Name()
		path := filepath.Join(dir, name)
		ext := strings.ToLower(filepath.Ext(name))
		if e.IsDir() || (ext != ".json" && ext != ".csv") {
			continue
		}
		var oid string
		if ext == ".json" {
			f, err := os.Open(path)
			if err != nil {
				return loaded, ignored, err
			}
			var head fhirCodeSystem
			err = json.NewDecoder(f).Decode(&head)
			f.Close()
			if err != nil || head.ResourceType != "CodeSystem" {
				return loaded, ignored, fmt.Errorf("%s is not a FHIR CodeSystem in JSON", path)
			}
			oid = fhirOID(head)
		} else {
			oid = strings.TrimSuffix(name, filepath.Ext(name))
		}
		sets := cs.setsOf(oid)
		if len(sets) == 0 {
			ignored = append(ignored, path)
			continue
		}
		version := ""
		if ext == ".csv" {
			version = oid
		}
		for _, set := range sets {
			if err := set.LoadFile(path, version); err != nil {
				return loaded, ignored, err
			}
		}
		loaded = append(loaded, path)
	}
	return loaded, ignored, nil
}

// setsOf finds the sets an OID or versioned OID belongs to. Two sets share
// the document-type OID (general and specific types): an export of it fills both.
func (cs *CodeSets) setsOf(oid string) []*CodeSet {
	var out []*CodeSet
	for _, n := range cs.Names() {
		s := cs.byName[n]
		if s.OID == oid || strings.HasPrefix(oid, s.OID+".") && strings.Trim(strings.TrimPrefix(oid, s.OID+"."), "0123456789") == "" {
			out = append(out, s)
		}
	}
	return out
}
