package render

import (
	"encoding/json"
	"fmt"
	"math"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/brianvoe/gofakeit/v7"
	"github.com/google/uuid"
)

// fakers maps $.fake.<Name> to a generator. Names without arguments; the
// ones that take arguments are in fakeFuncs.
var fakers = map[string]func(f *gofakeit.Faker) any{
	"UUID":             func(*gofakeit.Faker) any { return uuid.NewString() },
	"UUIDDigit":        func(f *gofakeit.Faker) any { return strings.ReplaceAll(uuid.NewString(), "-", "") },
	"Name":             func(f *gofakeit.Faker) any { return f.Name() },
	"FullName":         func(f *gofakeit.Faker) any { return f.Name() },
	"FirstName":        func(f *gofakeit.Faker) any { return f.FirstName() },
	"LastName":         func(f *gofakeit.Faker) any { return f.LastName() },
	"Email":            func(f *gofakeit.Faker) any { return f.Email() },
	"Username":         func(f *gofakeit.Faker) any { return f.Username() },
	"Password":         func(f *gofakeit.Faker) any { return f.Password(true, true, true, true, false, 14) },
	"Word":             func(f *gofakeit.Faker) any { return f.Word() },
	"Sentence":         func(f *gofakeit.Faker) any { return f.Sentence(8) },
	"Paragraph":        func(f *gofakeit.Faker) any { return f.Paragraph(1, 4, 10, " ") },
	"Company":          func(f *gofakeit.Faker) any { return f.Company() },
	"CompanyName":      func(f *gofakeit.Faker) any { return f.Company() },
	"JobTitle":         func(f *gofakeit.Faker) any { return f.JobTitle() },
	"City":             func(f *gofakeit.Faker) any { return f.City() },
	"State":            func(f *gofakeit.Faker) any { return f.State() },
	"Country":          func(f *gofakeit.Faker) any { return f.Country() },
	"CountryCode":      func(f *gofakeit.Faker) any { return f.CountryAbr() },
	"Address":          func(f *gofakeit.Faker) any { a := f.Address(); return a.Address },
	"StreetAddress":    func(f *gofakeit.Faker) any { return f.Street() },
	"ZipCode":          func(f *gofakeit.Faker) any { return f.Zip() },
	"Zip":              func(f *gofakeit.Faker) any { return f.Zip() },
	"PhoneNumber":      func(f *gofakeit.Faker) any { return f.PhoneFormatted() },
	"Phone":            func(f *gofakeit.Faker) any { return f.Phone() },
	"URL":              func(f *gofakeit.Faker) any { return f.URL() },
	"DomainName":       func(f *gofakeit.Faker) any { return f.DomainName() },
	"IPv4":             func(f *gofakeit.Faker) any { return f.IPv4Address() },
	"IPv6":             func(f *gofakeit.Faker) any { return f.IPv6Address() },
	"MacAddress":       func(f *gofakeit.Faker) any { return f.MacAddress() },
	"UserAgent":        func(f *gofakeit.Faker) any { return f.UserAgent() },
	"JWT":              fakeJWT,
	"Gender":           func(f *gofakeit.Faker) any { return f.Gender() },
	"Bool":             func(f *gofakeit.Faker) any { return f.Bool() },
	"Price":            func(f *gofakeit.Faker) any { return round2(f.Price(1, 1000)) },
	"Amount":           func(f *gofakeit.Faker) any { return round2(f.Float64Range(1, 10000)) },
	"PositiveInt":      func(f *gofakeit.Faker) any { return f.IntRange(1, math.MaxInt32) },
	"Float64":          func(f *gofakeit.Faker) any { return f.Float64Range(0, 1000) },
	"Latitude":         func(f *gofakeit.Faker) any { return f.Latitude() },
	"Longitude":        func(f *gofakeit.Faker) any { return f.Longitude() },
	"Timestamp":        func(*gofakeit.Faker) any { return time.Now().UTC().Format("2006-01-02 15:04:05") },
	"UnixTime":         func(*gofakeit.Faker) any { return time.Now().Unix() },
	"Date":             func(f *gofakeit.Faker) any { return f.Date().Format("2006-01-02") },
	"DateISO":          func(*gofakeit.Faker) any { return time.Now().UTC().Format("2006-01-02") },
	"DateTimeISO":      func(*gofakeit.Faker) any { return time.Now().UTC().Format(time.RFC3339) },
	"ProductName":      func(f *gofakeit.Faker) any { return f.ProductName() },
	"HexColor":         func(f *gofakeit.Faker) any { return f.HexColor() },
	"CreditCardNumber": func(f *gofakeit.Faker) any { return f.CreditCardNumber(nil) },
	"Currency":         func(f *gofakeit.Faker) any { return f.CurrencyShort() },
	"Color":            func(f *gofakeit.Faker) any { return f.Color() },
	"Age":              func(f *gofakeit.Faker) any { return f.IntRange(18, 90) },
	"Int":              func(f *gofakeit.Faker) any { return f.IntRange(0, math.MaxInt32) },
	"Digit":            func(f *gofakeit.Faker) any { return f.Digit() },
	"Letter":           func(f *gofakeit.Faker) any { return f.Letter() },
	"Noun":             func(f *gofakeit.Faker) any { return f.Noun() },
	"Verb":             func(f *gofakeit.Faker) any { return f.Verb() },
	"Adjective":        func(f *gofakeit.Faker) any { return f.Adjective() },
	"Question":         func(f *gofakeit.Faker) any { return f.Question() },
	"Quote":            func(f *gofakeit.Faker) any { return f.Quote() },
	"SSN":              func(f *gofakeit.Faker) any { return f.SSN() },
	"BitcoinAddress":   func(f *gofakeit.Faker) any { return f.BitcoinAddress() },
	"AppName":          func(f *gofakeit.Faker) any { return f.AppName() },
	"AppVersion":       func(f *gofakeit.Faker) any { return f.AppVersion() },
	"HTTPMethod":       func(f *gofakeit.Faker) any { return f.HTTPMethod() },
	"HTTPStatusCode":   func(f *gofakeit.Faker) any { return f.HTTPStatusCodeSimple() },
}

