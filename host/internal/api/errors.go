package api

import (
	"errors"
	"fmt"
	"net/http"

	"github.com/gofiber/fiber/v2"
	"github.com/mockarty-oss/mockarty/host/internal/catalog"
	"github.com/mockarty-oss/mockarty/host/internal/jpath"
	"github.com/mockarty-oss/mockarty/host/internal/model"
	"github.com/mockarty-oss/mockarty/host/internal/plugins"
	"github.com/mockarty-oss/mockarty/host/internal/resolve"
	"github.com/mockarty-oss/mockarty/host/internal/store"
	"github.com/mockarty-oss/mockarty/host/internal/templatefiles"
	"github.com/mockarty-oss/mockarty/sdk"
)

// Error codes, as the public SDKs dispatch on them.
const (
	CodeValidation    = "validation"
	CodeNotFound      = "not_found"
	CodeConflict      = "conflict"
	CodeTooLarge      = "payload_too_large"
	CodeMediaType     = "unsupported_media_type"
	CodeMethod        = "method_not_allowed"
	CodeInternal      = "internal"
	CodeUnavailable   = "unavailable"
	CodeUnauthorized  = "unauthorized"
	CodeRateLimit     = "rate_limit"
	CodeBadRequestRaw = "bad_request"
	// CodeBodyTooDeep: a JSON body nested deeper than MAX_BODY_DEPTH.
	CodeBodyTooDeep = "body_too_deep"
)

// Error is the one error envelope of the API:
// {"error","code","request_id"} plus "field" for validation problems.
type Error struct {
	Status    int    `json:"-"`
	Message   string `json:"error"`
	Code      string `json:"code"`
	RequestID string `json:"request_id"`
	Field     string `json:"field,omitempty"`
}

func (e *Error) Error() string { return e.Message }

func apiErr(status int, code, format string, args ...any) *Error {
	return &Error{Status: status, Code: code, Message: fmt.Sprintf(format, args...)}
}

func badRequest(format string, args ...any) *Error {
	return apiErr(http.StatusBadRequest, CodeValidation, format, args...)
}

func fieldErr(field, format string, args ...any) *Error {
	e := apiErr(http.StatusUnprocessableEntity, CodeValidation, format, args...)
	e.Field = field
	if field != "" {
		e.Message = field + ": " + e.Message
	}
	return e
}

func notFoundErr(format string, args ...any) *Error {
	return apiErr(http.StatusNotFound, CodeNotFound, format, args...)
}

// toAPIError maps errors from the layers below onto the envelope.
func toAPIError(err error) *Error {
	var ae *Error
	if errors.As(err, &ae) {
		return ae
	}
	var de *jpath.DepthError
	if errors.As(err, &de) {
		return apiErr(http.StatusRequestEntityTooLarge, CodeBodyTooDeep, "%s", de.Error())
	}
	var fe *model.FieldError
	if errors.As(err, &fe) {
		status := http.StatusUnprocessableEntity
		if fe.Malformed {
			status = http.StatusBadRequest
		}
		msg := fe.Error()
		return &Error{Status: status, Code: CodeValidation, Message: msg, Field: fe.Field}
	}
	var fiberErr *fiber.Error
	if errors.As(err, &fiberErr) {
		switch fiberErr.Code {
		case http.StatusRequestEntityTooLarge:
			return apiErr(fiberErr.Code, CodeTooLarge, "request body is larger than the limit (HTTP_REQUEST_BODY_SIZE_LIMIT_MB)")
		case http.StatusNotFound:
			return apiErr(fiberErr.Code, CodeNotFound, "%s", fiberErr.Message)
		case http.StatusMethodNotAllowed:
			return apiErr(fiberErr.Code, CodeMethod, "%s", fiberErr.Message)
		}
		code := CodeBadRequestRaw
		if fiberErr.Code >= 500 {
			code = CodeInternal
		}
		return apiErr(fiberErr.Code, code, "%s", fiberErr.Message)
	}
	switch {
	case errors.Is(err, store.ErrNotFound), errors.Is(err, templatefiles.ErrNotFound):
		return apiErr(http.StatusNotFound, CodeNotFound, "%s", err.Error())
	case errors.Is(err, store.ErrConflict):
		return apiErr(http.StatusConflict, CodeConflict, "%s", err.Error())
	case errors.Is(err, resolve.ErrNotSaved):
		// A store write the database refused: not acknowledged, retried.
		return apiErr(http.StatusServiceUnavailable, "unavailable", "%s", err.Error())
	case errors.Is(err, templatefiles.ErrBadName):
		e := apiErr(http.StatusBadRequest, CodeValidation, "%s", err.Error())
		e.Field = "fileName"
		return e
	case errors.Is(err, catalog.ErrInvalid):
		return apiErr(http.StatusBadRequest, CodeValidation, "%s", err.Error())
	// Calls to a plugin's actions (plugins.Manager.Call).
	case errors.Is(err, plugins.ErrUnknown):
		return apiErr(http.StatusNotFound, CodeNotFound, "%s: it is not loaded (see GET /api/v1/plugins, and PLUGINS and PLUGINS_DIR)", err.Error())
	case errors.Is(err, plugins.ErrNotRunning):
		return apiErr(http.StatusConflict, CodeConflict, "%s; see its state in GET /api/v1/plugins", err.Error())
	case errors.Is(err, sdk.ErrUnknownAction):
		return apiErr(http.StatusNotFound, CodeNotFound, "%s: this version of the plugin does not offer it", err.Error())
	}
	return apiErr(http.StatusInternalServerError, CodeInternal, "internal error")
}
