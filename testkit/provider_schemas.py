"""What the services at the other end accept, written down from their documentation as JSON
Schema, so the tests judge the monitor's output by the receiver's rules and not by its own.

- shields.io's endpoint badge: https://shields.io/badges/endpoint-badge (the Joi schema in
  shields' ``services/endpoint-common.js``: unknown keys refused, ``message`` not empty,
  ``logoColor`` only with a named logo, ``logoWidth`` only with a logo, not both logos).
- PagerDuty Events API v2 (``POST /v2/enqueue``): https://developer.pagerduty.com/docs/events-api-v2/trigger-events/
  and .../resolve-events/: a 32-character ``routing_key``; ``trigger`` needs ``payload`` with
  ``summary`` (at most 1024 characters), ``source`` and ``severity`` (critical, error, warning,
  info); ``resolve`` and ``acknowledge`` need the ``dedup_key`` (at most 255 characters).
- Opsgenie Alert API (``POST /v2/alerts``, ``POST /v2/alerts/{alias}/close?identifierType=alias``):
  https://docs.opsgenie.com/docs/alert-api: ``message`` required, at most 130 characters;
  ``alias`` at most 512, ``description`` 15000, ``source`` 100, ``entity`` 512, ``note`` 25000;
  ``priority`` P1-P5; ``details`` a map of strings; at most 20 ``tags`` of at most 50 characters;
  ``Authorization: GenieKey <key>``.
"""

from __future__ import annotations

SHIELDS_ENDPOINT = {
    "type": "object",
    "required": ["schemaVersion", "label", "message"],
    "additionalProperties": False,
    "properties": {
        "schemaVersion": {"const": 1},
        "label": {"type": "string"},
        "message": {"type": "string", "minLength": 1},
        "color": {"type": "string", "minLength": 1},
        "labelColor": {"type": "string", "minLength": 1},
        "isError": {"type": "boolean"},
        "namedLogo": {"type": "string", "minLength": 1},
        "logoSvg": {"type": "string", "minLength": 1},
        "logoColor": {"type": "string", "minLength": 1},
        "logoWidth": {"type": "number"},
        "style": {"type": "string", "minLength": 1},
        "cacheSeconds": {"type": "integer", "minimum": 0},
    },
    "dependentRequired": {"logoColor": ["namedLogo"]},
    "dependentSchemas": {"logoWidth": {"anyOf": [{"required": ["namedLogo"]}, {"required": ["logoSvg"]}]}},
    "not": {"required": ["namedLogo", "logoSvg"]},
}

_LINK = {"type": "object", "required": ["href"], "properties": {"href": {"type": "string"}, "text": {"type": "string"}}}

PAGERDUTY_EVENT = {
    "type": "object",
    "required": ["routing_key", "event_action"],
    "properties": {
        "routing_key": {"type": "string", "minLength": 32, "maxLength": 32},
        "event_action": {"enum": ["trigger", "acknowledge", "resolve"]},
        "dedup_key": {"type": "string", "minLength": 1, "maxLength": 255},
        "client": {"type": "string"},
        "client_url": {"type": "string"},
        "links": {"type": "array", "items": _LINK},
        "images": {"type": "array"},
        "payload": {
            "type": "object",
            "required": ["summary", "source", "severity"],
            "properties": {
                "summary": {"type": "string", "minLength": 1, "maxLength": 1024},
                "source": {"type": "string", "minLength": 1},
                "severity": {"enum": ["critical", "error", "warning", "info"]},
                "timestamp": {"type": "string", "format": "date-time"},
                "component": {"type": "string"},
                "group": {"type": "string"},
                "class": {"type": "string"},
                "custom_details": {"type": "object"},
            },
        },
    },
    "allOf": [
        {"if": {"properties": {"event_action": {"const": "trigger"}}}, "then": {"required": ["payload"]}},
        {
            "if": {"properties": {"event_action": {"enum": ["acknowledge", "resolve"]}}},
            "then": {"required": ["dedup_key"]},
        },
    ],
}

