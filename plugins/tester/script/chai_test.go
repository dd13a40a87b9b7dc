package script

import (
	"fmt"
	"strings"
	"testing"
)

// chaiCases are pm.expect / pm.response.to forms with the outcome chai 4 and
// Postman give them; the body is {"id":7,"name":"Ada","tags":["a","b"],"nested":{"ok":true}}.
var chaiCases = []struct {
	expr string
	pass bool
}{
	{`pm.expect(1).to.equal(1)`, true},
	{`pm.expect(1).to.equal(2)`, false},
	{`pm.expect({a: 1}).to.eql({a: 1})`, true},
	{`pm.expect({a: 1}).to.deep.equal({a: 2})`, false},
	{`pm.expect('abc').to.be.a('string')`, true},
	{`pm.expect(5).to.be.an('array')`, false},
	{`pm.expect([1, 2, 3]).to.include(2)`, true},
	{`pm.expect('hello world').to.include('world')`, true},
	{`pm.expect('hello').to.contain('xyz')`, false},
	{`pm.expect([1, 2]).to.have.lengthOf(2)`, true},
	{`pm.expect([1, 2]).to.have.length.above(2)`, false},
	{`pm.expect(10).to.be.above(5).and.below(20)`, true},
	{`pm.expect(10).to.be.within(1, 5)`, false},
	{`pm.expect(3).to.be.at.least(3)`, true},
	{`pm.expect(3).to.be.at.most(2)`, false},
	{`pm.expect(null).to.be.null`, true},
	{`pm.expect(undefined).to.be.undefined`, true},
	{`pm.expect(0).to.be.ok`, false},
	{`pm.expect('x').to.not.be.empty`, true},
	{`pm.expect([]).to.be.empty`, true},
	{`pm.expect(true).to.be.true`, true},
	{`pm.expect(false).to.be.true`, false},
	{`pm.expect({a: {b: 1}}).to.have.nested.property('a.b', 1)`, true},
	{`pm.expect({a: 1}).to.have.property('b')`, false},
	{`pm.expect({a: 1, b: 2}).to.have.all.keys('a', 'b')`, true},
	{`pm.expect({a: 1}).to.have.any.keys('x', 'y')`, false},
	{`pm.expect('abc').to.match(/^a/)`, true},
	{`pm.expect(2).to.be.oneOf([1, 2, 3])`, true},
	{`pm.expect(function () { throw new TypeError('x'); }).to.throw(TypeError)`, true},
	{`pm.expect(function () {}).to.throw()`, false},
	{`pm.expect([{a: 1}]).to.deep.include({a: 1})`, true},
	{`pm.expect([3, 1, 2]).to.have.members([1, 2, 3])`, true},
	{`pm.expect(1.5).to.be.closeTo(1.4, 0.2)`, true},
	{`pm.expect(NaN).to.be.NaN`, true},
	{`pm.expect('5').to.be.a('number')`, false},
	{`pm.expect(pm.response.json()).to.have.property('name', 'Ada')`, true},
	{`pm.expect(pm.response.json().tags).to.include('c')`, false},
	{`pm.expect(pm.response.code).to.be.oneOf([200, 201])`, true},
	{`pm.expect(pm.response.responseTime).to.be.below(1000)`, true},
	{`pm.expect(pm.response.headers.get('content-type')).to.include('application/json')`, true},
	{`pm.expect(pm.response.text()).to.include('Ada')`, true},
	{`pm.response.to.have.status(200)`, true},
	{`pm.response.to.have.status(201)`, false},
	{`pm.response.to.have.status('OK')`, true},
	{`pm.response.to.have.status('200')`, false},
	{`pm.response.to.not.have.status(404)`, true},
	{`pm.response.to.be.ok`, true},
	{`pm.response.to.be.success`, true},
	{`pm.response.to.be.clientError`, false},
	{`pm.response.to.not.be.error`, true},
	{`pm.response.to.be.error`, false},
	{`pm.response.to.be.notFound`, false},
	{`pm.response.to.have.header('Content-Type')`, true},
	{`pm.response.to.have.header('content-type', 'application/json; charset=utf-8')`, true},
	{`pm.response.to.have.header('X-Missing')`, false},
	{`pm.response.to.have.header('X-Trace', 'nope')`, false},
	{`pm.response.to.be.json`, true},
	{`pm.response.to.be.withBody`, true},
	{`pm.response.to.have.body()`, true},
	{`pm.response.to.have.body('nope')`, false},
	{`pm.response.to.have.body(/"Ada"/)`, true},
	{`pm.response.to.have.jsonBody()`, true},
	{`pm.response.to.have.jsonBody('nested.ok')`, true},
	{`pm.response.to.have.jsonBody('tags[1]', 'b')`, true},
	{`pm.response.to.have.jsonBody('name', 'Bob')`, false},
	{`pm.response.to.have.jsonBody('missing')`, false},
	{`pm.response.to.have.responseTime.below(1000)`, true},
	{`pm.response.to.have.responseTime.above(1000)`, false},
	{`pm.response.to.have.responseSize.above(10)`, true},
	{`pm.response.to.have.jsonSchema({type: 'object', required: ['id', 'name'], properties: {id: {type: 'integer'}}})`, true},
	{`pm.response.to.have.jsonSchema({type: 'object', properties: {id: {type: 'string'}}})`, false},
	{`pm.response.to.be.html`, false},
	{`pm.request.to.have.header('Accept')`, true},
	{`pm.expect.fail('forced')`, false},
	{`pm.expect(1).to.be.a.bogusProperty`, false},
}

