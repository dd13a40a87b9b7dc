package script

import (
	"crypto/rand"
	"fmt"
	mrand "math/rand/v2"
	"strconv"
	"strings"
	"time"
)

// dynamicVariables are Postman's {{$name}} generators that need no data set:
// the ones collections use most (ids, times, numbers, network values, names,
// text). Each call draws a new value, like Postman.
var dynamicVariables = map[string]func() string{
	"$guid":               uuidV4,
	"$randomUUID":         uuidV4,
	"$timestamp":          func() string { return strconv.FormatInt(time.Now().Unix(), 10) },
	"$isoTimestamp":       func() string { return time.Now().UTC().Format("2006-01-02T15:04:05.000Z") },
	"$randomInt":          func() string { return strconv.Itoa(mrand.IntN(1001)) },
	"$randomBoolean":      func() string { return strconv.FormatBool(mrand.IntN(2) == 1) },
	"$randomAlphaNumeric": func() string { return randomFrom(alphaNum, 1) },
	"$randomPassword":     func() string { return randomFrom(alphaNum, 15) },
	"$randomHexColor":     func() string { return fmt.Sprintf("#%06x", mrand.IntN(1<<24)) },
	"$randomColor":        func() string { return pick(colors) },
	"$randomIP": func() string {
		return fmt.Sprintf("%d.%d.%d.%d", mrand.IntN(256), mrand.IntN(256), mrand.IntN(256), mrand.IntN(256))
	},
	"$randomIPV6": func() string {
		parts := make([]string, 8)
		for i := range parts {
			parts[i] = fmt.Sprintf("%x", mrand.IntN(1<<16))
		}
		return strings.Join(parts, ":")
	},
	"$randomMACAddress": func() string {
		parts := make([]string, 6)
		for i := range parts {
			parts[i] = fmt.Sprintf("%02x", mrand.IntN(256))
		}
		return strings.Join(parts, ":")
	},
	"$randomProtocol":     func() string { return pick([]string{"http", "https"}) },
	"$randomSemver":       func() string { return fmt.Sprintf("%d.%d.%d", mrand.IntN(10), mrand.IntN(10), mrand.IntN(10)) },
	"$randomFirstName":    func() string { return pick(firstNames) },
	"$randomLastName":     func() string { return pick(lastNames) },
	"$randomFullName":     func() string { return pick(firstNames) + " " + pick(lastNames) },
	"$randomNamePrefix":   func() string { return pick([]string{"Mr.", "Mrs.", "Ms.", "Miss", "Dr."}) },
	"$randomNameSuffix":   func() string { return pick([]string{"Jr.", "Sr.", "I", "II", "III", "IV", "V", "MD", "DDS", "PhD"}) },
	"$randomUserName":     func() string { return pick(firstNames) + "." + pick(lastNames) + strconv.Itoa(mrand.IntN(100)) },
	"$randomEmail":        func() string { return strings.ToLower(pick(firstNames)+"."+pick(lastNames)) + "@" + pick(mailDomains) },
	"$randomExampleEmail": func() string { return strings.ToLower(pick(firstNames)+"."+pick(lastNames)) + "@example.com" },
	"$randomDomainWord":   func() string { return pick(words) },
	"$randomDomainSuffix": func() string { return pick(domainSuffixes) },
	"$randomDomainName":   func() string { return pick(words) + "." + pick(domainSuffixes) },
	"$randomUrl":          func() string { return "https://" + pick(words) + "." + pick(domainSuffixes) },
	"$randomCity":         func() string { return pick(cities) },
	"$randomCountry":      func() string { return pick(countries) },
	"$randomCountryCode":  func() string { return pick(countryCodes) },
	"$randomStreetName":   func() string { return pick(lastNames) + " " + pick(streetSuffixes) },
	"$randomStreetAddress": func() string {
		return strconv.Itoa(1+mrand.IntN(9999)) + " " + pick(lastNames) + " " + pick(streetSuffixes)
	},
	"$randomLatitude":  func() string { return strconv.FormatFloat(mrand.Float64()*180-90, 'f', 4, 64) },
	"$randomLongitude": func() string { return strconv.FormatFloat(mrand.Float64()*360-180, 'f', 4, 64) },
	"$randomPhoneNumber": func() string {
		return fmt.Sprintf("%03d-%03d-%04d", 200+mrand.IntN(800), mrand.IntN(1000), mrand.IntN(10000))
	},
	"$randomPrice":        func() string { return fmt.Sprintf("%d.%02d", mrand.IntN(1000), mrand.IntN(100)) },
	"$randomCurrencyCode": func() string { return pick(currencyCodes) },
	"$randomLocale":       func() string { return pick([]string{"en", "de", "fr", "es", "it", "pt", "ru", "ja", "zh", "nl"}) },
	"$randomWord":         func() string { return pick(words) },
	"$randomWords":        func() string { return randomWords(2 + mrand.IntN(3)) },
	"$randomNoun":         func() string { return pick(words) },
	"$randomLoremWord":    func() string { return pick(lorem) },
	"$randomLoremWords":   func() string { return loremWords(3) },
	"$randomLoremSlug":    func() string { return strings.ReplaceAll(loremWords(3), " ", "-") },
	"$randomLoremSentence": func() string {
		s := loremWords(4 + mrand.IntN(6))
		return strings.ToUpper(s[:1]) + s[1:] + "."
	},
	"$randomCompanyName": func() string { return pick(lastNames) + " " + pick([]string{"Inc", "LLC", "Group", "and Sons"}) },
	"$randomJobTitle":    func() string { return pick(jobLevels) + " " + pick(jobAreas) + " " + pick(jobTypes) },
	"$randomJobArea":     func() string { return pick(jobAreas) },
	"$randomJobType":     func() string { return pick(jobTypes) },
	"$randomDepartment":  func() string { return pick([]string{"Books", "Toys", "Garden", "Sports", "Music", "Tools", "Home"}) },
	"$randomProductName": func() string { return pick(colors) + " " + pick(words) },
	"$randomMonth":       func() string { return time.Month(1 + mrand.IntN(12)).String() },
	"$randomWeekday":     func() string { return time.Weekday(mrand.IntN(7)).String() },
	"$randomDatePast":    func() string { return randomDate(-365 * 24 * time.Hour) },
	"$randomDateFuture":  func() string { return randomDate(365 * 24 * time.Hour) },
	"$randomDateRecent":  func() string { return randomDate(-24 * time.Hour) },
	"$randomFileExt":     func() string { return pick(fileExts) },
	"$randomFileName":    func() string { return pick(words) + "." + pick(fileExts) },
	"$randomMimeType":    func() string { return pick(mimeTypes) },
	"$randomAbbreviation": func() string {
		return pick([]string{"API", "HTTP", "JSON", "SQL", "TCP", "XML", "SSL", "RSS", "PCI", "USB"})
	},
	"$randomUserAgent": func() string {
		return "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/" +
			strconv.Itoa(100+mrand.IntN(30)) + ".0.0.0 Safari/537.36"
	},
}

