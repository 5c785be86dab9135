package entity

import "github.com/kantamig/kantamig/kanta"

// Client is a client: a person, with the social-welfare client
// relationship the client-relationship document describes.
var Client = Kind{
	Entity:   kanta.EntityClient,
	Key:      "clients",
	Label:    "clients",
	Required: true,
	Fields: []Field{
		{Name: "identity_code", Type: Text, Doc: "personal identity code (henkilötunnus); this or temporary_id is required"},
		{Name: "temporary_id", Type: Text, Doc: "temporary identifier (tilapäinen yksilöintitunnus); a client with only this is rejected, as an old relationship needs the identity code"},
		{Name: "family_name", Type: Text, Required: true, Doc: "family name"},
		{Name: "given_names", Type: Text, Required: true, Doc: "given names"},
		{Name: "calling_name", Type: Text, Doc: "calling name; defaults to the first given name"},
		{Name: "birth_date", Type: Date, Doc: "birth date; defaults to the one the identity code gives"},
		{Name: "sex", Type: Code, CodeSet: kanta.SetSex, Doc: "sex (1.2.246.537.5.1); defaults to the one the identity code gives"},
		{Name: "home_municipality", Type: Code, CodeSet: kanta.SetMunicipality, Doc: "home municipality (1.2.246.537.6.21); left out of the document under non-disclosure"},
		{Name: "address_street", Type: Text, Doc: "street address (lähiosoite); left out of the document under non-disclosure"},
		{Name: "address_postcode", Type: Text, Doc: "postcode (postinumero); left out under non-disclosure"},
		{Name: "address_post_office", Type: Text, Doc: "post office (postitoimipaikka); left out under non-disclosure"},
		{Name: "phone", Type: Text, Doc: "phone number (puhelinnumero); kept under non-disclosure, as the national note says"},
		{Name: "email", Type: Text, Doc: "e-mail address (sähköpostiosoite); left out under non-disclosure"},
		{Name: "non_disclosure", Type: Bool, Doc: "non-disclosure for personal safety (turvakielto)"},
		{Name: "relationship_start", Type: Date, Required: true, Doc: "start of the social-welfare client relationship"},
		{Name: "relationship_end", Type: Date, Doc: "end of the client relationship"},
		{Name: "relationship_end_reason", Type: Text, Doc: "why the client relationship ended"},
		{Name: "service_tasks", Type: Codes, CodeSet: kanta.SetServiceTask, Doc: "service tasks the client has a relationship in (1.2.246.537.6.1221)"},
		{Name: "service_unit_oid", Type: Text, Doc: "service unit OID; defaults to organisation.service_unit"},
		{Name: "service_unit_name", Type: Text, Doc: "service unit name"},
		{Name: "created", Type: Time, Doc: "when the record was created, compared with the cut-off; defaults to relationship_start"},
	},
}
