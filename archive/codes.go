package archive

import (
	"fmt"
	"sort"
	"strings"

	"github.com/kantamig/kantamig/kanta"
)

// fixedSystems are the code systems whose values DOMAIN.md §2 confirms and
// that no run loads (the header's fixed classifications and the frame's),
// with the values the archive takes. Written here, from the domain facts,
// apart from the builder's constants.
var fixedSystems = map[string]struct {
	title string
	codes []string
}{
	"1.2.246.537.6.1502.201601": {"Sosiaalihuolto - Asiakirjan näyttömuodon formaatti", []string{"2"}},
	"1.2.246.537.5.40179.2008":  {"eArkisto - Asiakirjan tiedostomuoto", []string{"5"}},
	"1.2.246.537.5.40154.2008":  {"eArkisto - Asiakirjan valmistumisen tila", []string{"3"}},
	"1.2.246.537.6.1264.201701": {"Sosiaalihuolto - Asiakirjan rekisteritunnus", []string{"1"}},
	"1.2.246.537.6.1258.201601": {"Sosiaalihuolto - asiakirjan kokonaissäilytysaika", []string{"1"}},
	"1.2.246.537.6.112.2007":    {"AR/YDIN - Kyllä/Ei/Ei tietoa", []string{"K", "E"}},
	"1.2.246.537.6.1277.201701": {"Sosiaalihuolto - Sosiaalihuollon palveluprosessi", []string{"3"}},
	"1.2.246.537.6.1286.201901": {"Sosiaalihuolto - Alaikäisen asiakastietojen luovuttaminen huoltajille", []string{"1"}},
	"1.2.246.537.6.1288.201901": {"Sosiaalihuolto - Perustelut asiakirjan näyttämisen rajaamiselle Omakannassa", []string{"1"}},
	"1.2.246.537.5.40127.2006":  {"KanTa-palvelut - Sähköisen allekirjoituksen tyyppi", []string{"1", "3"}},
	"1.2.246.537.5.40128.2006":  {"KanTa-palvelut - Tunnistautumistapa", []string{"1"}},
	"1.2.246.537.6.1289.201901": {"Sosiaalihuolto - Asiakastiedon arkiston käyttötilanne", []string{"1"}},
	"1.2.246.537.5.40115.2006":  {"KanTa-palvelut - Dokumentin valmiusaste", []string{"LA"}},
	"1.2.246.537.5.40116.2006":  {"KanTa-palvelut - Dokumentin arkistointikoodi", []string{"AC"}},
	"2.16.840.1.113883.1.18":    {"HL7 trigger events", []string{"RCMR_TE000102UV01"}},
}

// codeSystem is one version of a code system the archive knows.
type codeSystem struct {
	oid   string // as documents name it: versioned, or the bare OID of a set whose version no one stated
	title string
	codes map[string]string // code -> "" when national, else why it is a placeholder
}

// codeBook is every code system version a document may name.
type codeBook struct {
	systems map[string]*codeSystem
	bases   map[string][]string // OID without its version arc -> the versions known
}

// newCodeBook builds the archive's code book from the run's code sets (nil:
// the built-in ones) and the specific document types of the schemas.
func newCodeBook(sets *kanta.CodeSets, schemas *Schemas) *codeBook {
	if sets == nil {
		sets = kanta.BuiltinCodeSets()
	}
	b := &codeBook{systems: map[string]*codeSystem{}, bases: map[string][]string{}}
	add := func(oid, base, title string) *codeSystem {
		cs := b.systems[oid]
		if cs == nil {
			cs = &codeSystem{oid: oid, title: title, codes: map[string]string{}}
			b.systems[oid] = cs
			b.bases[base] = append(b.bases[base], oid)
		}
		return cs
	}
	for _, name := range sets.Names() {
		set := sets.Get(name)
		oid := set.CodeSystem()
		cs := add(oid, set.OID, set.Title)
		for _, code := range set.Codes() {
			cs.codes[code] = set.Placeholder(code)
		}
	}
	for oid, f := range fixedSystems {
		cs := add(oid, oid[:strings.LastIndexByte(oid, '.')], f.title)
		for _, c := range f.codes {
			cs.codes[c] = ""
		}
	}
	// Every specific type with a national schema is a national code.
	if types := b.systems[sets.Get(kanta.SetSpecificDocumentType).CodeSystem()]; types != nil && schemas != nil {
		for oid := range schemas.files {
			if rest, ok := strings.CutPrefix(oid, "1.2.246.537.6.1506."); ok {
				if code, _, ok := strings.Cut(rest, "."); ok {
					types.codes[code] = ""
				}
			}
		}
	}
	return b
}

// codeVerdict is what the code book says of one code.
type codeVerdict struct {
	problem     string // the archive refuses it
	placeholder string // a placeholder, refused outside a test rehearsal
	unknownCode bool   // the problem is a code the known system does not have
}

// check judges a code named with its code system.
func (b *codeBook) check(where, system, code string) codeVerdict {
	cs := b.systems[system]
	if cs == nil {
		base := system
		if i := strings.LastIndexByte(system, '.'); i > 0 {
			base = system[:i]
		}
		if versions, ok := b.bases[base]; ok {
			sort.Strings(versions)
			return codeVerdict{problem: fmt.Sprintf("%s: code system %s does not exist: the archive knows %s", where, system, strings.Join(versions, ", "))}
		}
		if versions, ok := b.bases[system]; ok {
			sort.Strings(versions)
			return codeVerdict{problem: fmt.Sprintf("%s: code system %s names no version: the archive knows %s", where, system, strings.Join(versions, ", "))}
		}
		return codeVerdict{problem: fmt.Sprintf("%s: unknown code system %s", where, system)}
	}
	why, ok := cs.codes[code]
	switch {
	case !ok:
		return codeVerdict{problem: fmt.Sprintf("%s: code %q is not a code of %s (%s)", where, code, system, cs.title), unknownCode: true}
	case why != "":
		return codeVerdict{placeholder: fmt.Sprintf("%s: code %q of %s is a placeholder: %s", where, code, system, why)}
	}
	return codeVerdict{}
}

// knows says whether a code system's base OID is one the archive keeps
// versions of (a structured form names many classifications the archive
// holds to their schemas only).
func (b *codeBook) knows(system string) bool {
	if _, ok := b.systems[system]; ok {
		return true
	}
	if i := strings.LastIndexByte(system, '.'); i > 0 {
		_, ok := b.bases[system[:i]]
		return ok
	}
	return false
}
