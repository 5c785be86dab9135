package mapping

import (
	"fmt"

	"github.com/goccy/go-yaml"
	"github.com/goccy/go-yaml/ast"
)

// Config is a mapping file as written.
type Config struct {
	Version      int                `yaml:"version"`
	System       string             `yaml:"system"`
	Organisation OrganisationConfig `yaml:"organisation"`
	Cutoff       string             `yaml:"cutoff"`
	Timezone     string             `yaml:"timezone"`
	// TestRehearsal lets placeholder codes through (counted in the report);
	// without it a code that is not national is refused.
	TestRehearsal bool `yaml:"test_rehearsal"`
	// ServiceRequests are the service requests (1.2.246.537.6.1503) of the
	// messages no source confirms: case documents and replacing versions.
	ServiceRequests ServiceRequestsConfig `yaml:"service_requests"`
	// ErrorBudget says how much may be rejected before a run stops.
	ErrorBudget  *ErrorBudgetConfig         `yaml:"error_budget"`
	CodeSets     []*CodeSetConfig           `yaml:"codesets"`
	ValueMaps    map[string]*ValueMapConfig `yaml:"value_maps"`
	Sources      map[string]*SourceConfig   `yaml:"sources"`
	Clients      EntityBlocks               `yaml:"clients"`
	ServiceTasks EntityBlocks               `yaml:"service_task_relationships"`
	Related      EntityBlocks               `yaml:"related_persons"`
	Addresses    EntityBlocks               `yaml:"client_addresses"`
	Cases        EntityBlocks               `yaml:"cases"`
	CaseMembers  EntityBlocks               `yaml:"case_members"`
	Documents    EntityBlocks               `yaml:"documents"`
}

// EntityBlocks are the source blocks of one entity: one block (a mapping),
// or a list of blocks when the entity is read from several sources.
type EntityBlocks []*EntityConfig

// UnmarshalYAML accepts one block or a sequence of blocks.
func (b *EntityBlocks) UnmarshalYAML(n ast.Node) error {
	switch v := n.(type) {
	case *ast.NullNode:
		*b = nil
		return nil
	case *ast.SequenceNode:
		out := make(EntityBlocks, 0, len(v.Values))
		for _, item := range v.Values {
			ec := &EntityConfig{}
			if err := ec.UnmarshalYAML(item); err != nil {
				return err
			}
			out = append(out, ec)
		}
		*b = out
		return nil
	}
	ec := &EntityConfig{}
	if err := ec.UnmarshalYAML(n); err != nil {
		return err
	}
	*b = EntityBlocks{ec}
	return nil
}

// OrgConfig names an organisation by OID and name.
type OrgConfig struct {
	OID  string `yaml:"oid"`
	Name string `yaml:"name"`
	pos  Pos
}

// UnmarshalYAML records the position, then decodes strictly.
func (o *OrgConfig) UnmarshalYAML(n ast.Node) error {
	type plain OrgConfig
	if err := yaml.NodeToValue(n, (*plain)(o), yaml.Strict()); err != nil {
		return err
	}
	o.pos = posOf(n)
	return nil
}

// SoftwareConfig names the migration software in softwareSupport.
type SoftwareConfig struct {
	Moderator string `yaml:"moderator"`
	Product   string `yaml:"product"`
	Version   string `yaml:"version"`
}

// OrganisationConfig holds the constants of the organisation doing the migration.
type OrganisationConfig struct {
	Custodian   *OrgConfig      `yaml:"custodian"`
	Organiser   *OrgConfig      `yaml:"organiser"`
	ServiceUnit *OrgConfig      `yaml:"service_unit"`
	OIDRoot     string          `yaml:"oid_root"`
	Software    *SoftwareConfig `yaml:"software"`
}

// CodeSetConfig loads a code-set file exported from the national code
// server (set and file, with version for a national CSV export), or a
// folder of them (dir).
type CodeSetConfig struct {
	Set     string `yaml:"set"`
	File    string `yaml:"file"`
	Version string `yaml:"version"`
	Dir     string `yaml:"dir"`
	pos     Pos
}

