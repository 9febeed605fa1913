"""A local stand-in for HubSpot and Salesforce, for the test suite: one HTTP server that speaks
HubSpot's CRM v3 objects, associations v4 and owners APIs, and Salesforce's OAuth 2.0
client-credentials token endpoint, REST sObject API and SOQL query resource, in their own wire
formats, so Convene is pointed at it through config URLs alone.

    python3 fake_crm.py --port 8090 [--hubspot-token TOKEN] [--salesforce-client ID:SECRET]

Defaults: HubSpot private-app token hubspot-token, Salesforce client sf-client:sf-secret. It
listens on 127.0.0.1, keeps all state in memory and prints "ready" on stdout once it listens.

URL layout, P the port:

    HubSpot     API base   http://127.0.0.1:P/hubspot
                POST   /crm/v3/objects/contacts/batch/upsert   (idProperty email only)
                POST   /crm/v3/objects/{type}                  create
                GET    /crm/v3/objects/{type}?limit&after&properties
                GET    /crm/v3/objects/{type}/{id}
                PATCH  /crm/v3/objects/{type}/{id}
                POST   /crm/v3/objects/{type}/search
                PUT    /crm/v4/objects/{from}/{id}/associations/default/{to}/{toId}
                GET    /crm/v3/owners?limit&after
    Salesforce  token      POST http://127.0.0.1:P/salesforce-login/services/oauth2/token
                instance   http://127.0.0.1:P/salesforce (the token answer's instance_url)
                GET    /services/data/vNN.N/query?q=SOQL, and nextRecordsUrl pages
                POST   /services/data/vNN.N/sobjects/{object}
                PATCH  /services/data/vNN.N/sobjects/{object}/{id}
                PATCH  /services/data/vNN.N/sobjects/{object}/Convene_Id__c/{value}   upsert
                GET    /services/data/vNN.N/sobjects/{object}/{id}

HubSpot objects are contacts, companies, meetings, deals and notes, each with a fixed set of
known properties (anything else is a VALIDATION_ERROR); `convene_id` is a unique-value property
on meetings, deals and notes. Salesforce objects are Lead, Contact, Account, Event, Opportunity,
Note and User, each with a fixed set of fields; `Convene_Id__c` is an external id on Event and
Opportunity. SOQL is the subset Convene uses: SELECT fields (and Owner.Email) FROM object WHERE
conditions joined by AND (`=` with a string, true, false; `!= null`) ORDER BY field LIMIT n.

Control API under /__fake/, JSON in and out, no auth, never logged or failed:

    POST /__fake/reset        {}  forget everything
    POST /__fake/fail         a rule or a list of rules {"path_prefix", "method"?, "status",
                              "count"? (default 1, -1 for ever), "after_store"?,
                              "retry_after"?}: the next `count` matching requests get `status`
                              in the provider's error format (429 with HubSpot's rate-limit
                              headers; 403 REQUEST_LIMIT_EXCEEDED for Salesforce when status is
                              403). With after_store the request is carried out first and only
                              its answer is replaced: a lost response.
    POST /__fake/clear-failures {}
    POST /__fake/page-size    {"size"}  records per page of lists, searches and queries
    POST /__fake/expire-sessions {}  Salesforce access tokens issued so far get 401
    POST /__fake/convert-lead {"email"}  the open Lead with this email is converted: marked
                              IsConverted and replaced by a new Contact with its fields
    POST /__fake/seed         {"hubspot": {"owners": [{"email"}], "contacts": [{properties}],
                              "companies": [{properties}]}, "salesforce": {"users": [{"Email"}],
                              "Lead"|"Contact"|"Account": [{fields, "OwnerEmail"?}]}}
                              → the ids made, in the same shape
    GET  /__fake/state        {"hubspot": {type: [objects]}, "associations": [...],
                              "salesforce": {object: [records]}, "requests": [{"method",
                              "path", "status", "injected"}], "salesforce_tokens": [...]}
"""
import argparse
import base64
import itertools
import json
import re
import secrets
import sys
import threading
import time
import traceback
from datetime import datetime, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qsl, unquote, urlsplit

JSON_TYPE = "application/json;charset=UTF-8"
HUBSPOT = "/hubspot"
SF_LOGIN = "/salesforce-login"
SF_INSTANCE = "/salesforce"

HUBSPOT_PROPERTIES = {
    "contacts": {"email", "firstname", "lastname", "company", "jobtitle", "phone",
                 "lifecyclestage", "hubspot_owner_id"},
    "companies": {"name", "domain", "hubspot_owner_id"},
    "meetings": {"hs_timestamp", "hs_meeting_title", "hs_meeting_body", "hs_meeting_start_time",
                 "hs_meeting_end_time", "hs_meeting_location", "hs_meeting_outcome",
                 "hs_internal_meeting_notes", "hubspot_owner_id", "convene_id"},
    "deals": {"dealname", "amount", "deal_currency_code", "pipeline", "dealstage", "closedate",
              "hubspot_owner_id", "convene_id"},
    "notes": {"hs_timestamp", "hs_note_body", "hubspot_owner_id", "convene_id"},
}
HUBSPOT_REQUIRED = {"meetings": ["hs_timestamp"], "notes": ["hs_timestamp"], "deals": ["dealname"]}
HUBSPOT_UNIQUE = {"meetings": "convene_id", "deals": "convene_id", "notes": "convene_id",
                  "contacts": "email"}
