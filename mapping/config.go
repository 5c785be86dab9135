package mapping

import (
	"fmt"

	"github.com/goccy/go-yaml"
	"github.com/goccy/go-yaml/ast"

	"github.com/kantamig/kantamig/entity"
)

// Config is a mapping file as written.
type Config struct {
	Version      int                `yaml:"version" jsonschema_description:"the mapping language's version: '1'"`
	System       string             `yaml:"system" jsonschema_description:"the legacy system's name, for the report"`
	Organisation OrganisationConfig `yaml:"organisation" jsonschema_description:"the organisation migrating, below"`
	Cutoff       string             `yaml:"cutoff" jsonschema_description:"the day the organisation joined the archive, 'YYYY-MM-DD': records created on or after it are skipped"`
	Timezone     string             `yaml:"timezone" jsonschema_description:"the IANA zone of the legacy system's local times (default 'Europe/Helsinki')"`
	// TestRehearsal lets placeholder codes through (counted in the report);
	// without it a code that is not national is refused.
	TestRehearsal bool `yaml:"test_rehearsal" jsonschema_description:"'true' lets placeholder codes (not national, see Code sets) into documents, each document counted in the report; never for the real archive. Default 'false': check and the dry-run refuse them"`
	// DisplayOnlyDocuments states that client documents of a type with no
	// Sosmeta structure mapped go with the display form only.
	DisplayOnlyDocuments bool `yaml:"display_only_documents" jsonschema_description:"'true' archives a client document whose type has no Sosmeta structure (no specific type with a national schema) with the display form only, as an unstructured legacy document: an inference, each such document counted and listed in the report ('display-only'). Default 'false': such a document is rejected ('no-structure'), so that the choice is made, not fallen into"`
	// PDFADocuments states that a document whose body is a PDF or a TIFF
	// scan is carried as PDF/A-1b (package pdfa).
	PDFADocuments bool `yaml:"pdfa_documents" jsonschema_description:"'true' carries a document whose body is a PDF or a TIFF scan (text_format pdf, tiff, or auto) as PDF/A-1b: a PDF already valid is carried as it is, others converted with Ghostscript and validated with Apache PDFBox Preflight (both must be installed); one that cannot be made valid is rejected ('pdfa-invalid'). An inference (the archive's PDF/A storage form is not specified in hand), each such document counted and listed ('pdfa'). Default 'false': such a document is rejected ('no-pdfa-route')"`
	// ServiceRequests are the service requests (1.2.246.537.6.1503) of the
	// messages no source confirms: case documents and replacing versions.
	ServiceRequests ServiceRequestsConfig `yaml:"service_requests" jsonschema_description:"the service requests (1.2.246.537.6.1503) of the messages no source confirms one for: 'case_document' (a case document's message) and 'replacing_version' (a replacing version's). Not given, each is SP17 ('Asiakasasiakirjan arkistointi', as a client document), an inference: the report counts every document sent so ('inferred-service-request', Summary 'Sent with an inferred service request'). SP1 (client relationships) and SP17 (first versions of client documents) are confirmed by the real frames"`
	// ErrorBudget says how much may be rejected before a run stops.
	ErrorBudget *ErrorBudgetConfig         `yaml:"error_budget" jsonschema_description:"how much may be rejected before a run stops (see Error budget): 'rejected', per entity a count ('20') or a share of its records ('2%'), and 'stop_on', rules any reject of which stops the run. Not given: rejects are reported and the run goes on"`
	CodeSets    []*CodeSetConfig           `yaml:"codesets" jsonschema_description:"a list of national code-set exports to load, each with 'set' (the code set's name), 'file' and, for a CSV export, 'version' (its versioned OID); or 'dir', a folder of exports (see Code sets)"`
	ValueMaps   map[string]*ValueMapConfig `yaml:"value_maps" jsonschema_description:"the legacy codes' translations, by name (see Value maps)"`
	Sources     map[string]*SourceConfig   `yaml:"sources" jsonschema_description:"the exports and databases, by name (see Sources)"`
	// Entities are each kind's blocks, under the kind's key (package
	// entity); decoded by UnmarshalYAML, described by Schema.
	Entities map[string]EntityBlocks `yaml:"-"`
}