// UnmarshalYAML records the position, then decodes strictly.
func (c *CodeSetConfig) UnmarshalYAML(n ast.Node) error {
	type plain CodeSetConfig
	if err := yaml.NodeToValue(n, (*plain)(c), yaml.Strict()); err != nil {
		return err
	}
	c.pos = posOf(n)
	return nil
}

// ValueMapConfig maps legacy codes onto one national code set.
type ValueMapConfig struct {
	CodeSet  string            `yaml:"code_set"`
	Values   map[string]string `yaml:"values"`
	Fallback string            `yaml:"fallback"`

	pos         Pos
	valueNodes  map[string]ast.Node
	fallbackPos Pos
	setPos      Pos
}

// UnmarshalYAML keeps the position of every value so a code outside its code
// set can be pointed at.
func (v *ValueMapConfig) UnmarshalYAML(n ast.Node) error {
	type plain ValueMapConfig
	if err := yaml.NodeToValue(n, (*plain)(v), yaml.Strict()); err != nil {
		return err
	}
	v.pos = posOf(n)
	v.valueNodes = map[string]ast.Node{}
	if m, ok := n.(*ast.MappingNode); ok {
		for _, kv := range m.Values {
			switch kv.Key.String() {
			case "values":
				if vm, ok := kv.Value.(*ast.MappingNode); ok {
					for _, e := range vm.Values {
						v.valueNodes[unquote(e.Key.String())] = e.Value
					}
				}
			case "fallback":
				v.fallbackPos = posOf(kv.Value)
			case "code_set":
				v.setPos = posOf(kv.Value)
			}
		}
	}
	return nil
}

func unquote(s string) string {
	if len(s) >= 2 && (s[0] == '"' || s[0] == '\'') && s[len(s)-1] == s[0] {
		return s[1 : len(s)-1]
	}
	return s
}

// SourceConfig says where an entity's records come from.
type SourceConfig struct {
	Kind      string            `yaml:"kind"`
	File      string            `yaml:"file"`
	Delimiter string            `yaml:"delimiter"`
	Encoding  string            `yaml:"encoding"`
	NoHeader  bool              `yaml:"no_header"`
	Sheet     string            `yaml:"sheet"`
	HeaderRow int               `yaml:"header_row"`
	Record    string            `yaml:"record"`
	DSNEnv    string            `yaml:"dsn_env"`
	Query     string            `yaml:"query"`
	Table     string            `yaml:"table"`
	Columns   []string          `yaml:"columns"`
	Where     string            `yaml:"where"`
	Encodings map[string]string `yaml:"encodings"`
	pos       Pos
	kindPos   Pos
	filePos   Pos
	keys      []string          // the options given, in order
	keyPos    map[string]Pos    // where each option's value is
	options   map[string]string // every scalar option, as text, for the kind
}

// posOf returns the position of an option's value, or of the source.
func (s *SourceConfig) optionPos(option string) Pos {
	if p, ok := s.keyPos[option]; ok {
		return p
	}
	return s.pos
}

// UnmarshalYAML records positions and every scalar option as text, then
// decodes the options it knows. It is not strict about keys: which options
// a source takes is its kind's to say (extract.Kind.Options), and
// compileSource refuses the others at their positions, so that a new kind
// needs no change here.
func (s *SourceConfig) UnmarshalYAML(n ast.Node) error {
	type plain SourceConfig
	if err := yaml.NodeToValue(n, (*plain)(s)); err != nil {
		return err
	}
	s.options = map[string]string{}
	s.pos = posOf(n)
	s.kindPos, s.filePos = s.pos, s.pos
	s.keyPos = map[string]Pos{}
	if m, ok := n.(*ast.MappingNode); ok {
		for _, kv := range m.Values {
			key := kv.Key.String()
			s.keys = append(s.keys, key)
			s.keyPos[key] = posOf(kv.Value)
			if sc, ok := kv.Value.(ast.ScalarNode); ok {
				s.options[key] = fmt.Sprint(sc.GetValue())
			}
			switch key {
			case "kind":
				s.kindPos = posOf(kv.Value)
			case "file":
				s.filePos = posOf(kv.Value)
			}
		}
	}
	return nil
}

