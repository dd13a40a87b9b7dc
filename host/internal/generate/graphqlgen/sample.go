package graphqlgen

import (
	"strings"
	"unicode"

	"github.com/vektah/gqlparser/v2/ast"
)

// Sample payloads: leaves are $.fake.* templates chosen by the field's
// type and name (rendered afresh on every call), objects have every field,
// lists two elements. Object nesting stops at maxDepth and the whole
// payload at valueBudget values, so a large schema (a GitHub-sized one,
// whose types all point at each other) still gives small mocks; past
// either limit a nullable object field is left out (null) and a non-null
// one gets only its leaf fields.

const (
	maxDepth    = 3
	valueBudget = 1500
)

type sampler struct {
	schema *ast.Schema
	budget int
}

// value is a sample of type t for a field called name.
func (s *sampler) value(t *ast.Type, name string, depth int) any {
	s.budget--
	if t.Elem != nil {
		n := 2
		if s.budget <= 0 {
			n = 1
		}
		out := make([]any, n)
		for i := range out {
			out[i] = s.value(t.Elem, name, depth)
		}
		return out
	}
	def := s.schema.Types[t.NamedType]
	if def == nil {
		return nil
	}
	switch def.Kind {
	case ast.Scalar:
		return scalar(def.Name, name)
	case ast.Enum:
		if len(def.EnumValues) > 0 {
			return def.EnumValues[0].Name
		}
		return nil
	case ast.Object, ast.Interface, ast.Union:
		return s.object(def, depth, false)
	}
	return nil // input objects are never output
}

// object samples an object type; for an interface or a union, its first
// object type, with __typename so the listener knows which it is. leaves
// keeps only the leaf fields.
func (s *sampler) object(def *ast.Definition, depth int, leaves bool) map[string]any {
	concrete, abstract := def, def.IsAbstractType()
	if abstract {
		concrete = s.firstObject(def)
		if concrete == nil {
			return map[string]any{}
		}
	}
	out := make(map[string]any, len(concrete.Fields)+1)
	if abstract {
		out["__typename"] = concrete.Name
	}
	for _, f := range concrete.Fields {
		if strings.HasPrefix(f.Name, "__") {
			continue
		}
		s.budget-- // every member counts, empty lists too
		fd := s.schema.Types[f.Type.Name()]
		if fd == nil || !fd.IsCompositeType() {
			out[f.Name] = s.value(f.Type, f.Name, depth)
			continue
		}
		switch {
		case !leaves && depth+1 < maxDepth && s.budget > 0:
			out[f.Name] = s.value(f.Type, f.Name, depth+1)
		case f.Type.NonNull && f.Type.Elem != nil:
			out[f.Name] = []any{} // an empty list is a valid non-null list
		case f.Type.NonNull:
			out[f.Name] = s.object(fd, depth+1, true)
		}
	}
	return out
}

// firstObject is the first object type of an interface or union (in SDL
// order).
func (s *sampler) firstObject(def *ast.Definition) *ast.Definition {
	if def.Kind == ast.Union {
		for _, n := range def.Types {
			if t := s.schema.Types[n]; t != nil && t.Kind == ast.Object {
				return t
			}
		}
		return nil
	}
	for _, p := range s.schema.GetPossibleTypes(def) {
		if p.Kind == ast.Object {
			return p
		}
	}
	return nil
}

// scalar is a leaf value: a faker by type and field name; custom scalars
// are strings, chosen by the scalar's name, else the field's.
func scalar(typeName, field string) any {
	words := splitWords(field)
	switch typeName {
	case "ID":
		return "$.fake.UUID"
	case "Boolean":
		return "$.fake.Bool"
	case "Int":
		return pick(words, intRules, "$.fake.IntBetween(1, 1000)")
	case "Float":
		return pick(words, floatRules, "$.fake.FloatRange(0, 1000)")
	case "String":
		return pick(words, stringRules, "$.fake.Word")
	}
	if v := pick(splitWords(typeName), customRules, ""); v != "" {
		return v
	}
	return pick(words, stringRules, "$.fake.Word")
}

// rule maps phrases (space-separated words; "$" at the end: only as the
// name's last word) to a value.
type rule struct {
	phrases string
	value   string
}

