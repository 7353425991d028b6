package objects

import (
	"fmt"
	"strconv"
)

// FieldOK walks a decoded JSON or YAML object (a rendered manifest, an object read from the API
// server, chart values) by map keys and, into lists, decimal indexes: FieldOK(obj, "spec",
// "template", "spec", "containers", "0", "args"). ok is false where the path does not exist.
func FieldOK(v any, path ...string) (any, bool) {
	for _, key := range path {
		switch node := v.(type) {
		case map[string]any:
			next, ok := node[key]
			if !ok {
				return nil, false
			}
			v = next
		case Object:
			next, ok := node[key]
			if !ok {
				return nil, false
			}
			v = next
		case []any:
			i, err := strconv.Atoi(key)
			if err != nil || i < 0 || i >= len(node) {
				return nil, false
			}
			v = node[i]
		default:
			return nil, false
		}
	}
	return v, true
}

// Field is FieldOK without ok: nil where the path does not exist.
func Field(v any, path ...string) any {
	out, _ := FieldOK(v, path...)
	return out
}

// Str is Field as a string ("" where it is not one).
func Str(v any, path ...string) string {
	s, _ := Field(v, path...).(string)
	return s
}

// StringMap is Field as a map of strings.
func StringMap(v any, path ...string) map[string]string {
	m, _ := Field(v, path...).(map[string]any)
	out := map[string]string{}
	for k, e := range m {
		out[k] = fmt.Sprint(e)
	}
	return out
}

// List is Field as a list.
func List(v any, path ...string) []any {
	l, _ := Field(v, path...).([]any)
	return l
}