// EntityConfig maps one source onto one entity.
type EntityConfig struct {
	Source     string     `yaml:"source"`
	Key        StringList `yaml:"key"`
	Fields     FieldMap   `yaml:"fields"`
	Structured FieldMap   `yaml:"structured"`
	// WithoutCase says what becomes of a document that names no case
	// (documents only).
	WithoutCase    *WithoutCaseConfig `yaml:"without_case"`
	pos            Pos
	withoutCasePos Pos
	sourcePos      Pos
	keyPos         Pos
	fieldsPos      Pos
	structPos      Pos
}

// UnmarshalYAML records positions, then decodes strictly.
func (e *EntityConfig) UnmarshalYAML(n ast.Node) error {
	type plain EntityConfig
	if err := yaml.NodeToValue(n, (*plain)(e), yaml.Strict()); err != nil {
		return err
	}
	e.pos = posOf(n)
	e.sourcePos, e.keyPos, e.fieldsPos, e.structPos = e.pos, e.pos, e.pos, e.pos
	if m, ok := n.(*ast.MappingNode); ok {
		for _, kv := range m.Values {
			switch kv.Key.String() {
			case "source":
				e.sourcePos = posOf(kv.Value)
			case "key":
				e.keyPos = posOf(kv.Value)
			case "without_case":
				e.withoutCasePos = posOf(kv.Value)
			case "fields":
				e.fieldsPos = posOf(kv.Key)
			case "structured":
				e.structPos = posOf(kv.Key)
			}
		}
	}
	return nil
}

// WithoutCaseConfig is what becomes of documents without a case: rejected
// (action reject, the default), or collected into one case per client and
// service task made for the migration (action collect), named 99 (Muu)
// with the free text name_other and given the case status status.
type WithoutCaseConfig struct {
	Action    string `yaml:"action"`
	NameOther string `yaml:"name_other"`
	Status    string `yaml:"status"`
}

// FieldMap is target field -> how to fill it, in file order.
type FieldMap struct {
	Names []string
	Specs map[string]*FieldSpec
	keyAt map[string]Pos
}

// UnmarshalYAML decodes each field spec and remembers where its name stands.
func (f *FieldMap) UnmarshalYAML(n ast.Node) error {
	m, ok := n.(*ast.MappingNode)
	if !ok {
		if _, isNull := n.(*ast.NullNode); isNull {
			return nil
		}
		return errAt(n, "write one target field per line: `target: column`", "fields must be a mapping of target field to source column")
	}
	f.Specs = map[string]*FieldSpec{}
	f.keyAt = map[string]Pos{}
	for _, kv := range m.Values {
		name := unquote(kv.Key.String())
		if _, dup := f.Specs[name]; dup {
			return errAt(kv.Key, "remove one of them", "target field %q is mapped twice", name)
		}
		spec := &FieldSpec{}
		if err := spec.UnmarshalYAML(kv.Value); err != nil {
			return err
		}
		f.Names = append(f.Names, name)
		f.Specs[name] = spec
		f.keyAt[name] = posOf(kv.Key)
	}
	return nil
}

// FieldSpec says how to fill one target field. Written as a plain string it is
// the name of the source column.
type FieldSpec struct {
	From    StringList `yaml:"from"`
	Join    *string    `yaml:"join"`
	Value   *string    `yaml:"value"`
	Trim    *bool      `yaml:"trim"`
	Date    StringList `yaml:"date"`
	Map     string     `yaml:"map"`
	Split   string     `yaml:"split"`
	Default *string    `yaml:"default"`
	True    StringList `yaml:"true_values"`
	// FirstOf takes the first of its columns that is not empty.
	FirstOf StringList `yaml:"first_of"`
	// IfPresent and IfEmpty make a value from whether the columns hold
	// one: a status from a closing date, say.
	IfPresent *string `yaml:"if_present"`
	IfEmpty   *string `yaml:"if_empty"`
	// NamePart takes one part of a whole name held in one column, split
	// by NameOrder (family-first: "Family Given Names"; given-first:
	// "Given Names Family"; a comma always ends the family name).
	NamePart  string `yaml:"name_part"`
	NameOrder string `yaml:"name_order"`
	// Derive names where an empty value is taken from instead:
	// earliest_period, for a relationship start (the earliest of its
	// client's service-task periods).
	Derive string `yaml:"derive"`
	// Source names the source of the records a reference field (client,
	// case, clients, replaces, related_cases) refers to, when their entity
	// is read from several sources.
	Source    string `yaml:"source"`
	pos       Pos
	mapPos    Pos
	valPos    Pos
	sourcePos Pos
}