// dynamicVariable returns a fresh value for a {{$name}} generator.
func dynamicVariable(name string) (string, bool) {
	if len(name) < 2 || name[0] != '$' {
		return "", false
	}
	gen, ok := dynamicVariables[name]
	if !ok {
		return "", false
	}
	return gen(), true
}

// DynamicVariableNames lists the {{$name}} generators Replace knows.
func DynamicVariableNames() []string {
	out := make([]string, 0, len(dynamicVariables))
	for k := range dynamicVariables {
		out = append(out, k)
	}
	return out
}

func uuidV4() string {
	var b [16]byte
	_, _ = rand.Read(b[:]) // crypto/rand.Read never fails on supported platforms
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16])
}

func pick(list []string) string { return list[mrand.IntN(len(list))] }

const alphaNum = "abcdefghijklmnopqrstuvwxyz0123456789"

func randomFrom(alphabet string, n int) string {
	b := make([]byte, n)
	for i := range b {
		b[i] = alphabet[mrand.IntN(len(alphabet))]
	}
	return string(b)
}

func randomWords(n int) string {
	out := make([]string, n)
	for i := range out {
		out[i] = pick(words)
	}
	return strings.Join(out, " ")
}

func loremWords(n int) string {
	out := make([]string, n)
	for i := range out {
		out[i] = pick(lorem)
	}
	return strings.Join(out, " ")
}

