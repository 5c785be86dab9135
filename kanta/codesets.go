package kanta

import (
	"fmt"
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
	add := func(name, oid, version, title string, values ...string) {
		set := NewCodeSet(name, oid, version, title)
		for i := 0; i+1 < len(values); i += 2 {
			set.Add(values[i], values[i+1])
		}
		set.Sources = []string{"built-in"}
		cs.byName[name] = set
	}
	add(SetSex, "1.2.246.537.5.1", "1.2.246.537.5.1.1997", "AR/YDIN - Sukupuoli",
		"1", "Mies", "2", "Nainen")
	add(SetMunicipality, "1.2.246.537.6.21", "1.2.246.537.6.21.2003", "Kuntakoodit",
		"092", "Vantaa")
	add(SetServiceTask, "1.2.246.537.6.1221", "1.2.246.537.6.1221.201601", "Sosiaalihuolto - Palvelutehtävä",
		"15", "Päihdehuolto", "24", "Lapsiperheiden palvelut")
	add(SetSocialService, "1.2.246.537.6.1222", "1.2.246.537.6.1222.201601", "Sosiaalihuolto - Sosiaalipalvelut",
		"15", "Kasvatus- ja perheneuvonta", "45", "Sosiaaliohjaus", "46", "Sosiaalityö",
		"51", "Tukisuhdetoiminta", "82", "Vanhemmuuden selvittäminen")
	// The 17 general types: 15 is confirmed, the rest inferred from the Sosmeta
	// schema codes (DOMAIN §1.2); 17 "Muu asiakirja" has no schema.
	add(SetDocumentType, "1.2.246.537.6.1506", "1.2.246.537.6.1506.201701", "Sosiaalihuolto - Asiakasasiakirjatyyppi",
		"1", "Arvio", "3", "Hakemus", "4", "Ilmoitus", "5", "Kuulemisasiakirja", "6", "Laskelma",
		"7", "Lausunto", "8", "Lähete", "9", "Maksusitoumus", "10", "Pyyntö", "11", "Päätös",
		"12", "Selvitys", "13", "Sopimus", "14", "Suostumus", "15", "Suunnitelma", "16", "Yhteenveto",
		"17", "Muu asiakirja", "19", "Asiakaskertomusmerkintä")
	add(SetSpecificDocumentType, "1.2.246.537.6.1506", "1.2.246.537.6.1506.201701", "Sosiaalihuolto - Asiakasasiakirjatyyppi",
		"15007", "Lapsiperheiden palvelujen asiakassuunnitelma", "15024", "Vammaispalvelujen toteuttamissuunnitelma")
	add(SetDocumentGroup, "1.2.246.537.6.1505", "1.2.246.537.6.1505.201601", "Sosiaalihuolto - Asiakirjaryhmä",
		"1", "Asiakkuusasiakirja", "2", "Asia-asiakirja", "5", "Toisen tai myöhemmän vaiheen asiakasasiakirja")
	add(SetConfidentiality, "1.2.246.777.5.99902", "1.2.246.777.5.99902.2006", "KanTa-palvelut - Asiakirjan luottamuksellisuus",
		"6", "Sosiaalihuollon salassapidettävä")
	add(SetCaseName, "1.2.246.537.6.1265", "1.2.246.537.6.1265.201601", "Sosiaalihuolto - Sosiaalihuollon asia",
		"99", "Muu")
	add(SetCaseStatus, "1.2.246.537.6.1501", "1.2.246.537.6.1501.201601", "Sosiaalihuolto - Asian tila")
	add(SetServiceRequest, "1.2.246.537.6.1503", "1.2.246.537.6.1503.201601", "Sosiaalihuolto - Arkistosanomien palvelupyynnöt",
		"SP1", "Asiakkuusasiakirjan arkistointi", "SP17", "Asiakasasiakirjan arkistointi")
	return cs
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
