// Package recjob is the job wire between the host's recorder API and the
// recorder tool plugin (model-tools.md §4): a recording session is one
// long job that runs a proxy until it is stopped; every exchange through
// the proxy is an item the host stores the moment it arrives.
package recjob

// The recorder plugin's job kind and items.
const (
	// KindSession runs a proxy; its params are a Job. It ends when the
	// host cancels it (stop) or the proxy cannot go on.
	KindSession = "recorder.session"
	// ItemListening is the first item of a session: the proxy is up; its
	// Item is a Listening.
	ItemListening = "listening"
	// ItemEntry is one recorded exchange; its Item is an Entry.
	ItemEntry = "entry"
)

// Modes of a proxy.
const (
	// ModeReverse: the app calls the proxy's port, which forwards to
	// TargetURL.
	ModeReverse = "reverse"
	// ModeForward: HTTP_PROXY/HTTPS_PROXY point at the proxy; HTTPS is
	// decrypted through CONNECT with the CA when one is given.
	ModeForward = "forward"
)

// Job is a KindSession job's params.
type Job struct {
	SessionID string `json:"sessionId"`
	Mode      string `json:"mode"`
	// TargetURL is where a reverse proxy forwards (scheme, host, and a
	// path prefix that the requests' paths are appended to).
	TargetURL string `json:"targetUrl,omitempty"`
	// Address is where the proxy listens ("127.0.0.1:8081", ":8081").
	Address string `json:"address"`
	// AllowPrivate and AllowHosts are where the proxy may forward, as for
	// every outbound call of the server.
	AllowPrivate bool     `json:"allowPrivate,omitempty"`
	AllowHosts   []string `json:"allowHosts,omitempty"`
	// MaxBodyBytes caps each body kept in an entry (the exchange itself
	// is never cut); 0: DefaultMaxBodyBytes.
	MaxBodyBytes int `json:"maxBodyBytes,omitempty"`
	// TimeoutMs bounds one exchange with the upstream; 0: 30 s.
	TimeoutMs int64 `json:"timeoutMs,omitempty"`
	// Modifications change the proxied headers.
	Modifications Modifications `json:"modifications"`
	// Faults are injected into the proxied traffic.
	Faults Faults `json:"faults"`
	// CACertPEM and CAKeyPEM are the CA a forward proxy signs hosts'
	// certificates with (none: CONNECT passes through, unrecorded).
	CACertPEM string `json:"caCertPem,omitempty"`
	CAKeyPEM  string `json:"caKeyPem,omitempty"`
}

// DefaultMaxBodyBytes is the body kept per entry when the job sets none.
const DefaultMaxBodyBytes = 1 << 20

// HeaderRules add and remove headers.
type HeaderRules struct {
	Add    map[string]string `json:"add,omitempty"`
	Remove []string          `json:"remove,omitempty"`
}

// Modifications are header rules on the way up (requestHeaders) and on
// the way back (responseHeaders) (model-tools §4.2).
type Modifications struct {
	RequestHeaders  HeaderRules `json:"requestHeaders"`
	ResponseHeaders HeaderRules `json:"responseHeaders"`
}

// Faults are injected on the proxied traffic.
type Faults struct {
	// LatencyMs is added before each answer, JitterMs more at random.
	LatencyMs int64 `json:"latencyMs,omitempty"`
	JitterMs  int64 `json:"jitterMs,omitempty"`
	// ErrorRate is the share (0 to 1) of requests answered ErrorStatus
	// (default 503) without reaching the upstream.
	ErrorRate   float64 `json:"errorRate,omitempty"`
	ErrorStatus int     `json:"errorStatus,omitempty"`
	// BandwidthKBps throttles each answer's body (0: no limit).
	BandwidthKBps int64 `json:"bandwidthKbps,omitempty"`
}

// Listening is the ItemListening item.
type Listening struct {
	Address string `json:"address"`
}

// Timings are an exchange's phases, in ms (-1: did not happen, e.g. no
// DNS for an IP or a reused connection).
type Timings struct {
	DNS     float64 `json:"dns"`
	Connect float64 `json:"connect"`
	TLS     float64 `json:"tls"`
	TTFB    float64 `json:"ttfb"`
	Total   float64 `json:"total"`
}

