import Foundation

/// The OpenAPI 3.1 description of driftd's HTTP API, written by hand and served at
/// `/api/v1/openapi.json`. The tests call every path listed here from a real server over a
/// real store and validate each response against these schemas, so the document cannot drift
/// from the code unnoticed. Every object schema forbids keys it does not list.
///
/// State-changing endpoints (ack, resolve, notes, silences) slot in as `post` operations with
/// `security: [{"bearer": []}]` and the `Unauthorized` response; the server already refuses
/// every request other than GET/HEAD/OPTIONS without the bearer token.
public enum OpenAPIDocument {
    /// Every operation of the document as `METHOD /path`, in path order.
    static let operations: [String] = {
        guard let object = try? JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: Any],
              let paths = object["paths"] as? [String: Any] else { return [] }
        return paths.keys.sorted().flatMap { path in
            ((paths[path] as? [String: Any])?.keys.sorted() ?? []).map { "\($0.uppercased()) \(path)" }
        }
    }()

    public static let json = #"""
{
  "openapi": "3.1.0",
  "info": {
    "title": "driftd",
    "version": "1",
    "description": "Read side of driftd, the drift-monitoring daemon: alerts, models, window reports, per-feature time series, baselines and dead letters, from driftd's store. Read endpoints need no token. Every request that can change state (any method but GET, HEAD and OPTIONS) needs `Authorization: Bearer <token>`, the token in the environment variable named by `http.token_env`; without it driftd answers 401. Numbers that JSON cannot hold (an infinite chi-square statistic) are null; figures a feature's kind does not have are absent."
  },
  "servers": [{ "url": "/" }],
  "paths": {
    "/api/v1/alerts": {
      "get": {
        "operationId": "listAlerts",
        "summary": "Alerts, most recently changed first, filtered and paged",
        "parameters": [
          { "name": "state", "in": "query", "schema": { "$ref": "#/components/schemas/AlertState" } },
          { "name": "model", "in": "query", "schema": { "type": "string" } },
          { "name": "severity", "in": "query", "schema": { "$ref": "#/components/schemas/Severity" } },
          { "$ref": "#/components/parameters/limit" },
          { "$ref": "#/components/parameters/offset" }
        ],
        "responses": {
          "200": { "description": "A page of alerts and how many match in all", "content": { "application/json": { "schema": { "$ref": "#/components/schemas/AlertPage" } } } },
          "400": { "$ref": "#/components/responses/BadRequest" }
        }
      }
    },
    "/api/v1/alerts/{id}": {
      "get": {
        "operationId": "getAlert",
        "summary": "One alert with every transition it went through",
        "parameters": [{ "name": "id", "in": "path", "required": true, "schema": { "type": "integer", "minimum": 1 } }],
        "responses": {
          "200": { "description": "The alert", "content": { "application/json": { "schema": { "$ref": "#/components/schemas/AlertWithTransitions" } } } },
          "400": { "$ref": "#/components/responses/BadRequest" },
          "404": { "$ref": "#/components/responses/NotFound" }
        }
      }
    },
    "/api/v1/alerts/{id}/ack": {
      "post": {
        "operationId": "acknowledgeAlert",
        "summary": "Acknowledge a firing alert: repeats stop until it resolves or the acknowledgement expires; receivers that support it (PagerDuty) are told",
        "security": [{ "bearer": [] }],
        "parameters": [{ "name": "id", "in": "path", "required": true, "schema": { "type": "integer", "minimum": 1 } }],
        "requestBody": { "required": true, "content": { "application/json": { "schema": {
          "type": "object", "additionalProperties": false, "required": ["by"],
          "properties": { "by": { "type": "string" }, "note": { "type": "string" }, "expires_in_seconds": { "type": "number", "exclusiveMinimum": 0 } } } } } },
        "responses": {
          "200": { "description": "The alert, acknowledged", "content": { "application/json": { "schema": { "$ref": "#/components/schemas/AlertWithTransitions" } } } },
          "400": { "$ref": "#/components/responses/BadRequest" }, "401": { "$ref": "#/components/responses/Unauthorized" },
          "404": { "$ref": "#/components/responses/NotFound" }, "409": { "$ref": "#/components/responses/Conflict" }
        }
      }
    },
    "/api/v1/alerts/{id}/resolve": {
      "post": {
        "operationId": "resolveAlert",
        "summary": "Resolve an alert by hand (receivers are told); it fires again only after it clears and breaches anew",
        "security": [{ "bearer": [] }],
        "parameters": [{ "name": "id", "in": "path", "required": true, "schema": { "type": "integer", "minimum": 1 } }],
        "requestBody": { "required": true, "content": { "application/json": { "schema": {
          "type": "object", "additionalProperties": false, "required": ["by"],
          "properties": { "by": { "type": "string" }, "note": { "type": "string" } } } } } },
        "responses": {
          "200": { "description": "The alert, resolved", "content": { "application/json": { "schema": { "$ref": "#/components/schemas/AlertWithTransitions" } } } },
          "400": { "$ref": "#/components/responses/BadRequest" }, "401": { "$ref": "#/components/responses/Unauthorized" },
          "404": { "$ref": "#/components/responses/NotFound" }, "409": { "$ref": "#/components/responses/Conflict" }
        }
      }
    },
    "/api/v1/alerts/{id}/notes": {
      "post": {
        "operationId": "addAlertNote",
        "summary": "Add a note to an alert",
        "security": [{ "bearer": [] }],
        "parameters": [{ "name": "id", "in": "path", "required": true, "schema": { "type": "integer", "minimum": 1 } }],
        "requestBody": { "required": true, "content": { "application/json": { "schema": {
          "type": "object", "additionalProperties": false, "required": ["by", "text"],
          "properties": { "by": { "type": "string" }, "text": { "type": "string", "minLength": 1 } } } } } },
        "responses": {
          "201": { "description": "The alert with the note", "content": { "application/json": { "schema": { "$ref": "#/components/schemas/AlertWithTransitions" } } } },
          "400": { "$ref": "#/components/responses/BadRequest" }, "401": { "$ref": "#/components/responses/Unauthorized" },
          "404": { "$ref": "#/components/responses/NotFound" }
        }
      }
    },
    "/api/v1/silences": {
      "get": {
        "operationId": "listSilences",
        "summary": "Silences: active and upcoming ones, or all with include_expired=true",
        "parameters": [{ "name": "include_expired", "in": "query", "schema": { "type": "boolean" } }],
        "responses": { "200": { "description": "The silences", "content": { "application/json": { "schema": { "$ref": "#/components/schemas/Silences" } } } } }
      },
      "post": {
        "operationId": "addSilence",
        "summary": "Silence the alerts whose labels (model, feature, rule, severity, and the model's own labels) match every matcher, from starts_at (default now) to ends_at or for duration_seconds (exactly one of the two: both, or neither, is a 400)",
        "security": [{ "bearer": [] }],
        "requestBody": { "required": true, "content": { "application/json": { "schema": {
          "type": "object", "additionalProperties": false, "required": ["matchers", "by"],
          "oneOf": [{ "required": ["ends_at"] }, { "required": ["duration_seconds"] }],
          "properties": {
            "matchers": { "type": "array", "minItems": 1, "items": { "type": "string" } },
            "by": { "type": "string" }, "comment": { "type": "string" },
            "starts_at": { "type": "string", "format": "date-time" }, "ends_at": { "type": "string", "format": "date-time" },
            "duration_seconds": { "type": "number", "exclusiveMinimum": 0 } } } } } },
        "responses": {
          "201": { "description": "The silence", "content": { "application/json": { "schema": { "$ref": "#/components/schemas/Silence" } } } },
          "400": { "$ref": "#/components/responses/BadRequest" }, "401": { "$ref": "#/components/responses/Unauthorized" },
          "409": { "$ref": "#/components/responses/Conflict" }
        }
      }
    },
    "/api/v1/silences/{id}/expire": {
      "post": {
        "operationId": "expireSilence",
        "summary": "End a silence now",
        "security": [{ "bearer": [] }],
        "parameters": [{ "name": "id", "in": "path", "required": true, "schema": { "type": "integer", "minimum": 1 } }],
        "requestBody": { "required": true, "content": { "application/json": { "schema": {
          "type": "object", "additionalProperties": false, "required": ["by"], "properties": { "by": { "type": "string" } } } } } },
        "responses": {
          "200": { "description": "The silence, expired", "content": { "application/json": { "schema": { "$ref": "#/components/schemas/Silence" } } } },
          "400": { "$ref": "#/components/responses/BadRequest" }, "401": { "$ref": "#/components/responses/Unauthorized" },
          "404": { "$ref": "#/components/responses/NotFound" }, "409": { "$ref": "#/components/responses/Conflict" }
        }
      }
    },
    "/api/v1/models": {
      "get": {
        "operationId": "listModels",
        "summary": "Configured and stored models, each with its active baseline and latest window",
        "responses": {
          "200": { "description": "The models", "content": { "application/json": { "schema": { "$ref": "#/components/schemas/Models" } } } }
        }
      }
    },
    "/api/v1/models/{model}/windows": {
      "get": {
        "operationId": "listWindows",
        "summary": "The model's latest window reports, oldest first, with every feature's figures",
        "parameters": [
          { "$ref": "#/components/parameters/model" },
          { "name": "last", "in": "query", "description": "How many windows (default 20)", "schema": { "type": "integer", "minimum": 1, "maximum": 1000 } }
        ],
        "responses": {
          "200": { "description": "Window reports", "content": { "application/json": { "schema": { "$ref": "#/components/schemas/Windows" } } } },
          "400": { "$ref": "#/components/responses/BadRequest" },
          "404": { "$ref": "#/components/responses/NotFound" }
        }
      }
    },
    "/api/v1/models/{model}/features/{feature}/series": {
      "get": {
        "operationId": "featureSeries",
        "summary": "One feature's figures over the model's latest windows, with the thresholds of the rules that apply to it",
        "parameters": [
          { "$ref": "#/components/parameters/model" },
          { "name": "feature", "in": "path", "required": true, "schema": { "type": "string" } },
          { "name": "last", "in": "query", "description": "How many windows (default 100)", "schema": { "type": "integer", "minimum": 1, "maximum": 1000 } }
        ],
        "responses": {
          "200": { "description": "The series", "content": { "application/json": { "schema": { "$ref": "#/components/schemas/Series" } } } },
          "400": { "$ref": "#/components/responses/BadRequest" },
          "404": { "$ref": "#/components/responses/NotFound" }
        }
      }
    },
    "/api/v1/baselines": {
      "get": {
        "operationId": "listBaselines",
        "summary": "Stored baseline versions, one active per model",
        "parameters": [{ "name": "model", "in": "query", "schema": { "type": "string" } }],
        "responses": {
          "200": { "description": "Baselines", "content": { "application/json": { "schema": { "$ref": "#/components/schemas/Baselines" } } } }
        }
      }
    },
    "/api/v1/deadletters": {
      "get": {
        "operationId": "listDeadLetters",
        "summary": "Records that could not be used, oldest first, paged",
        "parameters": [{ "$ref": "#/components/parameters/limit" }, { "$ref": "#/components/parameters/offset" }],
        "responses": {
          "200": { "description": "Dead letters", "content": { "application/json": { "schema": { "$ref": "#/components/schemas/DeadLetters" } } } },
          "400": { "$ref": "#/components/responses/BadRequest" }
        }
      }
    },
    "/api/v1/audit": {
      "get": {
        "operationId": "listAudit",
        "summary": "The audit log, newest first, paged: who acknowledged, resolved, silenced, fitted or activated a baseline, pruned",
        "parameters": [
          { "name": "actor", "in": "query", "schema": { "type": "string" }, "description": "Only this actor's entries" },
          { "name": "action", "in": "query", "schema": { "type": "string" }, "description": "Actions starting with this, e.g. alert. or baseline.fit" },
          { "name": "since", "in": "query", "schema": { "type": "string", "format": "date-time" }, "description": "From this RFC 3339 time on" },
          { "$ref": "#/components/parameters/limit" }, { "$ref": "#/components/parameters/offset" }
        ],
        "responses": {
          "200": { "description": "Audit entries", "content": { "application/json": { "schema": { "$ref": "#/components/schemas/AuditLog" } } } },
          "400": { "$ref": "#/components/responses/BadRequest" }
        }
      }
    },
    "/api/v1": {
      "get": {
        "operationId": "index",
        "summary": "Where the API's endpoints, its document, the dashboard and the metrics are",
        "responses": { "200": { "description": "The index", "content": { "application/json": { "schema": { "$ref": "#/components/schemas/Index" } } } } }
      }
    },
    "/api/v1/openapi.json": {
      "get": {
        "operationId": "openAPI",
        "summary": "This document",
        "responses": { "200": { "description": "OpenAPI 3.1", "content": { "application/json": { "schema": { "type": "object", "required": ["openapi", "paths"] } } } } }
      }
    },
    "/healthz": {
      "get": {
        "operationId": "health",
        "summary": "The process is alive",
        "responses": { "200": { "description": "Alive", "content": { "application/json": { "schema": { "$ref": "#/components/schemas/Health" } } } } }
      }
    },
    "/readyz": {
      "get": {
        "operationId": "readiness",
        "summary": "The store answers and the daemon is ready",
        "responses": {
          "200": { "description": "Ready", "content": { "application/json": { "schema": { "$ref": "#/components/schemas/Health" } } } },
          "503": { "description": "Not ready, with the reason", "content": { "application/json": { "schema": { "$ref": "#/components/schemas/Health" } } } }
        }
      }
    },
    "/metrics": {
      "get": {
        "operationId": "metrics",
        "summary": "Prometheus metrics (text exposition format 0.0.4)",
        "responses": { "200": { "description": "Metrics", "content": { "text/plain": { "schema": { "type": "string" } } } } }
      }
    },
    "/": {
      "get": {
        "operationId": "dashboard",
        "summary": "The dashboard (one self-contained page)",
        "responses": { "200": { "description": "HTML", "content": { "text/html": { "schema": { "type": "string" } } } } }
      }
    }
  },
  "components": {
    "securitySchemes": {
      "bearer": { "type": "http", "scheme": "bearer", "description": "The token in the environment variable named by http.token_env" }
    },
    "parameters": {
      "limit": { "name": "limit", "in": "query", "description": "Page size (default 50)", "schema": { "type": "integer", "minimum": 1, "maximum": 1000 } },
      "offset": { "name": "offset", "in": "query", "description": "Rows to skip (default 0)", "schema": { "type": "integer", "minimum": 0 } },
      "model": { "name": "model", "in": "path", "required": true, "schema": { "type": "string" } }
    },
    "responses": {
      "BadRequest": { "description": "A parameter is out of range or not one of its values", "content": { "application/json": { "schema": { "$ref": "#/components/schemas/Error" } } } },
      "NotFound": { "description": "No such alert, model or feature", "content": { "application/json": { "schema": { "$ref": "#/components/schemas/Error" } } } },
      "Conflict": { "description": "The alert's or silence's state does not allow it (e.g. acknowledging a resolved alert)", "content": { "application/json": { "schema": { "$ref": "#/components/schemas/Error" } } } },
      "Unauthorized": {
        "description": "A state-changing request without the right bearer token",
        "headers": { "WWW-Authenticate": { "schema": { "type": "string" } } },
        "content": { "application/json": { "schema": { "$ref": "#/components/schemas/Error" } } }
      }
    },
    "schemas": {
      "Error": {
        "type": "object", "additionalProperties": false, "required": ["error"],
        "properties": { "error": { "type": "object", "additionalProperties": false, "required": ["message"], "properties": { "message": { "type": "string" } } } }
      },
      "Index": {
        "type": "object", "additionalProperties": false, "required": ["name", "openapi", "dashboard", "metrics", "endpoints"],
        "properties": {
          "name": { "type": "string" }, "openapi": { "type": "string" }, "dashboard": { "type": "string" }, "metrics": { "type": "string" },
          "endpoints": { "type": "array", "items": { "type": "string" } }
        }
      },
      "Health": {
        "type": "object", "additionalProperties": false, "required": ["status"],
        "properties": { "status": { "enum": ["ok", "ready", "not ready"] }, "reason": { "type": "string" } }
      },
      "AlertState": { "enum": ["pending", "firing", "resolved"] },
      "Severity": { "enum": ["warning", "critical"] },
      "FeatureStatus": { "enum": ["ok", "warn", "critical", "insufficient_data"] },
      "Transition": {
        "type": "object", "additionalProperties": false, "required": ["id", "kind", "window_index", "created_at"],
        "properties": {
          "id": { "type": "integer" },
          "kind": { "enum": ["pending", "firing", "severity_changed", "resolved", "cancelled", "acknowledged"] },
          "from": { "$ref": "#/components/schemas/AlertState" },
          "to": { "$ref": "#/components/schemas/AlertState" },
          "severity": { "$ref": "#/components/schemas/Severity" },
          "value": { "type": "number" },
          "window_index": { "type": "integer" },
          "created_at": { "type": "string", "format": "date-time" }
        }
      },
      "Alert": {
        "type": "object", "additionalProperties": false,
        "required": ["id", "fingerprint", "model", "rule", "state", "started_window", "updated_window", "updated_at", "links"],
        "properties": {
          "id": { "type": "integer", "minimum": 1 },
          "fingerprint": { "type": "string", "description": "model/feature/rule (feature '-' for a model-level rule)" },
          "model": { "type": "string" },
          "feature": { "type": "string", "description": "Absent for a model-level rule (volume, performance)" },
          "rule": { "type": "string" },
          "state": { "$ref": "#/components/schemas/AlertState" },
          "severity": { "$ref": "#/components/schemas/Severity" },
          "value": { "type": "number", "description": "The rule's metric in the last window that changed the alert" },
          "started_window": { "type": "integer" },
          "updated_window": { "type": "integer" },
          "updated_at": { "type": "string", "format": "date-time" },
          "links": {
            "type": "object", "additionalProperties": false, "required": ["alert", "windows"],
            "properties": { "alert": { "type": "string" }, "windows": { "type": "string" }, "series": { "type": "string" } }
          },
          "transitions": { "type": "array", "items": { "$ref": "#/components/schemas/Transition" } },
          "acknowledgement": { "oneOf": [{ "type": "null" }, { "$ref": "#/components/schemas/Acknowledgement" }], "description": "The active acknowledgement, if any (one alert only)" },
          "notes": { "type": "array", "items": { "$ref": "#/components/schemas/Note" } },
          "deliveries": { "type": "array", "items": { "$ref": "#/components/schemas/Delivery" }, "description": "Each notification of this alert to each receiver, with its attempts" }
        }
      },
      "AlertWithTransitions": { "allOf": [{ "$ref": "#/components/schemas/Alert" }], "required": ["transitions", "acknowledgement", "notes", "deliveries"] },
      "Acknowledgement": {
        "type": "object", "additionalProperties": false, "required": ["by", "at"],
        "properties": {
          "by": { "type": "string" }, "at": { "type": "string", "format": "date-time" }, "note": { "type": "string" },
          "expires_at": { "type": "string", "format": "date-time" }
        }
      },
      "Note": {
        "type": "object", "additionalProperties": false, "required": ["by", "at", "text"],
        "properties": { "by": { "type": "string" }, "at": { "type": "string", "format": "date-time" }, "text": { "type": "string" } }
      },
      "Delivery": {
        "type": "object", "additionalProperties": false,
        "required": ["id", "receiver", "status", "attempts", "dedup_key", "transition_kind", "updated_at", "attempt_log"],
        "properties": {
          "id": { "type": "integer" },
          "receiver": { "type": "string" },
          "status": { "enum": ["pending", "delivered", "failed", "suppressed"] },
          "attempts": { "type": "integer", "minimum": 0 },
          "next_attempt_at": { "type": "string", "format": "date-time" },
          "last_error": { "type": "string" },
          "dedup_key": { "type": "string", "description": "Stable per alert fingerprint: repeats are harmless for the receiver" },
          "transition_kind": { "type": "string" },
          "updated_at": { "type": "string", "format": "date-time" },
          "attempt_log": {
            "type": "array",
            "items": {
              "type": "object", "additionalProperties": false, "required": ["at", "is_repeat"],
              "properties": {
                "at": { "type": "string", "format": "date-time" }, "status_code": { "type": "integer" },
                "error": { "type": "string" }, "is_repeat": { "type": "boolean" }
              }
            }
          }
        }
      },
      "Silence": {
        "type": "object", "additionalProperties": false,
        "required": ["id", "matchers", "starts_at", "ends_at", "created_by", "comment", "expired", "active"],
        "properties": {
          "id": { "type": "integer" },
          "matchers": { "type": "array", "items": { "type": "string" }, "description": "name=value, name!=value, name=~regex or name!~regex; all must hold" },
          "starts_at": { "type": "string", "format": "date-time" },
          "ends_at": { "type": "string", "format": "date-time" },
          "created_by": { "type": "string" },
          "comment": { "type": "string" },
          "expired": { "type": "boolean", "description": "Ended early by an operator" },
          "active": { "type": "boolean" }
        }
      },
      "Silences": {
        "type": "object", "additionalProperties": false, "required": ["silences"],
        "properties": { "silences": { "type": "array", "items": { "$ref": "#/components/schemas/Silence" } } }
      },
      "AlertPage": {
        "type": "object", "additionalProperties": false, "required": ["total", "limit", "offset", "alerts"],
        "properties": {
          "total": { "type": "integer", "minimum": 0 },
          "limit": { "type": "integer" },
          "offset": { "type": "integer" },
          "alerts": { "type": "array", "items": { "$ref": "#/components/schemas/Alert" } }
        }
      },
      "FeatureFigures": {
        "type": "object", "additionalProperties": false, "required": ["name", "kind", "status", "baseline_missing_rate"],
        "properties": {
          "name": { "type": "string" },
          "kind": { "enum": ["numeric", "categorical"] },
          "status": { "$ref": "#/components/schemas/FeatureStatus" },
          "count": { "type": "integer", "minimum": 0, "description": "Values used (finite numbers, or non-missing categories)" },
          "psi": { "type": "number", "minimum": 0 },
          "js": { "type": "number", "minimum": 0, "description": "Jensen-Shannon distance over the PSI bins" },
          "ks_d": { "type": "number", "minimum": 0, "maximum": 1, "description": "KS D on the baseline's grid (numeric)" },
          "ks_p": { "type": "number", "minimum": 0, "maximum": 1 },
          "ks_error_bound": { "type": "number", "minimum": 0 },
          "w1": { "type": "number", "minimum": 0, "description": "Wasserstein-1 normalised by the baseline sd (numeric)" },
          "mean_shift": { "type": "number", "description": "Mean change in baseline sd units (numeric)" },
          "chi2": { "type": "number", "minimum": 0, "description": "Chi-square statistic (categorical); absent when infinite" },
          "chi2_p": { "type": "number", "minimum": 0, "maximum": 1 },
          "chi2_df": { "type": "integer", "minimum": 0 },
          "unseen_rate": { "type": "number", "minimum": 0, "maximum": 1 },
          "missing_rate": { "type": "number", "minimum": 0, "maximum": 1 },
          "missing_rate_increase": { "type": "number" },
          "baseline_missing_rate": { "type": "number", "minimum": 0, "maximum": 1 },
          "type_error_rate": { "type": "number", "minimum": 0, "maximum": 1 },
          "outside_range_rate": { "type": "number", "minimum": 0, "maximum": 1 },
          "non_finite_rate": { "type": "number", "minimum": 0, "maximum": 1 },
          "category_share_change": { "type": "number", "minimum": 0, "maximum": 1, "description": "Largest change of one category's share (categorical)" },
          "decisions": { "type": "array", "items": { "$ref": "#/components/schemas/Decision" } }
        }
      },
      "Decision": {
        "type": "object", "additionalProperties": false, "required": ["rule", "metric", "floor", "verdict"],
        "description": "Why a rule decided what it did: the statistic, its test's p-value, the level it was compared with after the multiple-testing correction, and the effect floor.",
        "properties": {
          "rule": { "type": "string" },
          "metric": { "type": "string" },
          "value": { "type": "number" },
          "floor": { "type": "number" },
          "floor_source": { "enum": ["rule", "reference"] },
          "test": { "type": "string" },
          "p_value": { "type": "number", "minimum": 0, "maximum": 1 },
          "level": { "type": "number", "minimum": 0, "maximum": 1 },
          "verdict": { "enum": ["significant", "effect_too_small", "not_significant", "insufficient_data"] },
          "severity": { "enum": ["warning", "critical"] }
        }
      },
      "Window": {
        "type": "object", "additionalProperties": false,
        "required": ["model", "window_index", "basis", "start", "end", "record_count", "late_records", "baseline_version", "labelled", "status", "features"],
        "properties": {
          "model": { "type": "string" },
          "window_index": { "type": "integer" },
          "basis": { "enum": ["count", "event_time"] },
          "start": { "type": "integer", "description": "Record sequence number, or event time in ms" },
          "end": { "type": "integer" },
          "start_time": { "type": "string", "format": "date-time" },
          "end_time": { "type": "string", "format": "date-time" },
          "record_count": { "type": "integer", "minimum": 0 },
          "late_records": { "type": "integer", "minimum": 0 },
          "baseline_version": { "type": "string" },
          "expected_records": { "type": "number" },
          "volume_ratio": { "type": "number" },
          "performance": { "type": "number" },
          "baseline_performance": { "type": "number" },
          "performance_metric": { "enum": ["accuracy", "mae"] },
          "labelled": { "type": "integer", "minimum": 0 },
          "coverage": { "type": "number", "minimum": 0, "maximum": 1, "description": "Share of the window the model's stream was live for (event time)" },
          "volume_p_value": { "type": "number", "minimum": 0, "maximum": 1 },
          "performance_p_value": { "type": "number", "minimum": 0, "maximum": 1 },
          "performance_figures": { "$ref": "#/components/schemas/PerformanceFigures" },
          "model_decisions": { "type": "array", "items": { "$ref": "#/components/schemas/Decision" } },
          "status": { "$ref": "#/components/schemas/FeatureStatus" },
          "features": { "type": "array", "items": { "$ref": "#/components/schemas/FeatureFigures" } }
        }
      },
      "PerformanceFigures": {
        "type": "object", "additionalProperties": false, "required": ["task", "labelled"],
        "properties": {
          "task": { "enum": ["classification", "regression"] },
          "labelled": { "type": "integer", "minimum": 0 },
          "accuracy": { "type": "number", "minimum": 0, "maximum": 1 },
          "precision": { "type": "number", "minimum": 0, "maximum": 1 },
          "recall": { "type": "number", "minimum": 0, "maximum": 1 },
          "f1": { "type": "number", "minimum": 0, "maximum": 1 },
          "positive_rate": { "type": "number", "minimum": 0, "maximum": 1 },
          "log_loss": { "type": "number", "minimum": 0 },
          "threshold": { "type": "number" },
          "mean_absolute_error": { "type": "number", "minimum": 0 },
          "root_mean_squared_error": { "type": "number", "minimum": 0 }
        }
      },
      "Windows": {
        "type": "object", "additionalProperties": false, "required": ["model", "windows"],
        "properties": { "model": { "type": "string" }, "windows": { "type": "array", "items": { "$ref": "#/components/schemas/Window" } } }
      },
      "Threshold": {
        "type": "object", "additionalProperties": false,
        "required": ["rule", "metric", "field", "comparator", "warn", "clear", "for", "resolve_after"],
        "properties": {
          "rule": { "type": "string" },
          "metric": { "type": "string" },
          "field": { "type": "string", "description": "The FeatureFigures key the rule compares" },
          "comparator": { "enum": ["above", "below"] },
          "warn": { "type": "number" },
          "critical": { "type": "number" },
          "clear": { "type": "number" },
          "for": { "type": "integer", "minimum": 1 },
          "resolve_after": { "type": "integer", "minimum": 1 },
          "max_p_value": { "type": "number" }
        }
      },
      "SeriesPoint": {
        "type": "object", "additionalProperties": false, "required": ["window_index", "start", "end", "baseline_version", "figures"],
        "properties": {
          "window_index": { "type": "integer" },
          "start": { "type": "integer" },
          "end": { "type": "integer" },
          "start_time": { "type": "string", "format": "date-time" },
          "baseline_version": { "type": "string" },
          "figures": { "$ref": "#/components/schemas/FeatureFigures" }
        }
      },
      "Series": {
        "type": "object", "additionalProperties": false, "required": ["model", "feature", "thresholds", "points"],
        "properties": {
          "model": { "type": "string" },
          "feature": { "type": "string" },
          "kind": { "enum": ["numeric", "categorical"] },
          "thresholds": { "type": "array", "items": { "$ref": "#/components/schemas/Threshold" } },
          "points": { "type": "array", "items": { "$ref": "#/components/schemas/SeriesPoint" } }
        }
      },
      "WindowSettings": {
        "type": "object", "additionalProperties": false, "required": ["basis", "size", "hop", "min_samples"],
        "properties": {
          "basis": { "enum": ["count", "event_time"] },
          "size": { "type": "integer", "minimum": 1, "description": "Records, or milliseconds" },
          "hop": { "type": "integer", "minimum": 1 },
          "allowed_lateness_ms": { "type": "integer", "minimum": 0 },
          "idle_close_ms": { "type": "integer", "minimum": 1 },
          "min_samples": { "type": "integer", "minimum": 1 }
        }
      },
      "Baseline": {
        "type": "object", "additionalProperties": false, "required": ["model", "version", "created_at", "active", "record_count"],
        "properties": {
          "model": { "type": "string" },
          "version": { "type": "string" },
          "created_at": { "type": "string", "format": "date-time" },
          "active": { "type": "boolean" },
          "record_count": { "type": "integer", "minimum": 0 }
        }
      },
      "Baselines": {
        "type": "object", "additionalProperties": false, "required": ["baselines"],
        "properties": { "baselines": { "type": "array", "items": { "$ref": "#/components/schemas/Baseline" } } }
      },
      "Model": {
        "type": "object", "additionalProperties": false, "required": ["id", "configured", "firing_alerts", "acknowledged_alerts", "links"],
        "properties": {
          "id": { "type": "string" },
          "configured": { "type": "boolean", "description": "Named in the configuration (false: only in the store)" },
          "window": { "$ref": "#/components/schemas/WindowSettings" },
          "inventory": { "$ref": "#/components/schemas/Inventory" },
          "active_baseline": { "$ref": "#/components/schemas/Baseline" },
          "latest_window": { "$ref": "#/components/schemas/Window" },
          "firing_alerts": { "type": "integer", "minimum": 0, "description": "Firing, acknowledged ones included" },
          "acknowledged_alerts": { "type": "integer", "minimum": 0, "description": "Of the firing ones, those acknowledged now" },
          "links": { "type": "object", "additionalProperties": { "type": "string" }, "required": ["windows", "alerts"] }
        }
      },
      "Inventory": {
        "type": "object", "additionalProperties": false,
        "description": "Who answers for the model and how much it matters, from its configuration; stage, risk_tier, team and owner also label its alerts",
        "properties": {
          "owner": { "type": "string" },
          "team": { "type": "string" },
          "stage": { "type": "string", "enum": ["development", "staging", "production", "retired"] },
          "risk_tier": { "type": "string" },
          "description": { "type": "string" }
        }
      },
      "Models": {
        "type": "object", "additionalProperties": false, "required": ["models"],
        "properties": { "models": { "type": "array", "items": { "$ref": "#/components/schemas/Model" } } }
      },
      "DeadLetter": {
        "type": "object", "additionalProperties": false,
        "required": ["id", "source", "partition", "position", "reason", "payload", "payload_bytes", "created_at"],
        "properties": {
          "id": { "type": "integer" },
          "source": { "type": "string" },
          "partition": { "type": "integer" },
          "position": { "type": "integer" },
          "line": { "type": "integer" },
          "reason": { "type": "string" },
          "payload": { "type": "string", "description": "The record's first 4,096 bytes as text" },
          "payload_bytes": { "type": "integer", "minimum": 0 },
          "created_at": { "type": "string", "format": "date-time" }
        }
      },
      "AuditLog": {
        "type": "object", "additionalProperties": false, "required": ["total", "limit", "offset", "entries"],
        "properties": {
          "total": { "type": "integer", "minimum": 0 },
          "limit": { "type": "integer" },
          "offset": { "type": "integer" },
          "entries": { "type": "array", "items": {
            "type": "object", "additionalProperties": false, "required": ["id", "at", "actor", "action", "detail"],
            "properties": {
              "id": { "type": "integer" },
              "at": { "type": "string", "format": "date-time" },
              "actor": { "type": "string" },
              "action": { "type": "string", "description": "alert.ack, alert.resolve, alert.note, silence.add, silence.expire, baseline.fit, baseline.activate, store.prune" },
              "detail": { "type": "string" }
            }
          } }
        }
      },
      "DeadLetters": {
        "type": "object", "additionalProperties": false, "required": ["total", "limit", "offset", "dead_letters"],
        "properties": {
          "total": { "type": "integer", "minimum": 0 },
          "limit": { "type": "integer" },
          "offset": { "type": "integer" },
          "dead_letters": { "type": "array", "items": { "$ref": "#/components/schemas/DeadLetter" } }
        }
      }
    }
  }
}
"""#
}