var stringRules = []rule{
	{"email,mail", "$.fake.Email"},
	{"uuid,guid", "$.fake.UUID"},
	{"first name,given name,firstname", "$.fake.FirstName"},
	{"last name,family name,surname,lastname", "$.fake.LastName"},
	{"full name,display name", "$.fake.Name"},
	{"username,user name,login,nickname,handle", "$.fake.Username"},
	{"phone,mobile,tel", "$.fake.Phone"},
	{"city,town", "$.fake.City"},
	{"country code", "$.fake.CountryCode"},
	{"country", "$.fake.Country"},
	{"state,region,province", "$.fake.State"},
	{"zip,postal,postcode", "$.fake.ZipCode"},
	{"street,address", "$.fake.StreetAddress"},
	{"url,uri,link,website,href,homepage,avatar,image", "$.fake.URL"},
	{"domain,host,hostname", "$.fake.DomainName"},
	{"ip", "$.fake.IPv4"},
	{"company,organization,organisation,org", "$.fake.Company"},
	{"job title,job,position,occupation", "$.fake.JobTitle"},
	{"currency", "$.fake.Currency"},
	{"color,colour", "$.fake.Color"},
	{"password,secret", "$.fake.Password"},
	{"token,jwt", "$.fake.JWT"},
	{"date,time,timestamp,at$", "$.fake.DateTimeISO"},
	{"description,summary,comment,commentary,note,message,text,body,content,bio,title,headline,subject", "$.fake.Sentence"},
	{"version", "$.fake.AppVersion"},
	{"name", "$.fake.Name"},
	{"id", "$.fake.UUID"},
}

var intRules = []rule{
	{"age", "$.fake.Age"},
	{"year", "$.fake.IntBetween(1970, 2030)"},
	{"stars,rating,score", "$.fake.IntBetween(1, 5)"},
	{"port", "$.fake.IntBetween(1024, 65535)"},
	{"timestamp,unix,at$", "$.fake.UnixTime"},
	{"count,total,size,length,number,quantity,amount,num", "$.fake.IntBetween(1, 100)"},
	{"id", "$.fake.PositiveInt"},
}

var floatRules = []rule{
	{"lat,latitude", "$.fake.Latitude"},
	{"lng,lon,long,longitude", "$.fake.Longitude"},
	{"price,cost,amount,total,balance,salary,fee", "$.fake.Price"},
	{"percent,percentage,ratio,rate,probability", "$.fake.FloatRange(0, 1)"},
}

var customRules = []rule{
	{"date time,datetime,timestamp,instant,time", "$.fake.DateTimeISO"},
	{"date", "$.fake.DateISO"},
	{"url,uri", "$.fake.URL"},
	{"email", "$.fake.Email"},
	{"uuid,guid", "$.fake.UUID"},
	{"long,big int,bigint,decimal,big decimal,int64", "1234567890"},
}

// pick returns the value of the first rule one of whose phrases is in
// words, else def.
func pick(words []string, rules []rule, def string) string {
	for _, r := range rules {
		for _, phrase := range strings.Split(r.phrases, ",") {
			if hasPhrase(words, phrase) {
				return r.value
			}
		}
	}
	return def
}

// hasPhrase: the phrase's words appear in a row ("$" at the end: as the
// last words).
func hasPhrase(words []string, phrase string) bool {
	last := strings.HasSuffix(phrase, "$")
	want := strings.Fields(strings.TrimSuffix(phrase, "$"))
	for i := 0; i+len(want) <= len(words); i++ {
		if last && i+len(want) != len(words) {
			continue
		}
		match := true
		for j, w := range want {
			if words[i+j] != w {
				match = false
				break
			}
		}
		if match {
			return true
		}
	}
	return false
}

// splitWords splits a name into lower-case words: camelCase, PascalCase,
// snake_case and acronyms ("avatarURL", "HTTPStatus", "created_at").
func splitWords(name string) []string {
	var words []string
	var cur []rune
	flush := func() {
		if len(cur) > 0 {
			words = append(words, strings.ToLower(string(cur)))
			cur = cur[:0]
		}
	}
	rs := []rune(name)
	for i, r := range rs {
		switch {
		case !unicode.IsLetter(r) && !unicode.IsDigit(r):
			flush()
			continue
		case unicode.IsUpper(r) && len(cur) > 0:
			prev := cur[len(cur)-1]
			nextLower := i+1 < len(rs) && unicode.IsLower(rs[i+1])
			if !unicode.IsUpper(prev) || nextLower {
				flush()
			}
		}
		cur = append(cur, r)
	}
	flush()
	return words
}