// Entry is one recorded exchange (model-tools §4.2 with the recorder's
// extras). Headers are single strings (repeated values joined with ", ").
// A body that is not valid UTF-8 is base64 (its *Encoding "base64"); a
// compressed one is kept decoded, its Content-Encoding header as sent.
type Entry struct {
	Sequence              int64             `json:"sequence"`
	Method                string            `json:"method"`
	URL                   string            `json:"url"`
	Path                  string            `json:"path"`
	Proto                 string            `json:"proto,omitempty"`
	StatusCode            int               `json:"statusCode"`
	Duration              int64             `json:"duration"`
	Timestamp             int64             `json:"timestamp"`
	RequestHeaders        map[string]string `json:"requestHeaders"`
	RequestBody           string            `json:"requestBody"`
	RequestBodyEncoding   string            `json:"requestBodyEncoding,omitempty"`
	RequestBodySize       int64             `json:"requestBodySize"`
	RequestTruncated      bool              `json:"requestTruncated,omitempty"`
	ResponseHeaders       map[string]string `json:"responseHeaders"`
	ResponseBody          string            `json:"responseBody"`
	ResponseBodyEncoding  string            `json:"responseBodyEncoding,omitempty"`
	ResponseBodySize      int64             `json:"responseBodySize"`
	ResponseTruncated     bool              `json:"responseTruncated,omitempty"`
	ResponseDecompressed  bool              `json:"responseDecompressed,omitempty"`
	Timings               Timings           `json:"timings"`
	Error                 string            `json:"error,omitempty"`
	FaultInjected         string            `json:"faultInjected,omitempty"`
	WebSocketFrames       []Frame           `json:"webSocketFrames,omitempty"`
	WebSocketFramesMissed int64             `json:"webSocketFramesMissed,omitempty"`
}

// Frame is one WebSocket message through the proxy.
type Frame struct {
	Direction string `json:"direction"` // "send" (client to server) or "receive"
	Opcode    int    `json:"opcode"`
	Data      string `json:"data"`
	Encoding  string `json:"encoding,omitempty"`
	Timestamp int64  `json:"timestamp"`
}

// ActionReplay sends recorded requests again; its params are a Replay,
// its answer a []ReplayResult.
const ActionReplay = "replay"

// Replay is an ActionReplay's params.
type Replay struct {
	Requests []ReplayRequest `json:"requests"`
	// Concurrency is how many go at once (default 1: in order).
	Concurrency int `json:"concurrency,omitempty"`
	// TimeoutMs bounds each request (default 30 s).
	TimeoutMs       int64    `json:"timeoutMs,omitempty"`
	FollowRedirects bool     `json:"followRedirects,omitempty"`
	AllowPrivate    bool     `json:"allowPrivate,omitempty"`
	AllowHosts      []string `json:"allowHosts,omitempty"`
}

// ReplayRequest is one recorded request to send again.
type ReplayRequest struct {
	EntryID        string            `json:"entryId"`
	Method         string            `json:"method"`
	URL            string            `json:"url"`
	Headers        map[string]string `json:"headers,omitempty"`
	Body           string            `json:"body,omitempty"`
	BodyEncoding   string            `json:"bodyEncoding,omitempty"`
	OriginalStatus int               `json:"originalStatus"`
}

// ReplayResult is what sending it again gave (model-tools §4.2).
type ReplayResult struct {
	EntryID         string `json:"entryId"`
	OriginalStatus  int    `json:"originalStatus"`
	NewStatus       int    `json:"newStatus"`
	StatusMatch     bool   `json:"statusMatch"`
	DurationMs      int64  `json:"durationMs"`
	ReplayedURL     string `json:"replayedUrl"`
	ResponsePreview string `json:"responsePreview,omitempty"`
	Error           string `json:"error,omitempty"`
	Skipped         bool   `json:"skipped,omitempty"`
	SkippedReason   string `json:"skippedReason,omitempty"`
}