MEETING_OUTCOMES = {"SCHEDULED", "COMPLETED", "RESCHEDULED", "NO_SHOW", "CANCELED"}
LIFECYCLE_STAGES = {"subscriber", "lead", "marketingqualifiedlead", "salesqualifiedlead",
                    "opportunity", "customer", "evangelist", "other"}
DEAL_STAGES = {"appointmentscheduled", "qualifiedtobuy", "presentationscheduled",
               "decisionmakerboughtin", "contractsent", "closedwon", "closedlost"}
ASSOCIATION_TYPES = {("meetings", "contacts"): 200, ("deals", "contacts"): 3,
                     ("notes", "contacts"): 202, ("contacts", "companies"): 279}

SF_FIELDS = {
    "Lead": {"Id", "Email", "FirstName", "LastName", "Company", "Title", "Phone", "LeadSource",
             "Status", "IsConverted", "OwnerId", "CreatedDate"},
    "Contact": {"Id", "Email", "FirstName", "LastName", "Title", "Phone", "AccountId", "OwnerId",
                "CreatedDate"},
    "Account": {"Id", "Name", "Website", "OwnerId", "CreatedDate"},
    "Event": {"Id", "Subject", "StartDateTime", "EndDateTime", "DurationInMinutes", "Description",
              "Location", "ShowAs", "WhoId", "WhatId", "Convene_Id__c", "OwnerId", "CreatedDate"},
    "Opportunity": {"Id", "Name", "Amount", "CurrencyIsoCode", "StageName", "CloseDate",
                    "ContactId", "AccountId", "Description", "Convene_Id__c", "OwnerId",
                    "CreatedDate"},
    "Note": {"Id", "ParentId", "Title", "Body", "OwnerId", "CreatedDate"},
    "User": {"Id", "Email", "Name"},
}
SF_READ_ONLY = {"Id", "IsConverted", "OwnerId", "CreatedDate"}
SF_REQUIRED = {"Lead": ["LastName", "Company"], "Contact": ["LastName"], "Account": ["Name"],
               "Event": ["StartDateTime", "EndDateTime"],
               "Opportunity": ["Name", "StageName", "CloseDate"], "Note": ["ParentId", "Title"]}
SF_PREFIX = {"Lead": "00Q", "Contact": "003", "Account": "001", "Event": "00U",
             "Opportunity": "006", "Note": "002", "User": "005"}
SF_EXTERNAL_IDS = {"Event": {"Convene_Id__c"}, "Opportunity": {"Convene_Id__c"}}
SF_STAGES = {"Prospecting", "Qualification", "Needs Analysis", "Value Proposition",
             "Id. Decision Makers", "Perception Analysis", "Proposal/Price Quote",
             "Negotiation/Review", "Closed Won", "Closed Lost"}
SF_SHOW_AS = {"Busy", "OutOfOffice", "Free"}


class Reply:
    def __init__(self, status, body=b"", headers=None):
        self.status, self.body, self.headers = status, body, headers or {}


class Refusal(Exception):
    def __init__(self, reply):
        super().__init__(reply.status)
        self.reply = reply


def json_reply(status, data, headers=None):
    body = b"" if data is None else json.dumps(data).encode()
    headers = dict(headers or {})
    if data is not None:
        headers["Content-Type"] = JSON_TYPE
    return Reply(status, body, headers)


def now_iso():
    return datetime.now(timezone.utc).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def rate_headers(remaining=99):
    return {"X-HubSpot-RateLimit-Max": "100", "X-HubSpot-RateLimit-Remaining": str(remaining),
            "X-HubSpot-RateLimit-Interval-Milliseconds": "10000",
            "X-HubSpot-RateLimit-Daily": "250000",
            "X-HubSpot-RateLimit-Daily-Remaining": "249000"}


def hubspot_error(status, message, category, headers=None, **extra):
    body = {"status": "error", "message": message, "correlationId": secrets.token_hex(16)[:36],
            "category": category}
    body.update(extra)
    return json_reply(status, body, {**rate_headers(), **(headers or {})})


def sf_error(status, code, message, fields=None):
    item = {"message": message, "errorCode": code}
    if fields is not None:
        item["fields"] = fields
    return json_reply(status, [item])


class FailureRule:
    def __init__(self, spec):
        self.path_prefix = spec["path_prefix"]
        self.method = spec.get("method")
        self.status = int(spec["status"])
        self.count = int(spec.get("count", 1))
        self.after_store = bool(spec.get("after_store", False))
        self.retry_after = spec.get("retry_after")

    def matches(self, method, path):
        return (self.count != 0 and path.startswith(self.path_prefix)
                and (self.method is None or self.method == method))


class State:
    def __init__(self, hubspot_token, sf_client):
        self.lock = threading.RLock()
        self.hubspot_token = hubspot_token
        self.sf_client = sf_client
        self.reset()

    def reset(self):
        self.ids = itertools.count(1001)
        self.hubspot = {kind: {} for kind in HUBSPOT_PROPERTIES}
        self.owners = {}
        self.associations = []
        self.sf = {kind: {} for kind in SF_FIELDS}
        self.sf_tokens = {}
        self.query_cursors = {}
        self.failures = []
        self.requests = []
        self.page_size = 100

    def take_failure(self, method, path):
        for rule in self.failures:
            if rule.matches(method, path):
                if rule.count > 0:
                    rule.count -= 1
                return rule
        return None

    def next_hubspot_id(self):
        return str(next(self.ids))

    def next_sf_id(self, kind):
        return SF_PREFIX[kind] + "5g" + format(next(self.ids), "010d") + "AAE"


