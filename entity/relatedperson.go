package entity

import "github.com/kantamig/kantamig/kanta"

// RelatedPerson is a person related to a client (a guardian, a next of
// kin), kept in a table of its own.
var RelatedPerson = Kind{
	Entity:    kanta.EntityRelatedPerson,
	Key:       "related_persons",
	Label:     "related persons",
	Carrier:   kanta.EntityClient,
	ClientRef: [2]string{"client", "client_identity_code"},
	Fields: []Field{
		{Name: "client", Type: Key, Refers: kanta.EntityClient, Doc: "key of the client the person is related to; this or client_identity_code is required"},
		{Name: "client_identity_code", Type: Text, Doc: "identity code (or temporary identifier) of that client, when the export names the client so"},
		{Name: "family_name", Type: Text, Required: true, Doc: "the person's family name"},
		{Name: "given_names", Type: Text, Required: true, Doc: "the person's given names"},
		{Name: "identity_code", Type: Text, Doc: "the person's identity code, checked as a client's is"},
		{Name: "role_description", Type: Text, Doc: "the person's role, as text (roolin kuvaus), e.g. guardian, next of kin"},
		{Name: "phone", Type: Text, Doc: "the person's phone number; left out under the person's non-disclosure"},
		{Name: "non_disclosure", Type: Bool, Doc: "the person's own non-disclosure (turvakielto)"},
		{Name: "created", Type: Time, Doc: "when the record was created, compared with the cut-off"},
	},
}