// fakeFuncs are the generators that take arguments: IntBetween(min,max) etc.
var fakeFuncs = map[string]func(f *gofakeit.Faker, args []float64) (any, error){
	"IntBetween": intRange,
	"IntRange":   intRange,
	"FloatRange": func(f *gofakeit.Faker, a []float64) (any, error) {
		if len(a) != 2 || a[0] > a[1] || math.IsInf(a[0], 0) || math.IsInf(a[1], 0) {
			return nil, fmt.Errorf("FloatRange needs finite (min, max) with min <= max")
		}
		return round2(f.Float64Range(a[0], a[1])), nil
	},
	"Price": func(f *gofakeit.Faker, a []float64) (any, error) {
		if len(a) != 2 || a[0] > a[1] || math.IsInf(a[0], 0) || math.IsInf(a[1], 0) {
			return nil, fmt.Errorf("Price needs finite (min, max) with min <= max")
		}
		return round2(f.Price(a[0], a[1])), nil
	},
}

// maxFakeInt bounds integer faker arguments so the conversion cannot overflow.
const maxFakeInt = 1 << 53

func intRange(f *gofakeit.Faker, a []float64) (any, error) {
	if len(a) != 2 || a[0] > a[1] {
		return nil, fmt.Errorf("IntBetween needs (min, max) with min <= max")
	}
	if math.Abs(a[0]) > maxFakeInt || math.Abs(a[1]) > maxFakeInt {
		return nil, fmt.Errorf("IntBetween arguments must be within ±2^53")
	}
	return f.IntRange(int(a[0]), int(a[1])), nil
}

func round2(v float64) float64 { return math.Round(v*100) / 100 }

func fakeJWT(f *gofakeit.Faker) any {
	const header = "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9"
	claims := fmt.Sprintf(`{"sub":%q,"name":%q,"iat":%d}`, uuid.NewString(), f.Name(), time.Now().Unix())
	return header + "." + b64url([]byte(claims)) + "." + b64url([]byte(f.LetterN(32)))
}

// fakerPool hands out Fakers: each is not safe for concurrent use, and a
// shared locked one would serialise every request.
var fakerPool = sync.Pool{New: func() any { return gofakeit.New(0) }}

// Fake runs one generator by name, with optional numeric arguments.
func Fake(name string, args []float64, hasArgs bool) (any, error) {
	f := fakerPool.Get().(*gofakeit.Faker)
	defer fakerPool.Put(f)
	if hasArgs {
		if fn, ok := fakeFuncs[name]; ok {
			return fn(f, args)
		}
		return nil, fmt.Errorf("unknown faker %s(...)", name)
	}
	if fn, ok := fakers[name]; ok {
		return fn(f), nil
	}
	if _, ok := fakeFuncs[name]; ok {
		return nil, fmt.Errorf("faker %s needs arguments, for example %s(1, 100)", name, name)
	}
	return nil, fmt.Errorf("unknown faker %q", name)
}

func parseArgs(s string) ([]float64, error) {
	if strings.TrimSpace(s) == "" {
		return nil, nil
	}
	parts := strings.Split(s, ",")
	out := make([]float64, 0, len(parts))
	for _, p := range parts {
		v, err := strconv.ParseFloat(strings.TrimSpace(p), 64)
		if err != nil || math.IsNaN(v) {
			return nil, fmt.Errorf("argument %q is not a number", strings.TrimSpace(p))
		}
		out = append(out, v)
	}
	return out, nil
}

// fakeRef finds $.fake.<Name> references (with or without arguments).
var fakeRef = regexp.MustCompile(`\$\.fake\.([A-Za-z0-9_]+)(\()?`)

// CheckFakers reports the first unknown faker named in a JSON document's strings.
func CheckFakers(doc json.RawMessage) error {
	for _, m := range fakeRef.FindAllSubmatch(doc, -1) {
		name, withArgs := string(m[1]), len(m[2]) > 0
		_, plain := fakers[name]
		_, fn := fakeFuncs[name]
		switch {
		case withArgs && !fn:
			return fmt.Errorf("unknown faker $.fake.%s(...)", name)
		case !withArgs && !plain && !fn:
			return fmt.Errorf("unknown faker $.fake.%s", name)
		case !withArgs && !plain && fn:
			return fmt.Errorf("faker $.fake.%s needs arguments, for example $.fake.%s(1, 100)", name, name)
		}
	}
	return nil
}
