package mapping

import (
	"fmt"

	"github.com/goccy/go-yaml/ast"
	"github.com/goccy/go-yaml/parser"
)

// Limits a mapping file must keep before it is decoded. A mapping is a few
// kilobytes of hand-written YAML; these bounds are far above any real one and
// keep a broken or hostile file from taking gigabytes and minutes in the YAML
// parser (deeply nested flow collections are what it is slow on).
const (
	maxMappingBytes = 1 << 20 // 1 MiB
	maxFlowDepth    = 64      // nested [ ] and { }
)

// guardSize and guardDepth check the raw bytes, before the parser sees them.
func guardSize(data []byte) *Error {
	if len(data) > maxMappingBytes {
		return &Error{Pos: Pos{1, 1}, Msg: fmt.Sprintf("the mapping file is %d bytes; the limit is %d", len(data), maxMappingBytes),
			Hint: "a mapping describes sources and fields; keep data (code lists, value lists) in code-set files"}
	}
	return guardDepth(data)
}

// guardDepth finds the first place where flow collections nest deeper than
// maxFlowDepth. Quoted strings and comments are passed over; it is a guard,
// not a parser, and errs only on the side of files no person writes.
func guardDepth(data []byte) *Error {
	depth, line, col := 0, 1, 0
	var quote byte
	comment := false
	for i := 0; i < len(data); i++ {
		ch := data[i]
		col++
		if ch == '\n' { // a quoted scalar may go on over lines: quote stays as it is
			line, col, comment = line+1, 0, false
			continue
		}
		switch {
		case comment:
		case quote != 0:
			if ch == '\\' && quote == '"' {
				i++
				col++
			} else if ch == quote {
				quote = 0
			}
		case ch == '#' && (i == 0 || data[i-1] == ' ' || data[i-1] == '\t' || data[i-1] == '\n'):
			comment = true
		case ch == '"' || ch == '\'':
			quote = ch
		case ch == '[' || ch == '{':
			depth++
			if depth > maxFlowDepth {
				return &Error{Pos: Pos{line, col}, Msg: fmt.Sprintf("collections nest deeper than %d levels here", maxFlowDepth),
					Hint: "a mapping never needs this; the file is probably damaged"}
			}
		case ch == ']' || ch == '}':
			if depth > 0 {
				depth--
			}
		}
	}
	return nil
}

// emptyEntries reports entries of the mapping's collections that are left
// empty (`value_maps: {x: }`, `codesets: [ - ]`, `sources: {s: }`): the
// decoder would hand them on as nothing at all, and each would otherwise be
// a crash or a silently missing part.
func emptyEntries(data []byte) Errors {
	f, err := parser.ParseBytes(data, 0)
	if err != nil || len(f.Docs) == 0 {
		return nil // the decoder reports syntax errors with their positions
	}
	root, ok := f.Docs[0].Body.(*ast.MappingNode)
	if !ok {
		return nil
	}
	var errs Errors
	empty := func(n ast.Node) bool {
		if n == nil {
			return true
		}
		_, isNull := n.(*ast.NullNode)
		return isNull
	}
	add := func(n ast.Node, at ast.Node, what, hint string) {
		pos := posOf(n)
		if pos.Line == 0 {
			pos = posOf(at)
		}
		errs = append(errs, &Error{Pos: pos, Msg: what + " is empty", Hint: hint})
	}
	for _, kv := range root.Values {
		key := kv.Key.String()
		switch key {
		case "value_maps", "sources":
			m, ok := kv.Value.(*ast.MappingNode)
			if !ok {
				continue
			}
			for _, e := range m.Values {
				if empty(e.Value) {
					hint := "give its code_set and values, or remove it"
					if key == "sources" {
						hint = "give its kind and where to read it, or remove it"
					}
					add(e.Value, e.Key, fmt.Sprintf("%s entry %q", key, e.Key.String()), hint)
				}
			}
		case "codesets":
			s, ok := kv.Value.(*ast.SequenceNode)
			if !ok {
				continue
			}
			for _, e := range s.Values {
				if empty(e) {
					add(e, kv.Key, "a codesets entry", "write `- {set: NAME, file: EXPORT.csv}` or remove the line")
				}
			}
		case "organisation":
			m, ok := kv.Value.(*ast.MappingNode)
			if !ok {
				continue
			}
			for _, e := range m.Values {
				if empty(e.Value) {
					add(e.Value, e.Key, fmt.Sprintf("organisation entry %q", e.Key.String()), "give its value, or remove it")
				}
			}
		}
	}
	return errs
}