// UnmarshalYAML accepts a column name or a mapping of options.
func (s *FieldSpec) UnmarshalYAML(n ast.Node) error {
	s.pos = posOf(n)
	s.mapPos, s.valPos, s.sourcePos = s.pos, s.pos, s.pos
	switch v := n.(type) {
	case *ast.StringNode, *ast.IntegerNode, *ast.LiteralNode:
		s.From = StringList{unquote(v.String())}
		return nil
	case *ast.MappingNode:
		type plain FieldSpec
		if err := yaml.NodeToValue(n, (*plain)(s), yaml.Strict()); err != nil {
			return err
		}
		s.pos = posOf(n)
		for _, kv := range v.Values {
			switch kv.Key.String() {
			case "map":
				s.mapPos = posOf(kv.Value)
			case "value":
				s.valPos = posOf(kv.Value)
			case "source":
				s.sourcePos = posOf(kv.Value)
			}
		}
		return nil
	}
	return errAt(n, "write the source column name, or a mapping with from:, date:, map: ...", "a field must be a column name or a mapping")
}

// StringList is one string or a list of strings.
type StringList []string

// UnmarshalYAML accepts a scalar or a sequence.
func (l *StringList) UnmarshalYAML(n ast.Node) error {
	switch v := n.(type) {
	case *ast.SequenceNode:
		var out []string
		if err := yaml.NodeToValue(n, &out, yaml.Strict()); err != nil {
			return err
		}
		*l = out
	case *ast.NullNode:
		*l = nil
	case *ast.MappingNode:
		return errAt(n, "", "expected a string or a list of strings")
	default:
		*l = StringList{unquote(v.String())}
	}
	return nil
}

// ServiceRequestsConfig states the service requests no source confirms; an
// empty one is inferred (transform.InferredServiceRequest) and the report
// counts every document sent with it.
type ServiceRequestsConfig struct {
	CaseDocument     string `yaml:"case_document"`
	ReplacingVersion string `yaml:"replacing_version"`
}

// ErrorBudgetConfig is the error budget as written: per entity a count or a
// share of rejects, and rules any reject of which stops a run.
type ErrorBudgetConfig struct {
	Rejected map[string]string `yaml:"rejected"`
	StopOn   []string          `yaml:"stop_on"`
	pos      Pos
	keyPos   map[string]Pos // entity -> its limit's position
	rulePos  []Pos          // stop_on[i]'s position
}

// UnmarshalYAML decodes strictly and records where each part is written.
func (c *ErrorBudgetConfig) UnmarshalYAML(n ast.Node) error {
	type plain ErrorBudgetConfig
	if err := yaml.NodeToValue(n, (*plain)(c), yaml.Strict()); err != nil {
		return err
	}
	c.pos, c.keyPos = posOf(n), map[string]Pos{}
	if m, ok := n.(*ast.MappingNode); ok {
		for _, kv := range m.Values {
			switch kv.Key.String() {
			case "rejected":
				if sub, ok := kv.Value.(*ast.MappingNode); ok {
					for _, e := range sub.Values {
						c.keyPos[e.Key.String()] = posOf(e.Value)
					}
				}
			case "stop_on":
				if seq, ok := kv.Value.(*ast.SequenceNode); ok {
					for _, v := range seq.Values {
						c.rulePos = append(c.rulePos, posOf(v))
					}
				}
			}
		}
	}
	return nil
}
