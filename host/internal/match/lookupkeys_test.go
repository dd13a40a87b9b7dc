package match

import (
	"strings"
	"testing"

	"github.com/mockarty-oss/mockarty/host/internal/model"
)

// Mocks found by different keys of one request come out in one list in
// the index's order: priority first, whichever key found them.
func TestLookupKeysMergesByPriority(t *testing.T) {
	ix := NewIndex(nil)
	for _, m := range []*model.Mock{
		{ID: "by-action", Namespace: "ns", CreatedAt: 1, SOAP: &model.SOAPContext{Action: "urn:Get"}},
		{ID: "by-method-high", Namespace: "ns", Priority: 10, CreatedAt: 2, SOAP: &model.SOAPContext{Method: "Get"}},
		{ID: "by-method-low", Namespace: "ns", Priority: -1, CreatedAt: 3, SOAP: &model.SOAPContext{Method: "Get"}},
		{ID: "by-both", Namespace: "ns", Priority: 5, CreatedAt: 4, SOAP: &model.SOAPContext{Action: "urn:Get", Method: "Get"}},
		{ID: "other-ns", Namespace: "other", Priority: 99, SOAP: &model.SOAPContext{Method: "Get"}},
	} {
		if err := ix.Upsert(m); err != nil {
			t.Fatal(err)
		}
	}
	var got []string
	for _, e := range ix.LookupKeys("ns", model.ProtoSOAP, "action:urn:Get", "method:Get") {
		got = append(got, e.Mock.ID)
	}
	// by-both is indexed under both keys and listed once.
	if want := "by-method-high,by-both,by-action,by-method-low"; strings.Join(got, ",") != want {
		t.Fatalf("LookupKeys = %v, want %s", got, want)
	}
	if got := ix.LookupKeys("none", model.ProtoSOAP, "method:Get"); len(got) != 0 {
		t.Fatalf("an unknown namespace has candidates: %v", got)
	}
}
