package main

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"os/exec"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/mockarty-oss/mockarty/sdk/plugintest"
)

// page is a local web app: a page whose script calls its API with fetch
// and with XMLHttpRequest, then shows what came back in the title.
func page() *httptest.Server {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /{$}", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		_, _ = io.WriteString(w, `<!doctype html><html><head><title>loading</title></head><body><script>
fetch('/api/items').then(r => r.json()).then(items => {
  const x = new XMLHttpRequest();
  x.open('POST', '/api/cart');
  x.setRequestHeader('Content-Type', 'application/json');
  x.onload = () => { document.title = 'done ' + items.length + ' ' + JSON.parse(x.responseText).count; };
  x.send(JSON.stringify({sku: items[0].sku}));
});
</script></body></html>`)
	})
	mux.HandleFunc("GET /api/items", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_, _ = io.WriteString(w, `[{"sku":"A1"},{"sku":"B2"}]`)
	})
	mux.HandleFunc("POST /api/cart", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_, _ = io.WriteString(w, `{"count":1}`)
	})
	return httptest.NewServer(mux)
}

// TestBrowserThroughTheRecorder: headless Chromium with the recorder as
// its proxy loads a local page; the page and its fetch and XHR calls are
// entries.
func TestBrowserThroughTheRecorder(t *testing.T) {
	chromium, err := exec.LookPath("chromium")
	if err != nil {
		plugintest.MissingClient(t, "chromium (Debian's chromium package)")
	}
	app := page()
	defer app.Close()
	h := plugintest.StartHost(t, plugintest.HostOptions{Env: []string{"ALLOW_PROXY_TO_PRIVATE_IPS=true"},
		Plugins: map[string]plugintest.PluginSpec{"recorder": {Dir: "."}}})
	sn := decode[sdkSession](t, h.Post(t, "/api/v1/recorder/start", `{"name": "browser", "mode": "forward"}`, http.StatusCreated))

	opts := append(chromedp.DefaultExecAllocatorOptions[:], chromedp.ExecPath(chromium), chromedp.NoSandbox, chromedp.DisableGPU,
		chromedp.ProxyServer("http://127.0.0.1:"+strconv.Itoa(sn.Port)),
		chromedp.Flag("proxy-bypass-list", "<-loopback>"), // loopback through the proxy too
		chromedp.UserDataDir(t.TempDir()))
	actx, cancel := chromedp.NewExecAllocator(context.Background(), opts...)
	defer cancel()
	ctx, cancel := chromedp.NewContext(actx)
	defer cancel()
	ctx, cancel = context.WithTimeout(ctx, 90*time.Second)
	defer cancel()
	if _, err := chromedp.Run(ctx, chromedp.Navigate(app.URL+"/")); err != nil {
		t.Fatalf("the page through the recorder: %v", err)
	}
	if _, err := chromedp.Run(ctx, chromedp.Poll[bool](`document.title.startsWith("done")`)); err != nil {
		t.Fatalf("the page's calls through the recorder: %v", err)
	}
	title, err := chromedp.Run(ctx, chromedp.Title())
	if err != nil {
		t.Fatal(err)
	}
	if title != "done 2 1" {
		t.Fatalf("title: %q", title)
	}
	var got []string
	plugintest.Eventually(t, 30*time.Second, func() bool {
		got = nil
		for _, e := range decode[[]sdkEntry](t, h.Get(t, "/api/v1/recorder/"+sn.ID+"/entries", http.StatusOK)) {
			// The app's exchanges (Chromium also calls home through the proxy).
			if e.Path != "/favicon.ico" && strings.HasPrefix(e.URL, app.URL) {
				got = append(got, e.Method+" "+e.Path+" "+strconv.Itoa(e.StatusCode))
			}
		}
		return len(got) >= 3
	}, "the page, fetch and XHR entries")
	if s := strings.Join(got, ","); s != "GET / 200,GET /api/items 200,POST /api/cart 200" {
		t.Fatalf("entries: %s", s)
	}
}
