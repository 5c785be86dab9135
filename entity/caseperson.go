package entity

import "github.com/kantamig/kantamig/kanta"

// EntityCasePerson is a person related to a case who is not its client
// (muut asiaan liittyvät henkilöt: a parent in a child's case, an
// interpreter), kept in a table of its own: an item of the case document's
// muut_asiaan_liittyvat_henkilot (Sosmeta 1505.2).
const EntityCasePerson kanta.Entity = "case_person"

// CasePerson is written generically: no code of its own stages it.
var CasePerson = Kind{
	Entity:  EntityCasePerson,
	Key:     "case_persons",
	Label:   "persons related to cases",
	Carrier: kanta.EntityCase,
	Item:    "muut_asiaan_liittyvat_henkilot",
	Fields: []Field{
		{Name: "case", Type: Key, Refers: kanta.EntityCase, Required: true, Doc: "key of the case the person is related to"},
		{Name: "family_name", Type: Text, Required: true, Item: "sukunimi", Doc: "the person's family name"},
		{Name: "given_names", Type: Text, Required: true, Item: "etunimet", Doc: "the person's given names"},
		{Name: "identity_code", Type: IdentityCode, Item: "henkilotunnus", Doc: "the person's identity code, checked as a client's is"},
		{Name: "role_description", Type: Text, Item: "roolin_kuvaus", Doc: "the person's role in the case, as text (roolin kuvaus), e.g. parent, interpreter"},
		{Name: "created", Type: Time, Doc: "when the record was created, compared with the cut-off"},
	},
}