OPSGENIE_CREATE = {
    "type": "object",
    "required": ["message"],
    "properties": {
        "message": {"type": "string", "minLength": 1, "maxLength": 130},
        "alias": {"type": "string", "maxLength": 512},
        "description": {"type": "string", "maxLength": 15000},
        "responders": {"type": "array"},
        "visibleTo": {"type": "array"},
        "actions": {"type": "array", "maxItems": 10, "items": {"type": "string", "maxLength": 50}},
        "tags": {"type": "array", "maxItems": 20, "items": {"type": "string", "maxLength": 50}},
        "details": {"type": "object", "additionalProperties": {"type": "string"}},
        "entity": {"type": "string", "maxLength": 512},
        "source": {"type": "string", "maxLength": 100},
        "priority": {"enum": ["P1", "P2", "P3", "P4", "P5"]},
        "user": {"type": "string", "maxLength": 100},
        "note": {"type": "string", "maxLength": 25000},
    },
    "additionalProperties": False,
}

OPSGENIE_CLOSE = {
    "type": "object",
    "properties": {
        "user": {"type": "string", "maxLength": 100},
        "source": {"type": "string", "maxLength": 100},
        "note": {"type": "string", "maxLength": 25000},
    },
    "additionalProperties": False,
}


def _text(kind: str | None = None, limit: int = 3000) -> dict:
    return {
        "type": "object",
        "required": ["type", "text"],
        "properties": {
            "type": {"const": kind} if kind else {"enum": ["plain_text", "mrkdwn"]},
            "text": {"type": "string", "minLength": 1, "maxLength": limit},
            "emoji": {"type": "boolean"},
            "verbatim": {"type": "boolean"},
        },
        "additionalProperties": False,
    }


# Slack Block Kit, the blocks this monitor sends (https://api.slack.com/reference/block-kit/blocks):
# a header's plain text at most 150 characters; a section's text at most 3000 and at most 10 fields
# of 2000 each (text or fields required); context at most 10 elements; actions at most 25
# elements, a button's text plain at most 75 and its url at most 3000; at most 50 blocks; an
# attachment's colour a hex code or good / warning / danger.
_BLOCK = {
    "type": "object",
    "required": ["type"],
    "oneOf": [
        {
            "properties": {
                "type": {"const": "header"},
                "text": _text("plain_text", 150),
                "block_id": {"type": "string"},
            },
            "required": ["text"],
            "additionalProperties": False,
        },
        {
            "properties": {
                "type": {"const": "section"},
                "text": _text(),
                "block_id": {"type": "string"},
                "fields": {"type": "array", "minItems": 1, "maxItems": 10, "items": _text(limit=2000)},
            },
            "anyOf": [{"required": ["text"]}, {"required": ["fields"]}],
            "additionalProperties": False,
        },
        {
            "properties": {
                "type": {"const": "context"},
                "block_id": {"type": "string"},
                "elements": {"type": "array", "minItems": 1, "maxItems": 10, "items": _text()},
            },
            "required": ["elements"],
            "additionalProperties": False,
        },
        {
            "properties": {
                "type": {"const": "actions"},
                "block_id": {"type": "string"},
                "elements": {
                    "type": "array",
                    "minItems": 1,
                    "maxItems": 25,
                    "items": {
                        "type": "object",
                        "required": ["type", "text"],
                        "additionalProperties": False,
                        "properties": {
                            "type": {"const": "button"},
                            "text": _text("plain_text", 75),
                            "url": {"type": "string", "maxLength": 3000, "pattern": "^https?://"},
                            "action_id": {"type": "string", "maxLength": 255},
                        },
                    },
                },
            },
            "required": ["elements"],
            "additionalProperties": False,
        },
    ],
}
SLACK_MESSAGE = {
    "type": "object",
    "required": ["text"],
    "properties": {
        "text": {"type": "string", "minLength": 1},
        "blocks": {"type": "array", "maxItems": 50, "items": _BLOCK},
        "attachments": {
            "type": "array",
            "items": {
                "type": "object",
                "additionalProperties": False,
                "properties": {
                    "color": {"type": "string", "pattern": "^(#[0-9a-fA-F]{6}|good|warning|danger)$"},
                    "blocks": {"type": "array", "maxItems": 50, "items": _BLOCK},
                },
            },
        },
    },
}