# --- HubSpot ----------------------------------------------------------------------------------

def hubspot_object(kind, object_id, properties, created):
    return {"id": object_id, "properties": dict(properties), "createdAt": created,
            "updatedAt": properties.get("lastmodifieddate", created), "archived": False}


def check_hubspot_properties(kind, properties, creating):
    if not isinstance(properties, dict):
        raise Refusal(hubspot_error(400, "Invalid input JSON: properties must be an object",
                                    "VALIDATION_ERROR"))
    errors = []
    for name, value in properties.items():
        if name not in HUBSPOT_PROPERTIES[kind]:
            errors.append({"message": f'Property "{name}" does not exist',
                           "code": "PROPERTY_DOESNT_EXIST", "context": {"propertyName": [name]}})
        elif value is not None and not isinstance(value, str):
            errors.append({"message": f'Property "{name}" must be a string',
                           "code": "INVALID_TYPE", "context": {"propertyName": [name]}})
    outcome = properties.get("hs_meeting_outcome")
    if outcome and outcome not in MEETING_OUTCOMES:
        errors.append({"message": f"{outcome} was not one of the allowed options",
                       "code": "INVALID_OPTION"})
    stage = properties.get("lifecyclestage")
    if stage and stage not in LIFECYCLE_STAGES:
        errors.append({"message": f"{stage} was not one of the allowed options",
                       "code": "INVALID_OPTION"})
    deal_stage = properties.get("dealstage")
    if deal_stage and deal_stage not in DEAL_STAGES:
        errors.append({"message": f"{deal_stage} is not a valid deal stage",
                       "code": "INVALID_OPTION"})
    for name in ("hs_timestamp", "hs_meeting_start_time", "hs_meeting_end_time", "closedate"):
        value = properties.get(name)
        if value and not re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z|\d+", value):
            errors.append({"message": f"{value} is not a valid datetime", "code": "INVALID_DATE"})
    if creating:
        for name in HUBSPOT_REQUIRED.get(kind, []):
            if not properties.get(name):
                errors.append({"message": f"{name} is required", "code": "REQUIRED_FIELD"})
    if errors:
        raise Refusal(hubspot_error(400, "Property values were not valid: "
                                    + json.dumps(errors), "VALIDATION_ERROR", errors=errors))


def hubspot_unique_clash(state, kind, properties, except_id=None):
    unique = HUBSPOT_UNIQUE.get(kind)
    value = properties.get(unique) if unique else None
    if not value:
        return None
    for object_id, stored in state.hubspot[kind].items():
        if object_id != except_id and stored["properties"].get(unique, "").lower() == value.lower():
            return object_id
    return None


def hubspot_store(state, kind, properties, object_id=None):
    now = now_iso()
    if object_id is None:
        object_id = state.next_hubspot_id()
        stored = hubspot_object(kind, object_id, {}, now)
        stored["history"] = []
        state.hubspot[kind][object_id] = stored
    stored = state.hubspot[kind][object_id]
    stored["properties"].update({k: v for k, v in properties.items()})
    stored["properties"]["hs_object_id"] = object_id
    stored["properties"]["lastmodifieddate"] = now
    stored["updatedAt"] = now
    stored["history"].append(dict(properties))
    return stored


def hubspot_view(stored, wanted=None):
    properties = stored["properties"]
    if wanted is not None:
        properties = {k: properties.get(k) for k in wanted | {"hs_object_id", "createdate",
                                                             "lastmodifieddate"}}
    return {"id": stored["id"], "properties": properties, "createdAt": stored["createdAt"],
            "updatedAt": stored["updatedAt"], "archived": False}


