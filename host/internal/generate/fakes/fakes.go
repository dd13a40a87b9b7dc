// Package fakes picks a $.fake.* template for a generated value by the
// name of its field: every generator (gRPC, GraphQL, MCP, OpenAPI) asks
// here, so a field called "email" gets an e-mail address whatever the
// description it came from.
package fakes

import (
	"strings"
	"unicode"
)

// String is the faker for a text field called name.
func String(name string) string { return pick(Words(name), stringRules, "$.fake.Word") }

// Int is the faker for an integer field called name.
func Int(name string) string {
	return pick(Words(name), intRules, "$.fake.IntBetween(1, 1000)")
}

// Float is the faker for a decimal field called name.
func Float(name string) string {
	return pick(Words(name), floatRules, "$.fake.FloatRange(0, 1000)")
}

// Custom is the faker for a value of a custom scalar type (GraphQL's
// DateTime, URL...), or "" when the type's name says nothing.
func Custom(typeName string) string { return pick(Words(typeName), customRules, "") }

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

// Words splits a name into lower-case words: camelCase, PascalCase,
// snake_case and acronyms ("avatarURL", "HTTPStatus", "created_at").
func Words(name string) []string {
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

// Format is the faker for a string of a JSON Schema format, or "" for a
// format it does not know.
func Format(format string) string {
	switch format {
	case "email", "idn-email":
		return "$.fake.Email"
	case "uuid":
		return "$.fake.UUID"
	case "date-time":
		return "$.fake.DateTimeISO"
	case "date":
		return "$.fake.DateISO"
	case "uri", "url", "uri-reference", "iri", "iri-reference":
		return "$.fake.URL"
	case "hostname", "idn-hostname":
		return "$.fake.DomainName"
	case "ipv4":
		return "$.fake.IPv4"
	case "ipv6":
		return "$.fake.IPv6"
	case "password":
		return "$.fake.Password"
	}
	return ""
}
