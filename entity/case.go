package entity

import "github.com/kantamig/kantamig/kanta"

// Case is a social-welfare case, with its own case document. A mapping
// of a system without cases may leave it out when every documents block
// collects its documents (without_case).
var Case = Kind{
	Entity:    kanta.EntityCase,
	Key:       "cases",
	Label:     "cases",
	Required:  true,
	ClientRef: [2]string{"clients", "client_identity_codes"},
	Fields: []Field{
		{Name: "clients", Type: Keys, Refers: kanta.EntityClient, Doc: "client keys of the case's clients (several for a shared case); this or client_identity_codes is required"},
		{Name: "client_identity_codes", Type: Keys, Doc: "identity codes (or temporary identifiers) of the case's clients, when the export names them so; each must be a client's of the mapping"},
		{Name: "name", Type: Code, CodeSet: kanta.SetCaseName, Required: true, Doc: "case name (1.2.246.537.6.1265)"},
		{Name: "name_other", Type: Text, Doc: "free text when the name is 99 (Muu)"},
		{Name: "status", Type: Code, CodeSet: kanta.SetCaseStatus, Required: true, Doc: "case status (1.2.246.537.6.1501)"},
		{Name: "opened", Type: Date, Required: true, Doc: "when the case was opened (vireilletulo)"},
		{Name: "closed", Type: Date, Doc: "when the case was closed"},
		{Name: "service_task", Type: Code, CodeSet: kanta.SetServiceTask, Required: true, Doc: "service task (1.2.246.537.6.1221)"},
		{Name: "related_cases", Type: Keys, Refers: kanta.EntityCase, Doc: "keys of related cases"},
		{Name: "service_unit_oid", Type: Text, Doc: "service unit OID; defaults to organisation.service_unit"},
		{Name: "service_unit_name", Type: Text, Doc: "service unit name"},
		{Name: "created", Type: Time, Doc: "when the record was created; defaults to opened"},
	},
}