def hubspot_api(state, method, path, query, body):
    rest = path[len(HUBSPOT):]
    if rest == "/crm/v3/objects/contacts/batch/upsert" and method == "POST":
        inputs = body.get("inputs")
        if not isinstance(inputs, list) or not inputs or len(inputs) > 100:
            raise Refusal(hubspot_error(400, "Invalid input JSON: inputs must hold 1 to 100 items",
                                        "VALIDATION_ERROR"))
        results = []
        for item in inputs:
            if set(item) - {"idProperty", "id", "properties", "objectWriteTraceId"}:
                raise Refusal(hubspot_error(400, "Invalid input JSON: unknown field in input",
                                            "VALIDATION_ERROR"))
            if item.get("idProperty") != "email" or not item.get("id"):
                raise Refusal(hubspot_error(400, "idProperty must be a unique property such as "
                                            "email, with its value in id", "VALIDATION_ERROR"))
            properties = dict(item.get("properties") or {})
            check_hubspot_properties("contacts", properties, creating=False)
            properties["email"] = item["id"]
            existing = hubspot_unique_clash(state, "contacts", properties)
            stored = hubspot_store(state, "contacts", properties, existing)
            view = hubspot_view(stored)
            view["new"] = existing is None
            results.append(view)
        started = now_iso()
        return json_reply(200, {"status": "COMPLETE", "results": results, "startedAt": started,
                                "completedAt": now_iso()}, rate_headers())
    match = re.fullmatch(r"/crm/v3/objects/(\w+)(?:/(search|[^/]+))?", rest)
    if match and match[1] in HUBSPOT_PROPERTIES:
        kind, tail = match[1], match[2]
        if tail == "search" and method == "POST":
            return hubspot_search(state, kind, body)
        if tail is None and method == "POST":
            if set(body) - {"properties", "associations"}:
                raise Refusal(hubspot_error(400, "Invalid input JSON: unknown field",
                                            "VALIDATION_ERROR"))
            properties = body.get("properties") or {}
            check_hubspot_properties(kind, properties, creating=True)
            if hubspot_unique_clash(state, kind, properties):
                raise Refusal(hubspot_error(409, f"A {kind[:-1]} with this "
                                            f"{HUBSPOT_UNIQUE[kind]} already exists",
                                            "CONFLICT"))
            stored = hubspot_store(state, kind, properties)
            stored["properties"]["createdate"] = stored["createdAt"]
            return json_reply(201, hubspot_view(stored), rate_headers())
        if tail is None and method == "GET":
            return hubspot_list(state, kind, query)
        if tail and tail != "search":
            stored = state.hubspot[kind].get(tail)
            if stored is None:
                raise Refusal(hubspot_error(404, "resource not found", "OBJECT_NOT_FOUND"))
            if method == "GET":
                return json_reply(200, hubspot_view(stored), rate_headers())
            if method == "PATCH":
                if set(body) != {"properties"}:
                    raise Refusal(hubspot_error(400, "Invalid input JSON: expected properties",
                                                "VALIDATION_ERROR"))
                check_hubspot_properties(kind, body["properties"], creating=False)
                if hubspot_unique_clash(state, kind, body["properties"], except_id=tail):
                    raise Refusal(hubspot_error(409, "unique value taken", "CONFLICT"))
                return json_reply(200, hubspot_view(hubspot_store(state, kind, body["properties"],
                                                                 tail)), rate_headers())
    match = re.fullmatch(r"/crm/v4/objects/(\w+)/([^/]+)/associations/default/(\w+)/([^/]+)", rest)
    if match and method == "PUT":
        from_kind, from_id, to_kind, to_id = match.groups()
        type_id = ASSOCIATION_TYPES.get((from_kind, to_kind))
        if type_id is None:
            raise Refusal(hubspot_error(400, f"no default association from {from_kind} to "
                                        f"{to_kind}", "VALIDATION_ERROR"))
        if from_id not in state.hubspot[from_kind] or to_id not in state.hubspot[to_kind]:
            raise Refusal(hubspot_error(404, "one of the objects does not exist",
                                        "OBJECT_NOT_FOUND"))
        link = {"from": {"type": from_kind, "id": from_id}, "to": {"type": to_kind, "id": to_id},
                "associationTypeId": type_id}
        if link not in state.associations:
            state.associations.append(link)
        return json_reply(200, {"status": "COMPLETE", "results": [{
            "from": {"id": from_id}, "to": {"id": to_id},
            "associationSpec": {"associationCategory": "HUBSPOT_DEFINED",
                                "associationTypeId": type_id}}],
            "startedAt": now_iso(), "completedAt": now_iso()}, rate_headers())
    if rest == "/crm/v3/owners" and method == "GET":
        owners = sorted(state.owners.values(), key=lambda owner: int(owner["id"]))
        return json_reply(200, paged(state, owners, query), rate_headers())
    raise Refusal(hubspot_error(404, f"No route for {method} {rest}", "OBJECT_NOT_FOUND"))


def page_limit(state, query):
    try:
        limit = int(query.get("limit", "10"))
    except ValueError:
        raise Refusal(hubspot_error(400, "limit must be a number", "VALIDATION_ERROR"))
    if not 1 <= limit <= 100:
        raise Refusal(hubspot_error(400, "limit must be 1 to 100", "VALIDATION_ERROR"))
    return min(limit, state.page_size)


def paged(state, items, query, start_key="after"):
    limit = page_limit(state, query)
    start = int(query.get(start_key, "0") or "0")
    page = items[start:start + limit]
    body = {"results": page}
    if start + limit < len(items):
        body["paging"] = {"next": {"after": str(start + limit),
                                   "link": f"?after={start + limit}"}}
    return body


def hubspot_list(state, kind, query):
    wanted = set(filter(None, query.get("properties", "").split(",")))
    unknown = wanted - HUBSPOT_PROPERTIES[kind]
    if unknown:
        raise Refusal(hubspot_error(400, f"unknown properties {sorted(unknown)}",
                                    "VALIDATION_ERROR"))
    objects = [hubspot_view(stored, wanted)
               for _, stored in sorted(state.hubspot[kind].items(), key=lambda kv: int(kv[0]))]
    return json_reply(200, paged(state, objects, query), rate_headers())