// UnmarshalYAML decodes each kind's blocks under its key, and the rest of
// the file strictly, as the types above say.
func (c *Config) UnmarshalYAML(n ast.Node) error {
	type plain Config
	m, ok := n.(*ast.MappingNode)
	if !ok {
		if kv, one := n.(*ast.MappingValueNode); one {
			m = &ast.MappingNode{BaseNode: kv.BaseNode, Start: kv.Start, Values: []*ast.MappingValueNode{kv}}
		} else {
			return yaml.NodeToValue(n, (*plain)(c), yaml.Strict())
		}
	}
	rest := *m
	rest.Values = nil
	c.Entities = map[string]EntityBlocks{}
	for _, kv := range m.Values {
		key := unquote(kv.Key.String())
		if !isKindKey(key) {
			rest.Values = append(rest.Values, kv)
			continue
		}
		var blocks EntityBlocks
		if err := blocks.UnmarshalYAML(kv.Value); err != nil {
			return err
		}
		c.Entities[key] = blocks
	}
	entities := c.Entities
	if err := yaml.NodeToValue(&rest, (*plain)(c), yaml.Strict()); err != nil {
		return err
	}
	c.Entities = entities
	return nil
}

// isKindKey says whether a top-level key is a kind's.
func isKindKey(key string) bool {
	for _, k := range entity.Kinds {
		if k.Key == key {
			return true
		}
	}
	return false
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
	Name string `yaml:"name" jsonschema_description:"case name (1.2.246.537.6.1265)"`
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
	Moderator string `yaml:"moderator" jsonschema_description:"who maintains the migration software, for softwareSupport"`
	Product   string `yaml:"product" jsonschema_description:"the migration software's name, for softwareSupport"`
	Version   string `yaml:"version" jsonschema_description:"the mapping language's version: '1'"`
}

// OrganisationConfig holds the constants of the organisation doing the migration.
type OrganisationConfig struct {
	Custodian   *OrgConfig      `yaml:"custodian" jsonschema_description:"'{oid, name}': the register keeper (rekisterinpitäjä), who signs; required"`
	Organiser   *OrgConfig      `yaml:"organiser" jsonschema_description:"'{oid, name}': the service organiser (palvelunjärjestäjä); defaults to the custodian"`
	ServiceUnit *OrgConfig      `yaml:"service_unit" jsonschema_description:"'{oid, name}': the service unit of the records that name none ('service_unit_oid'); required"`
	OIDRoot     string          `yaml:"oid_root" jsonschema_description:"an OID of the organisation's own under which kantamig mints the identifiers of relationships, cases, documents and messages; required, and never shared by two runs"`
	Software    *SoftwareConfig `yaml:"software" jsonschema_description:"the migration software named in the documents' header: 'moderator', 'product', 'version'"`
}

