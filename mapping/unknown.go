package mapping

import (
	"fmt"
	"reflect"
	"sort"
	"strings"

	"github.com/goccy/go-yaml/ast"
	"github.com/goccy/go-yaml/parser"

	"github.com/kantamig/kantamig/entity"
)

// unknownKeys finds every key of the file that no level of the mapping
// language knows, before the strict decoder stops at the first: a new user's
// misspellings all come back at once, each at its position with the nearest
// known key. The known keys are read from the Config types' yaml tags and
// the kinds' keys (package entity), so the two cannot drift apart. A source's options are its kind's to know
// (compileSource checks them).
func unknownKeys(data []byte) Errors {
	f, err := parser.ParseBytes(data, 0)
	if err != nil || len(f.Docs) == 0 {
		return nil // the decoder reports syntax errors with their positions
	}
	var errs Errors
	walkKeys(f.Docs[0].Body, reflect.TypeOf(Config{}), "the top level", &errs)
	sort.SliceStable(errs, func(i, j int) bool {
		a, b := errs[i].Pos, errs[j].Pos
		return a.Line < b.Line || (a.Line == b.Line && a.Column < b.Column)
	})
	return errs
}

var (
	configType       = reflect.TypeOf(Config{})
	sourceConfigType = reflect.TypeOf(SourceConfig{})
	fieldMapType     = reflect.TypeOf(FieldMap{})
	fieldSpecType    = reflect.TypeOf(FieldSpec{})
	entityBlocksType = reflect.TypeOf(EntityBlocks{})
	entityConfigType = reflect.TypeOf(EntityConfig{})
	stringListType   = reflect.TypeOf(StringList{})
)

func walkKeys(n ast.Node, t reflect.Type, where string, errs *Errors) {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if a, ok := n.(*ast.AnchorNode); ok {
		n = a.Value
	}
	switch t {
	case sourceConfigType, stringListType:
		return
	case fieldMapType:
		if m, ok := n.(*ast.MappingNode); ok {
			for _, kv := range m.Values {
				walkKeys(kv.Value, fieldSpecType, where+"."+unquote(kv.Key.String()), errs)
			}
		}
		return
	case entityBlocksType:
		if s, ok := n.(*ast.SequenceNode); ok {
			for _, item := range s.Values {
				walkKeys(item, entityConfigType, where, errs)
			}
			return
		}
		walkKeys(n, entityConfigType, where, errs)
		return
	}
	switch t.Kind() {
	case reflect.Struct:
		m, ok := n.(*ast.MappingNode)
		if !ok {
			return
		}
		fields := map[string]reflect.Type{}
		var names []string
		for i := range t.NumField() {
			name, _, _ := strings.Cut(t.Field(i).Tag.Get("yaml"), ",")
			if name != "" && name != "-" {
				fields[name] = t.Field(i).Type
				names = append(names, name)
			}
		}
		if t == configType {
			for _, k := range entity.Kinds {
				fields[k.Key] = entityBlocksType
				names = append(names, k.Key)
			}
		}
		for _, kv := range m.Values {
			key := unquote(kv.Key.String())
			ft, known := fields[key]
			switch {
			case key == "<<":
			case !known:
				*errs = append(*errs, &Error{Pos: posOf(kv.Key), Msg: fmt.Sprintf("%s: unknown field %q", where, key), Hint: suggest(key, names, "the fields here")})
			default:
				inner := key
				if where != "the top level" {
					inner = where + "." + key
				}
				walkKeys(kv.Value, ft, inner, errs)
			}
		}
	case reflect.Map:
		if m, ok := n.(*ast.MappingNode); ok {
			for _, kv := range m.Values {
				walkKeys(kv.Value, t.Elem(), where+"."+unquote(kv.Key.String()), errs)
			}
		}
	case reflect.Slice:
		if s, ok := n.(*ast.SequenceNode); ok {
			for _, item := range s.Values {
				walkKeys(item, t.Elem(), where, errs)
			}
		}
	}
}
