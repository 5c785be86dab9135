package entity

import "github.com/kantamig/kantamig/kanta"

// ServiceTask is one service-task relationship of a client (the service
// task, the service unit, its own start and end), when the legacy system
// keeps them in a table of their own.
var ServiceTask = Kind{
	Entity:    kanta.EntityServiceTask,
	Key:       "service_task_relationships",
	Label:     "service-task relationships",
	Carrier:   kanta.EntityClient,
	ClientRef: [2]string{"client", "client_identity_code"},
	Fields: []Field{
		{Name: "client", Type: Key, Refers: kanta.EntityClient, Doc: "key of the client; this or client_identity_code is required"},
		{Name: "client_identity_code", Type: Text, Doc: "identity code (or temporary identifier) of the client, when the export names the client so"},
		{Name: "service_task", Type: Code, CodeSet: kanta.SetServiceTask, Required: true, Doc: "the service task (1.2.246.537.6.1221)"},
		{Name: "service_unit_oid", Type: Text, Doc: "the service organiser's service unit OID; defaults to the client's"},
		{Name: "service_unit_name", Type: Text, Doc: "service unit name"},
		{Name: "start", Type: Date, Doc: "when the client relationship in this service task began; defaults to the relationship's start"},
		{Name: "end", Type: Date, Doc: "when it ended; defaults to the relationship's end"},
		{Name: "created", Type: Time, Doc: "when the record was created, compared with the cut-off; defaults to start"},
	},
}
