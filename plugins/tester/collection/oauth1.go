package collection

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha1" //nolint:gosec // OAuth 1.0a names HMAC-SHA1; it is the protocol's, not our choice
	"crypto/sha256"
	"crypto/sha512"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"hash"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/mockarty-oss/mockarty/plugins/tester/script"
	"github.com/mockarty-oss/mockarty/sdk/postman"
)

// oauthEncode is RFC 5849's percent-encoding (RFC 3986 unreserved kept).
func oauthEncode(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '.' || c == '_' || c == '~' {
			b.WriteByte(c)
			continue
		}
		fmt.Fprintf(&b, "%%%02X", c)
	}
	return b.String()
}

// oauth1Sign adds OAuth 1.0a credentials (RFC 5849) as Postman does: to
// the query, or with addParamsToHeader to the Authorization header. The
// signature covers the query and, for a form body, its fields.
func oauth1Sign(a *postman.Auth, sc *script.Scopes, method string, hdr http.Header, target *string, formBody []byte) (string, error) {
	get := func(k string) string { return sc.Replace(a.String(k)) }
	flag := func(k string) bool { v, _ := strconv.ParseBool(get(k)); return v }
	sigMethod := strings.ToUpper(get("signatureMethod"))
	if sigMethod == "" {
		sigMethod = "HMAC-SHA1"
	}
	var newHash func() hash.Hash
	switch sigMethod {
	case "HMAC-SHA1":
		newHash = sha1.New
	case "HMAC-SHA256":
		newHash = sha256.New
	case "HMAC-SHA512":
		newHash = sha512.New
	case "PLAINTEXT":
	default:
		return fmt.Sprintf("oauth1 signature method %s is not computed here (HMAC-SHA1, HMAC-SHA256, HMAC-SHA512 and PLAINTEXT are): the request was sent without it", sigMethod), nil
	}
	u, err := url.Parse(*target)
	if err != nil {
		return "", fmt.Errorf("oauth1: %v", err)
	}
	nonce, ts := get("nonce"), get("timestamp")
	if nonce == "" {
		var b [16]byte
		_, _ = rand.Read(b[:])
		nonce = hex.EncodeToString(b[:])
	}
	if ts == "" {
		ts = strconv.FormatInt(time.Now().Unix(), 10)
	}
	oauth := [][2]string{{"oauth_consumer_key", get("consumerKey")}, {"oauth_nonce", nonce},
		{"oauth_signature_method", sigMethod}, {"oauth_timestamp", ts}, {"oauth_token", get("token")}, {"oauth_version", get("version")}}
	for _, extra := range [][2]string{{"oauth_callback", get("callback")}, {"oauth_verifier", get("verifier")}} {
		if extra[1] != "" {
			oauth = append(oauth, extra)
		}
	}
	includeEmpty := flag("addEmptyParamsToSign")
	var params [][2]string
	for _, p := range oauth {
		if p[1] != "" || includeEmpty {
			params = append(params, p)
		}
	}
	signed := append([][2]string{}, params...)
	for k, vs := range u.Query() {
		for _, v := range vs {
			signed = append(signed, [2]string{k, v})
		}
	}
	if formBody != nil {
		if form, err := url.ParseQuery(string(formBody)); err == nil {
			for k, vs := range form {
				for _, v := range vs {
					signed = append(signed, [2]string{k, v})
				}
			}
		}
	}
	enc := make([]string, 0, len(signed))
	for _, p := range signed {
		enc = append(enc, oauthEncode(p[0])+"="+oauthEncode(p[1]))
	}
	sort.Strings(enc)
	base := *u
	base.RawQuery, base.Fragment = "", ""
	base.Host = strings.ToLower(base.Host)
	if (base.Scheme == "http" && base.Port() == "80") || (base.Scheme == "https" && base.Port() == "443") {
		base.Host = base.Hostname()
	}
	baseString := strings.ToUpper(method) + "&" + oauthEncode(base.String()) + "&" + oauthEncode(strings.Join(enc, "&"))
	key := oauthEncode(get("consumerSecret")) + "&" + oauthEncode(get("tokenSecret"))
	sig := key
	if newHash != nil {
		mac := hmac.New(newHash, []byte(key))
		mac.Write([]byte(baseString))
		sig = base64.StdEncoding.EncodeToString(mac.Sum(nil))
	}
	params = append(params, [2]string{"oauth_signature", sig})
	if flag("addParamsToHeader") {
		parts := []string{}
		if realm := get("realm"); realm != "" {
			parts = append(parts, `realm="`+realm+`"`)
		}
		for _, p := range params {
			parts = append(parts, p[0]+`="`+oauthEncode(p[1])+`"`)
		}
		hdr.Set("Authorization", "OAuth "+strings.Join(parts, ","))
		return "", nil
	}
	q := u.RawQuery
	for _, p := range params {
		if q != "" {
			q += "&"
		}
		q += oauthEncode(p[0]) + "=" + oauthEncode(p[1])
	}
	u.RawQuery = q
	*target = u.String()
	return "", nil
}