// CodeSetConfig loads a code-set file exported from the national code
// server (set and file, with version for a national CSV export), or a
// folder of them (dir).
type CodeSetConfig struct {
	Set     string `yaml:"set" jsonschema_description:"the code set a file exports (service-task, case-name, case-status, municipality, ...)"`
	File    string `yaml:"file" jsonschema_description:"the export file, relative to the mapping file"`
	Version string `yaml:"version" jsonschema_description:"the mapping language's version: '1'"`
	Dir     string `yaml:"dir" jsonschema_description:"a folder of national code-set exports, each loaded by its own name"`
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
	CodeSet  string            `yaml:"code_set" jsonschema_description:"the national code set, by name (below) or OID"`
	Values   map[string]string `yaml:"values" jsonschema_description:"legacy value -> national code; each national code is checked against the code set"`
	Fallback string            `yaml:"fallback" jsonschema_description:"what an unmapped legacy value becomes: 'reject' (default: the record is rejected), 'none' (the field is left empty; not allowed for required fields) or a national code (used, with a warning). Unmapped values are listed in the report with their count and an example locator."`

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
	Kind      string            `yaml:"kind" jsonschema_description:"'csv', 'xlsx', 'xml', 'mysql' (MySQL, MariaDB) or 'mssql' (SQL Server). A source takes only the options of its kind; any other is refused at its line and column."`
	File      string            `yaml:"file" jsonschema_description:"the export file, relative to the mapping file"`
	Delimiter string            `yaml:"delimiter" jsonschema_description:"one character; default ','"`
	Encoding  string            `yaml:"encoding" jsonschema_description:"'utf-8' (default), 'windows-1252', 'iso-8859-1', 'iso-8859-15'. A UTF-8 file with invalid bytes is not repaired: the records that carry them are rejected with a reason that suggests the right encoding. XML files declare their encoding in their prolog."`
	NoHeader  bool              `yaml:"no_header" jsonschema_description:"the file has no header row; columns are named '1', '2', ..."`
	Sheet     string            `yaml:"sheet" jsonschema_description:"sheet name; default the first sheet"`
	HeaderRow int               `yaml:"header_row" jsonschema_description:"1-based row of the column names; default 1. Blank rows are skipped."`
	Record    string            `yaml:"record" jsonschema_description:"element path of one record, e.g. '/export/documents/document'"`
	DSNEnv    string            `yaml:"dsn_env" jsonschema_description:"the environment variable that holds the connection string; the string itself never goes in the mapping file, a log or an error message"`
	Query     string            `yaml:"query" jsonschema_description:"a SELECT whose columns are the fields. Read every record: kantamig applies the cut-off itself and reports what it skips; ':cutoff' in the query is bound to the cut-off date, but a condition on a date loses the rows whose date is NULL without a trace, and 'check' warns of it"`
	Table     string            `yaml:"table" jsonschema_description:"a database table to read (instead of query)"`
	Columns   []string          `yaml:"columns" jsonschema_description:"the columns to read from the table (default: every column the mapping names)"`
	Where     string            `yaml:"where" jsonschema_description:"a condition on the table's rows, in the database's SQL"`
	Encodings map[string]string `yaml:"encodings" jsonschema_description:"legacy encodings of binary columns that hold text, e.g. '{sukunimi: windows-1252}'; without one, bytes must be UTF-8 or the record is rejected with the reason"`
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
	Source     string     `yaml:"source" jsonschema_description:"for a field that refers to other records ('client', 'case', 'clients', 'replaces', 'related_cases'): the source of the records it refers to, needed when their entity is read from several sources (see below)"`
	Key        StringList `yaml:"key"`
	Fields     FieldMap   `yaml:"fields" jsonschema_description:"target field: how to fill it"`
	Structured FieldMap   `yaml:"structured" jsonschema_description:"values of its document's structured form, by dotted path ('asiakkuusasiakirja.asiakas.sukunimi'; a number indexes a list)"`
	// WithoutCase says what becomes of a document that names no case
	// (documents only).
	WithoutCase    *WithoutCaseConfig `yaml:"without_case" jsonschema_description:"documents only: what becomes of a document that names no case"`
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
	Action    string `yaml:"action" jsonschema_description:"what becomes of a document without a case: reject (the default) or collect (one case per client and service task, made for the migration)"`
	NameOther string `yaml:"name_other" jsonschema_description:"free text when the name is 99 (Muu)"`
	Status    string `yaml:"status" jsonschema_description:"case status (1.2.246.537.6.1501)"`
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
	From    StringList `yaml:"from" jsonschema_description:"a column, or a list of columns whose non-empty values are joined"`
	Join    *string    `yaml:"join" jsonschema_description:"the separator for 'from' lists; default a space"`
	Value   *string    `yaml:"value" jsonschema_description:"a constant instead of 'from'"`
	Trim    *bool      `yaml:"trim" jsonschema_description:"trim white space; default 'true' (set 'false' for texts whose layout matters)"`
	Date    StringList `yaml:"date" jsonschema_description:"date patterns tried in order, e.g. 'dd.MM.yyyy' or '[d.M.yyyy, yyyy-MM-dd HH:mm]'; letters 'yyyy yy MM M dd d HH mm ss'. ISO 8601 is always accepted too. A number is a date only where the patterns include 'excel': the column holds Excel serial day numbers (a text export of a workbook; Excel's 1900 system, a fraction for the time of day, converted as Excel shows it). A workbook's own date cells (a number with a date format) need no pattern: the xlsx source gives them as ISO dates, in the workbook's 1900 or 1904 date system, and its other numbers stay numbers ('2020' in a 'dd.MM.yyyy' column is a 'date' reject, not 12 July 1905). Local times are in 'timezone'; one in the hour summer time skips or repeats is read as one instant and warned 'local-time'."`
	Map     string     `yaml:"map" jsonschema_description:"a value map to translate legacy codes; without one the value must already be a national code"`
	Split   string     `yaml:"split" jsonschema_description:"separator for list fields ('service_tasks', 'social_services', 'clients', 'related_cases'); default ','"`
	Default *string    `yaml:"default" jsonschema_description:"used when the value is empty"`
	True    StringList `yaml:"true_values" jsonschema_description:"for yes/no fields, the values that mean yes; without it '1 true k kyllä y yes x' mean yes and '0 false e ei n no' and empty mean no, anything else rejects the record"`
	// FirstOf takes the first of its columns that is not empty.
	FirstOf StringList `yaml:"first_of" jsonschema_description:"a list of columns: the first one that is not empty (instead of 'from'; where SQL would say 'COALESCE')"`
	// IfPresent and IfEmpty make a value from whether the columns hold
	// one: a status from a closing date, say.
	IfPresent *string `yaml:"if_present" jsonschema_description:"the value when the columns hold one"`
	IfEmpty   *string `yaml:"if_empty" jsonschema_description:"the value when the columns hold none (a status from a missing closing date, say)"`
	// NamePart takes one part of a whole name held in one column, split
	// by NameOrder (family-first: "Family Given Names"; given-first:
	// "Given Names Family"; a comma always ends the family name).
	NamePart  string `yaml:"name_part" jsonschema_description:"which part of a whole name held in one column: family or given"`
	NameOrder string `yaml:"name_order" jsonschema_description:"how a whole name held in one column is ordered: family-first or given-first (a comma always ends the family name)"`
	// Derive names where an empty value is taken from instead:
	// earliest_period, for a relationship start (the earliest of its
	// client's service-task periods).
	Derive string `yaml:"derive" jsonschema_description:"'earliest_period', for 'clients.relationship_start' only: when the client record gives no start (or the field has no 'from'), the start of the client's earliest migrated service-task period (where SQL would say 'MIN(...)' in a subquery); the cut-off applies to it as to a start of its own, and a client left with no period is rejected 'missing-date'"`
	// FileRoot, Base64 and Binary read a document's text as bytes: a file
	// the column names under a folder, Base64 in the column, or the
	// column's bytes as they are (a BLOB). LengthFrom names a column with
	// the source's own length of the value.
	FileRoot string `yaml:"file_root" jsonschema_description:"documents' 'text' only: the column names a file under this folder (relative to the mapping file); the file's bytes are the text, read in its text_format. A path leading outside the folder is rejected 'file-outside-root', a missing file 'file-missing'"`
	Base64   *bool  `yaml:"base64" jsonschema_description:"documents' 'text' only: 'true' when the column holds the text's bytes in Base64 (an XML export of a BLOB)"`
	Binary   *bool  `yaml:"binary" jsonschema_description:"documents' 'text' only: 'true' when the column holds bytes as they are (a BLOB or VARBINARY column): no UTF-8 check, the bytes read in their text_format"`
	// Markup reads a structured: value held as RTF or HTML as its plain
	// text.
	Markup string `yaml:"markup" jsonschema_description:"'structured:' values only: 'rtf', 'html' or 'auto' when the column holds rich text; the structured form carries its plain text (paragraphs, line breaks), never the markup. One that cannot be read is rejected 'body-unreadable'"`
	// Encoding is the character set of plain text read as bytes that is
	// not UTF-8 (a .txt file on a share written in Windows-1252).
	Encoding   string `yaml:"encoding" jsonschema_description:"documents' 'text' read as bytes only (file_root, base64, binary): the character set of plain text that is not UTF-8, e.g. windows-1252 (utf-8, windows-1252, iso-8859-1, iso-8859-15); RTF, HTML, Word files and scans say their own and are read as they say"`
	LengthFrom string `yaml:"length_from" jsonschema_description:"documents' 'text' only: a column with the source's own length of the value in bytes (SQL LENGTH or DATALENGTH, a file size): a value of another length is rejected 'truncated'"`
	// Source names the source of the records a reference field (client,
	// case, clients, replaces, related_cases) refers to, when their entity
	// is read from several sources.
	Source    string `yaml:"source" jsonschema_description:"for a field that refers to other records ('client', 'case', 'clients', 'replaces', 'related_cases'): the source of the records it refers to, needed when their entity is read from several sources (see below)"`
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
	CaseDocument     string `yaml:"case_document" jsonschema_description:"the service request (1.2.246.537.6.1503) of case documents, which no source confirms"`
	ReplacingVersion string `yaml:"replacing_version" jsonschema_description:"the service request of a replacing version's message"`
}

// ErrorBudgetConfig is the error budget as written: per entity a count or a
// share of rejects, and rules any reject of which stops a run.
type ErrorBudgetConfig struct {
	Rejected map[string]string `yaml:"rejected" jsonschema_description:"per entity, how many records may be rejected: a count (20) or a share of its records (2%)"`
	StopOn   []string          `yaml:"stop_on" jsonschema_description:"rules any reject of which stops the run (archive-rejected counts the archive's refusals)"`
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