def hubspot_search(state, kind, body):
    if set(body) - {"filterGroups", "properties", "limit", "after", "sorts", "query"}:
        raise Refusal(hubspot_error(400, "Invalid input JSON: unknown search field",
                                    "VALIDATION_ERROR"))
    groups = body.get("filterGroups") or []
    matches = []
    for object_id, stored in sorted(state.hubspot[kind].items(), key=lambda kv: int(kv[0])):
        properties = stored["properties"]
        for group in groups:
            if all(filter_holds(kind, f, properties) for f in group.get("filters", [])):
                matches.append(hubspot_view(stored, set(body.get("properties") or [])))
                break
    limit = int(body.get("limit", 10))
    return json_reply(200, {"total": len(matches), "results": matches[:limit]}, rate_headers())


def filter_holds(kind, condition, properties):
    name, operator = condition.get("propertyName"), condition.get("operator")
    if name not in HUBSPOT_PROPERTIES[kind]:
        raise Refusal(hubspot_error(400, f"There was a problem with the request: property "
                                    f"{name} does not exist", "VALIDATION_ERROR"))
    if operator != "EQ":
        raise Refusal(hubspot_error(400, f"operator {operator} is not supported here",
                                    "VALIDATION_ERROR"))
    return str(properties.get(name, "")).lower() == str(condition.get("value", "")).lower()


# --- Salesforce -------------------------------------------------------------------------------

def sf_token(state, form, content_type):
    if not content_type.startswith("application/x-www-form-urlencoded"):
        return json_reply(400, {"error": "invalid_request",
                                "error_description": "must use application/x-www-form-urlencoded"})
    if form.get("grant_type") != "client_credentials":
        return json_reply(400, {"error": "unsupported_grant_type",
                                "error_description": "grant type not supported"})
    if (form.get("client_id"), form.get("client_secret")) != state.sf_client:
        return json_reply(400, {"error": "invalid_client",
                                "error_description": "invalid client credentials"})
    token = "00D5g000004Fake!" + secrets.token_urlsafe(40)
    state.sf_tokens[token] = True
    issued = str(int(time.time() * 1000))
    return json_reply(200, {
        "access_token": token, "instance_url": f"http://127.0.0.1:{state.port}{SF_INSTANCE}",
        "id": f"http://127.0.0.1:{state.port}{SF_LOGIN}/id/00D5g000004FAKE/0055g00000FAKE",
        "token_type": "Bearer", "issued_at": issued,
        "signature": base64.b64encode(secrets.token_bytes(32)).decode()})


def sf_record_view(kind, record, fields=None):
    names = fields if fields is not None else sorted(record)
    view = {"attributes": {"type": kind,
                           "url": f"/services/data/v60.0/sobjects/{kind}/{record['Id']}"}}
    for name in names:
        view[name] = record.get(name)
    return view


def sf_check_fields(kind, fields, creating, allow_external=None):
    if not isinstance(fields, dict):
        raise Refusal(sf_error(400, "JSON_PARSER_ERROR", "The body must be a JSON object"))
    for name, value in fields.items():
        if name not in SF_FIELDS[kind]:
            raise Refusal(sf_error(400, "INVALID_FIELD",
                                   f"No such column '{name}' on sobject of type {kind}"))
        if name in SF_READ_ONLY or name == allow_external:
            raise Refusal(sf_error(400, "INVALID_FIELD_FOR_INSERT_UPDATE",
                                   f"Unable to create/update fields: {name}.", [name]))
    if creating:
        missing = [name for name in SF_REQUIRED.get(kind, []) if fields.get(name) in (None, "")]
        if missing:
            raise Refusal(sf_error(400, "REQUIRED_FIELD_MISSING",
                                   f"Required fields are missing: [{', '.join(missing)}]", missing))
    if kind == "Opportunity" and "StageName" in fields and fields["StageName"] not in SF_STAGES:
        raise Refusal(sf_error(400, "INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST",
                               f"Stage: bad value for restricted picklist field: "
                               f"{fields['StageName']}", ["StageName"]))
    if kind == "Opportunity" and "Amount" in fields and not isinstance(
            fields["Amount"], (int, float)):
        raise Refusal(sf_error(400, "JSON_PARSER_ERROR", "Cannot deserialize instance of "
                               "currency from VALUE_STRING value"))
    if kind == "Event" and fields.get("ShowAs") not in (None, *SF_SHOW_AS):
        raise Refusal(sf_error(400, "INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST",
                               "Show Time As: bad value", ["ShowAs"]))


def sf_find(state, record_id):
    for kind, records in state.sf.items():
        if record_id in records:
            return kind, records[record_id]
    return None, None


def sf_check_references(state, kind, fields):
    for name, allowed in (("WhoId", ("Lead", "Contact")), ("ParentId", ("Lead", "Contact",
                                                                         "Account", "Opportunity")),
                          ("ContactId", ("Contact",))):
        if name in fields and fields[name] is not None:
            found_kind, _ = sf_find(state, fields[name])
            if found_kind not in allowed:
                raise Refusal(sf_error(400, "FIELD_INTEGRITY_EXCEPTION",
                                       f"{name}: id value of incorrect type: {fields[name]}",
                                       [name]))


def sf_create(state, kind, fields, owner_id=None):
    record_id = state.next_sf_id(kind)
    record = {"Id": record_id, "CreatedDate": now_iso(), "OwnerId": owner_id or
              next(iter(state.sf["User"]), None)}
    if kind == "Lead":
        record["IsConverted"] = False
    record.update(fields)
    record["_history"] = [dict(fields)]
    state.sf[kind][record_id] = record
    return record