// randomDate returns a moment between now and now+span in JavaScript's
// Date.toString layout, which is how Postman prints these variables.
func randomDate(span time.Duration) string {
	d := time.Duration(mrand.Int64N(int64(absDuration(span))))
	if span < 0 {
		d = -d
	}
	return time.Now().Add(d).UTC().Format("Mon Jan 02 2006 15:04:05 GMT+0000 (Coordinated Universal Time)")
}

func absDuration(d time.Duration) time.Duration {
	if d < 0 {
		return -d
	}
	return d
}

var (
	colors         = []string{"red", "green", "blue", "yellow", "orange", "purple", "black", "white", "silver", "teal", "maroon", "olive"}
	firstNames     = []string{"Ada", "Alan", "Grace", "Linus", "Ken", "Barbara", "Donald", "Edsger", "Margaret", "Dennis", "Frances", "John", "Niklaus", "Radia", "Tim", "Hedy"}
	lastNames      = []string{"Lovelace", "Turing", "Hopper", "Torvalds", "Thompson", "Liskov", "Knuth", "Dijkstra", "Hamilton", "Ritchie", "Allen", "Backus", "Wirth", "Perlman", "Berners", "Lamarr"}
	mailDomains    = []string{"gmail.com", "yahoo.com", "hotmail.com", "example.org", "mail.test"}
	domainSuffixes = []string{"com", "net", "org", "io", "info", "biz", "name"}
	words          = []string{"alpha", "bridge", "copper", "delta", "ember", "forest", "granite", "harbor", "island", "jasper", "kernel", "lantern", "meadow", "nebula", "orbit", "pixel", "quartz", "river", "signal", "timber", "vector", "willow"}
	lorem          = []string{"lorem", "ipsum", "dolor", "sit", "amet", "consectetur", "adipiscing", "elit", "sed", "do", "eiusmod", "tempor", "incididunt", "ut", "labore", "et", "dolore", "magna", "aliqua"}
	cities         = []string{"Lisbon", "Oslo", "Austin", "Kyoto", "Nairobi", "Lima", "Perth", "Tallinn", "Montreal", "Porto", "Seville", "Dublin"}
	countries      = []string{"Portugal", "Norway", "United States", "Japan", "Kenya", "Peru", "Australia", "Estonia", "Canada", "Spain", "Ireland"}
	countryCodes   = []string{"PT", "NO", "US", "JP", "KE", "PE", "AU", "EE", "CA", "ES", "IE", "DE", "FR"}
	streetSuffixes = []string{"Street", "Avenue", "Road", "Lane", "Drive", "Court", "Way", "Place"}
	currencyCodes  = []string{"USD", "EUR", "GBP", "JPY", "CHF", "CAD", "AUD", "SEK", "NOK", "BRL"}
	jobLevels      = []string{"Senior", "Junior", "Lead", "Principal", "Chief", "Associate"}
	jobAreas       = []string{"Data", "Security", "Marketing", "Operations", "Quality", "Infrastructure", "Research"}
	jobTypes       = []string{"Engineer", "Analyst", "Designer", "Manager", "Architect", "Consultant"}
	fileExts       = []string{"json", "txt", "csv", "png", "pdf", "xml", "html", "zip"}
	mimeTypes      = []string{"application/json", "text/plain", "text/csv", "image/png", "application/pdf", "application/xml", "text/html"}
)
