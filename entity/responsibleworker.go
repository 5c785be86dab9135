package entity

import "github.com/kantamig/kantamig/kanta"

// EntityResponsibleWorker is a worker responsible for a client's services
// (palveluista vastaava työntekijä: the own worker of Sosiaalihuoltolaki
// 42 §, or a child's social worker), kept in a table of its own: an item of
// the client-relationship document's palveluista_vastaava_tyontekija
// (Sosmeta 1505.1).
const EntityResponsibleWorker kanta.Entity = "responsible_worker"

// ResponsibleWorker is written generically: no code of its own stages it.
var ResponsibleWorker = Kind{
	Entity:    EntityResponsibleWorker,
	Key:       "responsible_workers",
	Label:     "responsible workers",
	Carrier:   kanta.EntityClient,
	ClientRef: [2]string{"client", "client_identity_code"},
	Item:      "palveluista_vastaava_tyontekija",
	Fields: []Field{
		{Name: "client", Type: Key, Refers: kanta.EntityClient, Doc: "key of the client whose worker it is; this or client_identity_code is required"},
		{Name: "client_identity_code", Type: Text, Doc: "identity code (or temporary identifier) of that client, when the export names the client so"},
		{Name: "family_name", Type: Text, Required: true, Item: "sukunimi", Doc: "the worker's family name"},
		{Name: "given_names", Type: Text, Required: true, Item: "etunimet", Doc: "the worker's given names"},
		{Name: "registration_number", Type: Identifier, System: "1.2.246.537.26", Item: "rekisterointitunnus", Doc: "the worker's registration number as a professional (1.2.246.537.26), as the source holds it"},
		{Name: "phone", Type: Text, Item: "yhteystiedot.puhelinnumero", Doc: "the worker's phone number"},
		{Name: "email", Type: Text, Item: "yhteystiedot.sahkopostiosoite", Doc: "the worker's e-mail address"},
		{Name: "created", Type: Time, Doc: "when the record was created, compared with the cut-off"},
	},
}