def salesforce_api(state, method, path, query, body, raw_query):
    rest = path[len(SF_INSTANCE):]
    match = re.fullmatch(r"/services/data/(v\d+\.\d)/(.*)", rest)
    if not match:
        raise Refusal(sf_error(404, "NOT_FOUND", "The requested resource does not exist"))
    resource = match[2]
    if resource == "query" and method == "GET":
        return sf_query(state, query.get("q", ""))
    page = re.fullmatch(r"query/(01g[\w]+)-(\d+)", resource)
    if page and method == "GET":
        cursor = state.query_cursors.get(page[1])
        if cursor is None:
            raise Refusal(sf_error(400, "INVALID_QUERY_LOCATOR", "invalid query locator"))
        return sf_page(state, page[1], cursor, int(page[2]))
    parts = resource.split("/")
    if parts[0] != "sobjects" or len(parts) < 2 or parts[1] not in SF_FIELDS:
        raise Refusal(sf_error(404, "NOT_FOUND", "The requested resource does not exist"))
    kind = parts[1]
    if len(parts) == 2 and method == "POST":
        sf_check_fields(kind, body, creating=True)
        sf_check_references(state, kind, body)
        record = sf_create(state, kind, body)
        return json_reply(201, {"id": record["Id"], "success": True, "errors": []})
    if len(parts) == 3:
        record = state.sf[kind].get(parts[2])
        if record is None:
            raise Refusal(sf_error(404, "NOT_FOUND", "The requested resource does not exist"))
        if method == "GET":
            return json_reply(200, sf_record_view(kind, {k: v for k, v in record.items()
                                                         if not k.startswith("_")}))
        if method == "PATCH":
            if kind == "Lead" and record.get("IsConverted"):
                raise Refusal(sf_error(400, "CANNOT_UPDATE_CONVERTED_LEAD",
                                       "cannot reference converted lead"))
            sf_check_fields(kind, body, creating=False)
            sf_check_references(state, kind, body)
            record.update(body)
            record["_history"].append(dict(body))
            return json_reply(204, None)
    if len(parts) == 4 and method == "PATCH":
        field, value = parts[2], unquote(parts[3])
        if field not in SF_EXTERNAL_IDS.get(kind, set()):
            raise Refusal(sf_error(400, "NOT_FOUND", f"Provided external ID field does not "
                                   f"exist or is not accessible: {field}"))
        sf_check_fields(kind, body, creating=False, allow_external=field)
        sf_check_references(state, kind, body)
        found = [r for r in state.sf[kind].values() if r.get(field) == value]
        if len(found) > 1:
            return json_reply(300, [f"/services/data/v60.0/sobjects/{kind}/{r['Id']}"
                                    for r in found])
        if found:
            record = found[0]
            record.update(body)
            record["_history"].append(dict(body))
            return json_reply(200, {"id": record["Id"], "success": True, "errors": [],
                                    "created": False})
        sf_check_fields(kind, body, creating=True, allow_external=field)
        record = sf_create(state, kind, {**body, field: value})
        return json_reply(201, {"id": record["Id"], "success": True, "errors": [],
                                "created": True})
    raise Refusal(sf_error(405, "METHOD_NOT_ALLOWED", f"HTTP Method '{method}' not allowed"))


SOQL = re.compile(r"SELECT\s+(?P<fields>.+?)\s+FROM\s+(?P<object>\w+)"
                  r"(?:\s+WHERE\s+(?P<where>.+?))?(?:\s+ORDER\s+BY\s+(?P<order>\w+))?"
                  r"(?:\s+LIMIT\s+(?P<limit>\d+))?\s*$", re.I | re.S)
CONDITION = re.compile(r"(?P<field>\w+)\s*(?P<op>=|!=)\s*(?P<value>'(?:[^'\\]|\\.)*'|true|false|null)",
                       re.I)


def soql_value(text):
    if text.lower() in ("true", "false"):
        return text.lower() == "true"
    if text.lower() == "null":
        return None
    return re.sub(r"\\(.)", lambda m: {"n": "\n", "r": "\r"}.get(m[1], m[1]), text[1:-1])