// TestChaiForms runs every form as its own pm.test in one script and checks
// each outcome and the pass/fail totals.
func TestChaiForms(t *testing.T) {
	sb := newTestSandbox(t, Limits{})
	var src strings.Builder
	wantPass := 0
	for i, c := range chaiCases {
		fmt.Fprintf(&src, "pm.test(%q, function () { %s; });\n", fmt.Sprintf("case %d", i), c.expr)
		if c.pass {
			wantPass++
		}
	}
	res := sb.Run(t.Context(), &Exec{
		Scripts:  []string{src.String()},
		Request:  &Request{Method: "GET", URL: "http://api.test/x", Headers: []Header{{Key: "Accept", Value: "*/*"}}},
		Response: jsonResponse(`{"id":7,"name":"Ada","tags":["a","b"],"nested":{"ok":true}}`),
		Info:     Info{EventName: "test"},
	})
	expectClean(t, res)
	if len(res.Tests) != len(chaiCases) {
		t.Fatalf("got %d tests, want %d", len(res.Tests), len(chaiCases))
	}
	for i, c := range chaiCases {
		tr := res.Tests[i]
		if tr.Passed != c.pass {
			t.Errorf("%s: passed=%v, want %v (error %q)", c.expr, tr.Passed, c.pass, tr.Error)
		}
		if !tr.Passed && tr.Error == "" {
			t.Errorf("%s: failed without a message", c.expr)
		}
	}
	passed, failed, _ := counts(res)
	if passed != wantPass || failed != len(chaiCases)-wantPass {
		t.Errorf("passed/failed = %d/%d, want %d/%d", passed, failed, wantPass, len(chaiCases)-wantPass)
	}
}

// TestAssertionMessages pins the messages Postman users know.
func TestAssertionMessages(t *testing.T) {
	sb := newTestSandbox(t, Limits{})
	res := runTest(t, sb, jsonResponse(`{"a":1}`), `
pm.test("status", function () { pm.response.to.have.status(404); });
pm.test("equal", function () { pm.expect(1).to.equal(2); });
pm.test("header", function () { pm.response.to.have.header("X-Nope"); });
pm.test("type error", function () { null.x; });
pm.test("thrown string", function () { throw "plain"; });
pm.test("invalid property", function () { pm.expect(1).to.be.bogus; });
pm.test("schema", function () { pm.expect({a: 'x'}).to.have.jsonSchema({type: 'object', required: ['b'], properties: {a: {type: 'number'}}}); });
`)
	expectClean(t, res)
	want := map[string]string{
		"status":           "expected response to have status code 404 but got 200",
		"equal":            "expected 1 to equal 2",
		"header":           "expected response to have header with key 'X-Nope'",
		"type error":       "TypeError: ",
		"thrown string":    "plain",
		"invalid property": "Invalid Chai property: bogus",
		"schema":           "data should have required property 'b'",
	}
	for name, msg := range want {
		tr := testByName(t, res, name)
		if tr.Passed || !strings.Contains(tr.Error, msg) {
			t.Errorf("%s: passed=%v error=%q, want it to contain %q", name, tr.Passed, tr.Error, msg)
		}
	}
	if tr := testByName(t, res, "schema"); !strings.Contains(tr.Error, "data.a should be number") {
		t.Errorf("schema error %q lacks the type failure", tr.Error)
	}
}
