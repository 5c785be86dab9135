package mapping

import "github.com/kantamig/kantamig/kanta"

// EntityKind is one entity a mapping file maps: the top-level key its source
// blocks sit under, a name for people, and where its blocks are kept as
// written and as compiled. Kinds lists them once, so that a new entity is one
// line here, its targets, and what stages it.
type EntityKind struct {
	Entity   kanta.Entity
	Key      string // the mapping file's top-level key
	Label    string // plural, for messages
	Required bool   // every mapping maps it
	config   func(*Config) EntityBlocks
	compiled func(*Mapping) *[]*EntityMapping
}

// Kinds are the entities in reading order: clients and what their
// relationship documents carry, cases and their members, documents.
var Kinds = []EntityKind{
	{kanta.EntityClient, "clients", "clients", true,
		func(c *Config) EntityBlocks { return c.Clients }, func(m *Mapping) *[]*EntityMapping { return &m.Clients }},
	{kanta.EntityServiceTask, "service_task_relationships", "service-task relationships", false,
		func(c *Config) EntityBlocks { return c.ServiceTasks }, func(m *Mapping) *[]*EntityMapping { return &m.ServiceTasks }},
	{kanta.EntityRelatedPerson, "related_persons", "related persons", false,
		func(c *Config) EntityBlocks { return c.Related }, func(m *Mapping) *[]*EntityMapping { return &m.RelatedPersons }},
	{kanta.EntityAddress, "client_addresses", "client addresses", false,
		func(c *Config) EntityBlocks { return c.Addresses }, func(m *Mapping) *[]*EntityMapping { return &m.Addresses }},
	{kanta.EntityCase, "cases", "cases", true,
		func(c *Config) EntityBlocks { return c.Cases }, func(m *Mapping) *[]*EntityMapping { return &m.Cases }},
	{kanta.EntityMember, "case_members", "case members", false,
		func(c *Config) EntityBlocks { return c.CaseMembers }, func(m *Mapping) *[]*EntityMapping { return &m.CaseMembers }},
	{kanta.EntityDocument, "documents", "documents", true,
		func(c *Config) EntityBlocks { return c.Documents }, func(m *Mapping) *[]*EntityMapping { return &m.Documents }},
}

// KindOf finds an entity's kind.
func KindOf(e kanta.Entity) EntityKind {
	for _, k := range Kinds {
		if k.Entity == e {
			return k
		}
	}
	panic("mapping: no entity kind " + string(e))
}

// Of lists an entity's compiled source blocks.
func (m *Mapping) Of(e kanta.Entity) []*EntityMapping { return *KindOf(e).compiled(m) }