def sf_query(state, soql):
    parsed = SOQL.match(soql.strip())
    if not parsed:
        raise Refusal(sf_error(400, "MALFORMED_QUERY", f"unexpected token in: {soql[:60]}"))
    kind = parsed["object"]
    if kind not in SF_FIELDS:
        raise Refusal(sf_error(400, "INVALID_TYPE", f"sObject type '{kind}' is not supported."))
    fields = [f.strip() for f in parsed["fields"].split(",")]
    for field in fields:
        if field not in SF_FIELDS[kind] and field != "Owner.Email":
            raise Refusal(sf_error(400, "INVALID_FIELD", f"No such column '{field}' on entity "
                                   f"'{kind}'."))
    conditions = []
    if parsed["where"]:
        for part in re.split(r"\s+AND\s+", parsed["where"], flags=re.I):
            condition = CONDITION.fullmatch(part.strip())
            if not condition or condition["field"] not in SF_FIELDS[kind]:
                raise Refusal(sf_error(400, "MALFORMED_QUERY", f"bad condition: {part[:60]}"))
            conditions.append((condition["field"], condition["op"],
                               soql_value(condition["value"])))
    records = [r for r in state.sf[kind].values()
               if all(holds(r.get(f), op, v) for f, op, v in conditions)]
    if parsed["order"]:
        records.sort(key=lambda r: str(r.get(parsed["order"]) or ""))
    if parsed["limit"]:
        records = records[:int(parsed["limit"])]
    rows = []
    for record in records:
        row = sf_record_view(kind, record, [f for f in fields if f != "Owner.Email"])
        if "Owner.Email" in fields:
            owner = state.sf["User"].get(record.get("OwnerId"))
            row["Owner"] = None if owner is None else {
                "attributes": {"type": "User",
                               "url": f"/services/data/v60.0/sobjects/User/{owner['Id']}"},
                "Email": owner["Email"]}
        rows.append(row)
    locator = "01g" + secrets.token_hex(6)
    state.query_cursors[locator] = rows
    return sf_page(state, locator, rows, 0)


def holds(actual, op, expected):
    if isinstance(expected, str) and isinstance(actual, str):
        equal = actual.lower() == expected.lower()
    else:
        equal = actual == expected
    return equal if op == "=" else not equal


def sf_page(state, locator, rows, start):
    size = state.page_size
    page = rows[start:start + size]
    done = start + size >= len(rows)
    body = {"totalSize": len(rows), "done": done, "records": page}
    if not done:
        body["nextRecordsUrl"] = f"/services/data/v60.0/query/{locator}-{start + size}"
    return json_reply(200, body)


# --- control ----------------------------------------------------------------------------------

def seed(state, data):
    made = {"hubspot": {}, "salesforce": {}}
    hubspot = data.get("hubspot", {})
    for owner in hubspot.get("owners", []):
        owner_id = state.next_hubspot_id()
        state.owners[owner_id] = {"id": owner_id, "email": owner["email"],
                                  "firstName": owner.get("firstName", ""),
                                  "lastName": owner.get("lastName", ""), "userId": int(owner_id),
                                  "createdAt": now_iso(), "updatedAt": now_iso(),
                                  "archived": False, "teams": []}
        made["hubspot"].setdefault("owners", []).append(owner_id)
    for kind in ("contacts", "companies"):
        for properties in hubspot.get(kind, []):
            stored = hubspot_store(state, kind, properties)
            made["hubspot"].setdefault(kind, []).append(stored["id"])
    salesforce = data.get("salesforce", {})
    for user in salesforce.get("users", []):
        record = sf_create(state, "User", {"Email": user["Email"], "Name": user.get("Name", "")})
        made["salesforce"].setdefault("users", []).append(record["Id"])
    for kind in ("Account", "Contact", "Lead"):
        for fields in salesforce.get(kind, []):
            fields = dict(fields)
            owner_email = fields.pop("OwnerEmail", None)
            owner_id = next((u["Id"] for u in state.sf["User"].values()
                             if owner_email and u["Email"].lower() == owner_email.lower()), None)
            record = sf_create(state, kind, fields, owner_id)
            made["salesforce"].setdefault(kind, []).append(record["Id"])
    return made


def public_state(state):
    def strip(record):
        return {k: v for k, v in record.items()}
    return {
        "hubspot": {kind: [strip(o) for _, o in sorted(objects.items(), key=lambda kv: int(kv[0]))]
                    for kind, objects in state.hubspot.items()},
        "owners": list(state.owners.values()),
        "associations": state.associations,
        "salesforce": {kind: [strip(r) for r in records.values()]
                       for kind, records in state.sf.items()},
        "salesforce_tokens": list(state.sf_tokens),
        "requests": state.requests,
    }


def control(state, method, name, data):
    if method == "GET" and name == "state":
        return json_reply(200, public_state(state))
    if method != "POST":
        return json_reply(404, {"error": "unknown control"})
    if name == "reset":
        port = state.port
        state.reset()
        state.port = port
    elif name == "fail":
        rules = data if isinstance(data, list) else [data]
        state.failures.extend(FailureRule(rule) for rule in rules)
    elif name == "clear-failures":
        state.failures = []
    elif name == "page-size":
        state.page_size = int(data["size"])
    elif name == "expire-sessions":
        state.sf_tokens = {token: False for token in state.sf_tokens}
    elif name == "seed":
        return json_reply(200, seed(state, data))
    elif name == "convert-lead":
        lead = next((r for r in state.sf["Lead"].values() if not r.get("IsConverted")
                     and (r.get("Email") or "").lower() == data["email"].lower()), None)
        if lead is None:
            return json_reply(404, {"error": "no open lead with that email"})
        lead["IsConverted"] = True
        contact = sf_create(state, "Contact", {k: lead.get(k) for k in
                                               ("Email", "FirstName", "LastName", "Title",
                                                "Phone")}, lead.get("OwnerId"))
        return json_reply(200, {"contact_id": contact["Id"]})
    else:
        return json_reply(404, {"error": "unknown control"})
    return json_reply(200, {})


