package main

import (
	"fmt"
	"github.com/mockarty-oss/mockarty/sdk/find"
	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/protoadapt"
	"strings"
)

// detailMessage builds the google.rpc detail a mock names (model.md 1.4:
// errorDetails [{type, details}]); details is the message in JSON form
// (field names as protojson reads them, lowerCamel or as in the .proto).
func detailMessage(d find.ErrorDetails) (protoadapt.MessageV1, error) {
	var m protoadapt.MessageV1
	switch strings.ToLower(strings.TrimPrefix(strings.TrimPrefix(d.Type, "google.rpc."), "type.googleapis.com/google.rpc.")) {
	case "badrequest", "bad_request":
		m = &errdetails.BadRequest{}
	case "retryinfo", "retry_info":
		m = &errdetails.RetryInfo{}
	case "debuginfo", "debug_info":
		m = &errdetails.DebugInfo{}
	case "quotafailure", "quota_failure":
		m = &errdetails.QuotaFailure{}
	case "preconditionfailure", "precondition_failure":
		m = &errdetails.PreconditionFailure{}
	case "errorinfo", "error_info":
		m = &errdetails.ErrorInfo{}
	case "requestinfo", "request_info":
		m = &errdetails.RequestInfo{}
	case "resourceinfo", "resource_info":
		m = &errdetails.ResourceInfo{}
	case "help":
		m = &errdetails.Help{}
	case "localizedmessage", "localized_message":
		m = &errdetails.LocalizedMessage{}
	default:
		return nil, fmt.Errorf("unknown type; use badRequest, retryInfo, debugInfo, quotaFailure, preconditionFailure, errorInfo, requestInfo, resourceInfo, help or localizedMessage")
	}
	if len(d.Details) > 0 && string(d.Details) != "null" {
		if err := protojson.Unmarshal(d.Details, protoadapt.MessageV2Of(m)); err != nil {
			return nil, err
		}
	}
	return m, nil
}

func errorInfo(reason string, meta map[string]string) protoadapt.MessageV1 {
	return &errdetails.ErrorInfo{Reason: reason, Domain: "mockarty", Metadata: meta}
}

func debugInfo(detail string) protoadapt.MessageV1 {
	return &errdetails.DebugInfo{Detail: detail}
}
