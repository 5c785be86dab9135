package entity

import "github.com/kantamig/kantamig/kanta"

// CaseMember is one client's membership of a case, with its own joining
// and leaving, when the legacy system keeps it in a table of its own.
var CaseMember = Kind{
	Entity:    kanta.EntityMember,
	Key:       "case_members",
	Label:     "case members",
	Carrier:   kanta.EntityCase,
	ClientRef: [2]string{"client", "client_identity_code"},
	Fields: []Field{
		{Name: "case", Type: Key, Refers: kanta.EntityCase, Required: true, Doc: "key of the case"},
		{Name: "client", Type: Key, Refers: kanta.EntityClient, Doc: "key of the member client; this or client_identity_code is required"},
		{Name: "client_identity_code", Type: Text, Doc: "identity code (or temporary identifier) of the member client, when the export names the client so"},
		{Name: "joined", Type: Date, Doc: "when the client joined the case (asiaan liittymishetki); defaults to the case's opening"},
		{Name: "left", Type: Date, Doc: "when the client left the case (asiasta poistumishetki); defaults to the case's closing"},
		{Name: "created", Type: Time, Doc: "when the record was created, compared with the cut-off; defaults to joined"},
	},
}