def injected_failure(rule, path):
    if path.startswith(HUBSPOT):
        if rule.status == 429:
            headers = rate_headers(0)
            if rule.retry_after is not None:
                headers["Retry-After"] = str(rule.retry_after)
            return hubspot_error(429, "You have reached your secondly limit.", "RATE_LIMITS",
                                 headers, errorType="RATE_LIMIT", policyName="SECONDLY")
        if rule.status >= 500:
            return hubspot_error(rule.status, "internal error", "INTERNAL_ERROR")
        return hubspot_error(rule.status, "Property values were not valid: refused by a rule",
                             "VALIDATION_ERROR")
    if rule.status == 403:
        return sf_error(403, "REQUEST_LIMIT_EXCEEDED", "TotalRequests Limit exceeded.")
    if rule.status >= 500:
        return sf_error(rule.status, "SERVER_UNAVAILABLE", "Server temporarily unavailable")
    return sf_error(rule.status, "FIELD_CUSTOM_VALIDATION_EXCEPTION", "refused by a rule")


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *_):
        pass

    def do_GET(self):
        self.handle_any()

    def do_POST(self):
        self.handle_any()

    def do_PATCH(self):
        self.handle_any()

    def do_PUT(self):
        self.handle_any()

    def do_DELETE(self):
        self.handle_any()

    def handle_any(self):
        state = self.server.state
        split = urlsplit(self.path)
        path = split.path
        query = dict(parse_qsl(split.query, keep_blank_values=True))
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        with state.lock:
            if path.startswith("/__fake/"):
                try:
                    data = json.loads(raw) if raw.strip() else {}
                except ValueError:
                    self.send(json_reply(400, {"error": "the body is not JSON"}))
                    return
                self.send(control(state, self.command, path[len("/__fake/"):], data))
                return
            rule = state.take_failure(self.command, path)
            if rule is not None and not rule.after_store:
                reply = injected_failure(rule, path)
            else:
                reply = self.answer(state, path, query, raw, split.query)
                if rule is not None:
                    reply = injected_failure(rule, path)
            state.requests.append({"method": self.command, "path": path,
                                   "status": reply.status, "injected": rule is not None})
        self.send(reply)

    def answer(self, state, path, query, raw, raw_query):
        try:
            return self.route(state, path, query, raw, raw_query)
        except Refusal as refusal:
            return refusal.reply
        except Exception:  # a bug here should fail the test loudly
            traceback.print_exc()
            return json_reply(500, {"error": traceback.format_exc()})

    def json_body(self, raw, refuse):
        content_type = self.headers.get("Content-Type", "")
        if not raw.strip():
            return {}
        if not content_type.startswith("application/json"):
            raise Refusal(refuse(415))
        try:
            return json.loads(raw)
        except ValueError:
            raise Refusal(refuse(400))

    def route(self, state, path, query, raw, raw_query):
        method = self.command
        authorization = self.headers.get("Authorization", "")
        if path.startswith(HUBSPOT + "/"):
            if authorization != f"Bearer {state.hubspot_token}":
                return hubspot_error(401, "Authentication credentials not found. This API "
                                     "supports OAuth 2.0 authentication", "INVALID_AUTHENTICATION")
            body = self.json_body(raw, lambda status: hubspot_error(
                status, "Invalid input JSON or content type", "VALIDATION_ERROR"))
            if method in ("POST", "PATCH") and not isinstance(body, dict):
                raise Refusal(hubspot_error(400, "Invalid input JSON", "VALIDATION_ERROR"))
            return hubspot_api(state, method, path, query, body)
        if path == SF_LOGIN + "/services/oauth2/token" and method == "POST":
            form = dict(parse_qsl(raw.decode(errors="replace"), keep_blank_values=True))
            return sf_token(state, form, self.headers.get("Content-Type", ""))
        if path.startswith(SF_INSTANCE + "/"):
            token = authorization[len("Bearer "):] if authorization.startswith("Bearer ") else ""
            if not state.sf_tokens.get(token):
                return sf_error(401, "INVALID_SESSION_ID", "Session expired or invalid")
            body = self.json_body(raw, lambda status: sf_error(
                status, "UNSUPPORTED_MEDIA_TYPE" if status == 415 else "JSON_PARSER_ERROR",
                "Content type must be application/json" if status == 415 else "bad JSON"))
            return salesforce_api(state, method, path, query, body, raw_query)
        return json_reply(404, {"error": f"Nothing is served at {method} {path}"})

    def send(self, reply):
        self.send_response(reply.status)
        for name, value in reply.headers.items():
            self.send_header(name, value)
        if reply.status not in (204, 304):
            self.send_header("Content-Length", str(len(reply.body)))
        self.end_headers()
        if reply.status not in (204, 304):
            self.wfile.write(reply.body)


class Server(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 128

    def __init__(self, port, state):
        super().__init__(("127.0.0.1", port), Handler)
        self.state = state


def client_pair(text):
    client_id, separator, secret = text.partition(":")
    if not separator or not client_id:
        raise argparse.ArgumentTypeError("expected ID:SECRET")
    return client_id, secret


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--hubspot-token", default="hubspot-token")
    parser.add_argument("--salesforce-client", type=client_pair, default=("sf-client", "sf-secret"))
    args = parser.parse_args()
    state = State(args.hubspot_token, args.salesforce_client)
    state.port = args.port
    server = Server(args.port, state)
    print("ready", flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
    sys.exit(0)


if __name__ == "__main__":
    main()
