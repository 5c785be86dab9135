package entity

import "github.com/kantamig/kantamig/kanta"

// Address is one address of a client, kept in a table of its own (often
// with its history): carried when it is current.
var Address = Kind{
	Entity:    kanta.EntityAddress,
	Key:       "client_addresses",
	Label:     "client addresses",
	Carrier:   kanta.EntityClient,
	ClientRef: [2]string{"client", "client_identity_code"},
	Fields: []Field{
		{Name: "client", Type: Key, Refers: kanta.EntityClient, Doc: "key of the client whose address it is; this or client_identity_code is required"},
		{Name: "client_identity_code", Type: Text, Doc: "identity code (or temporary identifier) of that client, when the export names the client so"},
		{Name: "street", Type: Text, Required: true, Doc: "street address (lähiosoite)"},
		{Name: "postcode", Type: Text, Doc: "postcode (postinumero)"},
		{Name: "post_office", Type: Text, Doc: "post office (postitoimipaikka)"},
		{Name: "valid_from", Type: Date, Doc: "when the address became the client's; compared with the cut-off unless created is given"},
		{Name: "valid_to", Type: Date, Doc: "when it stopped being the client's: an address with an end date is a former one, skipped (address-ended)"},
		{Name: "created", Type: Time, Doc: "when the record was created, compared with the cut-off; defaults to valid_from"},
	},
}
