"""A fake Stripe API on 127.0.0.1 for tests, reached through the real stripe-python and dj-stripe.

It keeps its objects in memory and answers the routes Kinetix and dj-stripe use, with the
object shapes of the pinned API version (a "dahlia" version: billing periods live on the
subscription items, invoices reach their subscription through `parent` and their payments
through `payments`, charges and payment intents no longer name an invoice). Requests are
form-encoded and parsed the way Stripe parses them (`items[0][price]=...`).

What it does beyond storing objects:
- test cards: attaching `pm_card_visa`, `pm_card_chargeDeclined` or `pm_card_authenticationRequired`
  makes a new card payment method whose charges succeed, are declined, or need 3-D Secure;
- subscriptions bill through invoices paid by the subscription's (or customer's) default card,
  with prorations computed the same way for `invoices/create_preview` and for the update, and
  `payment_behavior=pending_if_incomplete` leaving a `pending_update` when payment fails;
- `Idempotency-Key`: a repeated key answers the first response again;
- every change is recorded as an Event (`events`), which tests sign and post to the webhook view;
- routes under `/_test/` play what a person or the clock would do in real Stripe: complete a
  Checkout Session, pass 3-D Secure, end a billing period;
- `fail_next()` makes the next matching request answer an error; `hold_next()` makes it wait until released.
"""

import copy
import dataclasses
import itertools
import json
import re
import secrets
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, urlsplit

API_VERSION = "2026-08-26.dahlia"
ACCOUNT_ID = "acct_1KinetixFakeAcct"
DAY = 24 * 3600
INTERVAL_SECONDS = {"day": DAY, "week": 7 * DAY, "month": 30 * DAY, "year": 365 * DAY}

# Test payment methods and what happens when they are charged.
TEST_CARDS = {
    "pm_card_visa": ("visa", "4242", "succeeds"),
    "pm_card_chargeDeclined": ("visa", "0002", "declines"),
    "pm_card_authenticationRequired": ("visa", "3184", "requires_action"),
}
DECLINE = {
    "code": "card_declined",
    "decline_code": "generic_decline",
    "message": "Your card was declined.",
    "type": "card_error",
}

Params = dict[str, Any]


class StripeError(Exception):
    def __init__(self, status: int, message: str, *, type_: str = "invalid_request_error", **fields: Any) -> None:
        super().__init__(message)
        self.status = status
        self.body = {"error": {"type": type_, "message": message, **fields}}


def _missing(kind: str, id_: str) -> StripeError:
    return StripeError(404, f"No such {kind}: '{id_}'", code="resource_missing", param="id")


def parse_form(pairs: list[tuple[str, str]]) -> Params:
    """Parse Stripe's bracketed form encoding into nested dicts and lists."""
    root: dict = {}
    for key, value in pairs:
        parts = re.findall(r"[^\[\]]+|\[\]", key)
        node = root
        for index, part in enumerate(parts):
            last = index == len(parts) - 1
            if part == "[]":  # `expand[]=x`: append
                part = str(len(node))
            if last:
                node[part] = value
            else:
                node = node.setdefault(part, {})
    return _listify(root)


def _listify(node: Any) -> Any:
    if isinstance(node, dict):
        if node and all(key.isdigit() for key in node):
            return [_listify(node[key]) for key in sorted(node, key=int)]
        return {key: _listify(value) for key, value in node.items()}
    return node


def _bool(value: Any) -> bool:
    return value in (True, "true", "True", "1")


def _list(value: Any) -> list:
    if value in (None, ""):
        return []
    return value if isinstance(value, list) else [value]


@dataclass
class Fault:
    method: str
    path: str
    status: int
    message: str


@dataclass
class Hold:
    """A request that waits, once it has arrived (`reached`), until the test sets `release`."""

    method: str
    path: str
    reached: threading.Event = dataclasses.field(default_factory=threading.Event)
    release: threading.Event = dataclasses.field(default_factory=threading.Event)


class FakeStripe:
    """The fake's state and behaviour; `FakeStripeServer` puts it on a socket."""

    def __init__(self, base_url: str = "") -> None:
        self.base_url = base_url
        self.lock = threading.RLock()
        self.objects: dict[str, dict[str, dict]] = {}
        self.events: list[dict] = []
        self.requests: list[dict] = []
        self.card_behaviour: dict[str, str] = {}
        self.pending_periods: dict[str, tuple[int, int]] = {}
        self.idempotent: dict[str, tuple[str, int, Any]] = {}
        self.faults: list[Fault] = []
        self.holds: list[Hold] = []
        self._numbers = itertools.count(1)
        self._request_id = ""
        self._idempotency_key = ""
        self.account = {
            "id": ACCOUNT_ID,
            "object": "account",
            "business_profile": {"name": "Kinetix (fake Stripe)", "url": None, "support_email": None},
            "settings": {"dashboard": {"display_name": "Kinetix fake", "timezone": "Etc/UTC"}},
            "capabilities": {"card_payments": "active"},
            "charges_enabled": True,
            "payouts_enabled": True,
            "details_submitted": True,
            "country": "RS",
            "default_currency": "eur",
            "email": "billing@kinetix.test",
            "type": "standard",
            "created": int(time.time()) - 365 * DAY,
            "metadata": {},
            "livemode": False,
        }

    # ---- test controls --------------------------------------------------------------------

    def fail_next(self, method: str, path: str, *, status: int = 500, message: str = "Injected failure.") -> None:
        """Make the next `method` request to exactly `path` answer an error."""
        with self.lock:
            self.faults.append(Fault(method.upper(), path, status, message))

    def hold_next(self, method: str, path: str) -> Hold:
        """Make the next `method` request to exactly `path` wait before it is answered, until released."""
        hold = Hold(method.upper(), path)
        with self.lock:
            self.holds.append(hold)
        return hold

    def get(self, kind: str, id_: str) -> dict:
        with self.lock:
            return copy.deepcopy(self._get(kind, id_))

    def writes(self) -> list[dict]:
        """The requests that changed something (POST and DELETE), oldest first."""
        with self.lock:
            return [r for r in self.requests if r["method"] in ("POST", "DELETE") and not r["path"].startswith("/_")]

    # ---- plumbing ---------------------------------------------------------------------------

    def now(self) -> int:
        return int(time.time())

    def _id(self, prefix: str) -> str:
        return f"{prefix}_{secrets.token_hex(8)}"

    def _store(self, kind: str, obj: dict) -> dict:
        self.objects.setdefault(kind, {})[obj["id"]] = obj
        return obj

    def _get(self, kind: str, id_: str) -> dict:
        try:
            return self.objects[kind][id_]
        except KeyError:
            raise _missing(kind.replace("_", " "), id_) from None

    def _all(self, kind: str) -> list[dict]:
        return list(self.objects.get(kind, {}).values())

    def _emit(self, type_: str, obj: dict, previous: dict | None = None) -> dict:
        data: dict = {"object": copy.deepcopy(obj)}
        if previous is not None:
            data["previous_attributes"] = previous
        event = {
            "id": self._id("evt"),
            "object": "event",
            "api_version": API_VERSION,
            "created": self.now(),
            "data": data,
            "livemode": False,
            "pending_webhooks": 1,
            "request": {"id": self._request_id or None, "idempotency_key": self._idempotency_key or None},
            "type": type_,
        }
        self.events.append(event)
        return self._store("event", event)

    def handle(self, method: str, path: str, params: Params, headers: dict[str, str]) -> tuple[int, Any]:
        """Answer one request: (status, JSON-able body, or bytes for a file)."""
        with self.lock:
            hold = next((h for h in self.holds if (h.method, h.path) == (method, path)), None)
            if hold:
                self.holds.remove(hold)
        if hold:  # waits outside the lock: other requests go on meanwhile
            hold.reached.set()
            hold.release.wait(timeout=30)
        with self.lock:
            key = headers.get("idempotency-key", "")
            self.requests.append(
                {
                    "method": method,
                    "path": path,
                    "params": params,
                    "idempotency_key": key,
                    "stripe_version": headers.get("stripe-version", ""),
                }
            )
            for fault in self.faults:
                if fault.method == method and path == fault.path:
                    self.faults.remove(fault)
                    return fault.status, {"error": {"type": "api_error", "message": fault.message}}
            if not path.startswith("/_") and not headers.get("authorization", "").startswith("Bearer sk_test_"):
                return 401, {"error": {"type": "invalid_request_error", "message": "Invalid API Key provided."}}
            if method == "POST" and key:
                fingerprint = json.dumps([path, params], sort_keys=True)
                if key in self.idempotent:
                    seen, status, body = self.idempotent[key]
                    if seen != fingerprint:
                        return 400, {
                            "error": {
                                "type": "idempotency_error",
                                "message": "Keys for idempotent requests can only be used with the same parameters.",
                            }
                        }
                    return status, copy.deepcopy(body)
            self._request_id = self._id("req")
            self._idempotency_key = key
            try:
                status, body = 200, self._route(method, path, params)
            except StripeError as exc:
                status, body = exc.status, exc.body
            except Exception as exc:  # a bug of the fake: answer it, so that the test shows it
                status, body = 500, {"error": {"type": "api_error", "message": f"Fake Stripe failed: {exc!r}"}}
            if method == "POST" and key:
                self.idempotent[key] = (json.dumps([path, params], sort_keys=True), status, copy.deepcopy(body))
            return status, body

    def _route(self, method: str, path: str, params: Params) -> Any:
        for route_method, pattern, handler in self.routes:
            if route_method == method and (match := re.fullmatch(pattern, path)):
                result = handler(self, params, *match.groups())
                if isinstance(result, bytes):
                    return result
                return self._expand(copy.deepcopy(result), _list(params.get("expand")))
        raise StripeError(404, f"Unrecognized request URL ({method}: {path}).")

    def _expand(self, obj: dict, paths: list[str]) -> dict:
        kinds = {
            "customer": "customer",
            "product": "product",
            "latest_invoice": "invoice",
            "schedule": "subscription_schedule",
            "payment_intent": "payment_intent",
            "payment_method": "payment_method",
            "default_payment_method": "payment_method",
            "subscription": "subscription",
            "latest_charge": "charge",
        }

        def walk(node: Any, parts: list[str]) -> Any:
            if not parts or node is None:
                return node
            head, rest = parts[0], parts[1:]
            if isinstance(node, dict) and node.get("object") == "list" and head == "data":
                node["data"] = [walk(item, rest) for item in node["data"]]
                return node
            if not isinstance(node, dict) or (head not in node and head not in ("payments",)):
                return node
            if head == "payments" and node.get("object") == "invoice":
                node["payments"] = copy.deepcopy(self._invoice_payments(node["id"]))
            value = node.get(head)
            if isinstance(value, str) and head in kinds:
                stored = self.objects.get(kinds[head], {}).get(value)
                value = copy.deepcopy(stored) if stored else value
            node[head] = walk(value, rest)
            return node

        for path in paths:
            obj = walk(obj, path.split("."))
        return obj

    def _list(self, items: list[dict], url: str, params: Params) -> dict:
        items = sorted(items, key=lambda item: item.get("created", 0), reverse=True)
        if starting_after := params.get("starting_after"):
            ids = [item["id"] for item in items]
            items = items[ids.index(starting_after) + 1 :] if starting_after in ids else []
        limit = int(params.get("limit") or 10)
        return {"object": "list", "data": items[:limit], "has_more": len(items) > limit, "url": url}

    # ---- account, products, prices ----------------------------------------------------------

    def account_get(self, params: Params, *_: str) -> dict:
        return self.account

    def product_create(self, params: Params) -> dict:
        id_ = params.get("id") or self._id("prod")
        if id_ in self.objects.get("product", {}):
            raise StripeError(400, f"Product already exists: {id_}", code="resource_already_exists")
        now = self.now()
        product = {
            "id": id_,
            "object": "product",
            "active": _bool(params.get("active", "true")),
            "name": params["name"],
            "description": params.get("description") or None,
            "metadata": params.get("metadata") or {},
            "created": now,
            "updated": now,
            "default_price": None,
            "images": [],
            "marketing_features": [],
            "livemode": False,
            "package_dimensions": None,
            "shippable": None,
            "statement_descriptor": None,
            "tax_code": None,
            "type": "service",
            "unit_label": None,
            "url": None,
        }
        self._store("product", product)
        self._emit("product.created", product)
        return product

    def product_update(self, params: Params, id_: str) -> dict:
        product = self._get("product", id_)
        for field in ("name", "description"):
            if field in params:
                product[field] = params[field]
        if "active" in params:
            product["active"] = _bool(params["active"])
        product["metadata"] = {**product["metadata"], **(params.get("metadata") or {})}
        product["updated"] = self.now()
        self._emit("product.updated", product)
        return product

    def product_list(self, params: Params) -> dict:
        return self._list(self._all("product"), "/v1/products", params)

    def product_features(self, params: Params, id_: str) -> dict:
        self._get("product", id_)
        return {"object": "list", "data": [], "has_more": False, "url": f"/v1/products/{id_}/features"}

    def price_create(self, params: Params) -> dict:
        product = self._get("product", params["product"])
        lookup_key = params.get("lookup_key") or None
        holder = self._price_by_lookup_key(lookup_key) if lookup_key else None
        if holder:
            if not _bool(params.get("transfer_lookup_key")):
                raise StripeError(400, f"A price with lookup key {lookup_key} already exists.", param="lookup_key")
            holder["lookup_key"] = None
            self._emit("price.updated", holder)
        recurring = params.get("recurring") or {}
        price = {
            "id": self._id("price"),
            "object": "price",
            "active": True,
            "billing_scheme": "per_unit",
            "created": self.now(),
            "currency": params["currency"].lower(),
            "custom_unit_amount": None,
            "livemode": False,
            "lookup_key": lookup_key,
            "metadata": params.get("metadata") or {},
            "nickname": params.get("nickname") or None,
            "product": product["id"],
            "recurring": {
                "interval": recurring.get("interval", "month"),
                "interval_count": int(recurring.get("interval_count", 1)),
                "meter": None,
                "trial_period_days": None,
                "usage_type": "licensed",
            }
            if recurring
            else None,
            "tax_behavior": "unspecified",
            "tiers_mode": None,
            "transform_quantity": None,
            "type": "recurring" if recurring else "one_time",
            "unit_amount": int(params["unit_amount"]),
            "unit_amount_decimal": str(params["unit_amount"]),
        }
        self._store("price", price)
        self._emit("price.created", price)
        return price

    def price_update(self, params: Params, id_: str) -> dict:
        price = self._get("price", id_)
        if "active" in params:
            price["active"] = _bool(params["active"])
        if "nickname" in params:
            price["nickname"] = params["nickname"] or None
        price["metadata"] = {**price["metadata"], **(params.get("metadata") or {})}
        self._emit("price.updated", price)
        return price

    def price_get(self, params: Params, id_: str) -> dict:
        return self._get("price", id_)

    def price_list(self, params: Params) -> dict:
        prices = self._all("price")
        if lookup_keys := _list(params.get("lookup_keys")):
            prices = [p for p in prices if p["lookup_key"] in lookup_keys]
        if "active" in params:
            prices = [p for p in prices if p["active"] == _bool(params["active"])]
        if product := params.get("product"):
            prices = [p for p in prices if p["product"] == product]
        return self._list(prices, "/v1/prices", params)

    def _price_by_lookup_key(self, lookup_key: str) -> dict | None:
        return next((p for p in self._all("price") if p["lookup_key"] == lookup_key), None)

    # ---- customers and payment methods ------------------------------------------------------

    def customer_create(self, params: Params) -> dict:
        customer = {
            "id": self._id("cus"),
            "object": "customer",
            "address": None,
            "balance": 0,
            "created": self.now(),
            "currency": None,
            "default_source": None,
            "delinquent": False,
            "description": params.get("description") or None,
            "discount": None,
            "email": params.get("email") or None,
            "invoice_prefix": secrets.token_hex(4).upper(),
            "invoice_settings": {
                "custom_fields": None,
                "default_payment_method": None,
                "footer": None,
                "rendering_options": None,
            },
            "livemode": False,
            "metadata": params.get("metadata") or {},
            "name": params.get("name") or None,
            "phone": None,
            "preferred_locales": [],
            "shipping": None,
            "tax_exempt": "none",
        }
        self._store("customer", customer)
        self._emit("customer.created", customer)
        return customer

    def customer_get(self, params: Params, id_: str) -> dict:
        return self._get("customer", id_)

    def customer_update(self, params: Params, id_: str) -> dict:
        customer = self._get("customer", id_)
        for field in ("email", "name", "description"):
            if field in params:
                customer[field] = params[field] or None
        customer["metadata"] = {**customer["metadata"], **(params.get("metadata") or {})}
        settings = params.get("invoice_settings") or {}
        if "default_payment_method" in settings:
            customer["invoice_settings"]["default_payment_method"] = settings["default_payment_method"] or None
        self._emit("customer.updated", customer)
        return customer

    def payment_method_get(self, params: Params, id_: str) -> dict:
        return self._get("payment_method", id_)

    def payment_method_attach(self, params: Params, id_: str) -> dict:
        customer = self._get("customer", params["customer"])
        return self._attach_card(id_, customer)

    def _attach_card(self, test_card: str, customer: dict) -> dict:
        if test_card not in TEST_CARDS:
            raise _missing("payment_method", test_card)
        brand, last4, behaviour = TEST_CARDS[test_card]
        payment_method = {
            "id": self._id("pm"),
            "object": "payment_method",
            "allow_redisplay": "unspecified",
            "billing_details": {
                "address": {
                    "city": None,
                    "country": None,
                    "line1": None,
                    "line2": None,
                    "postal_code": None,
                    "state": None,
                },
                "email": customer["email"],
                "name": customer["name"],
                "phone": None,
            },
            "card": {
                "brand": brand,
                "country": "US",
                "exp_month": 12,
                "exp_year": 2034,
                "funding": "credit",
                "last4": last4,
                "checks": {"cvc_check": "pass", "address_line1_check": None, "address_postal_code_check": None},
                "wallet": None,
            },
            "created": self.now(),
            "customer": customer["id"],
            "livemode": False,
            "metadata": {},
            "type": "card",
        }
        self.card_behaviour[payment_method["id"]] = behaviour
        self._store("payment_method", payment_method)
        self._emit("payment_method.attached", payment_method)
        return payment_method

    # ---- payments ---------------------------------------------------------------------------

    def payment_intent_get(self, params: Params, id_: str) -> dict:
        return self._get("payment_intent", id_)

    def charge_get(self, params: Params, id_: str) -> dict:
        return self._get("charge", id_)

    def charge_list(self, params: Params) -> dict:
        charges = self._all("charge")
        if customer := params.get("customer"):
            charges = [c for c in charges if c["customer"] == customer]
        return self._list(charges, "/v1/charges", params)

    def refund_create(self, params: Params) -> dict:
        charge = self._get("charge", params["charge"])
        amount = int(params.get("amount") or charge["amount"] - charge["amount_refunded"])
        if charge["status"] != "succeeded" or amount > charge["amount"] - charge["amount_refunded"]:
            raise StripeError(400, "The charge cannot be refunded by this amount.", param="amount")
        refund = {
            "id": self._id("re"),
            "object": "refund",
            "amount": amount,
            "balance_transaction": None,
            "charge": charge["id"],
            "created": self.now(),
            "currency": charge["currency"],
            "metadata": params.get("metadata") or {},
            "payment_intent": charge["payment_intent"],
            "reason": params.get("reason") or None,
            "receipt_number": None,
            "status": "succeeded",
        }
        self._store("refund", refund)
        charge["amount_refunded"] += amount
        charge["refunded"] = charge["amount_refunded"] == charge["amount"]
        self._emit("refund.created", refund)
        self._emit("charge.refunded", charge, {"amount_refunded": charge["amount_refunded"] - amount})
        return refund

    def refund_get(self, params: Params, id_: str) -> dict:
        return self._get("refund", id_)

    def refund_list(self, params: Params) -> dict:
        refunds = self._all("refund")
        if charge := params.get("charge"):
            refunds = [r for r in refunds if r["charge"] == charge]
        return self._list(refunds, "/v1/refunds", params)

    def _payment_attempt(self, *, invoice: dict, payment_method_id: str | None) -> str:
        """Charge an open invoice; answer "succeeded", "declined" or "requires_action"."""
        now = self.now()
        behaviour = self.card_behaviour.get(payment_method_id or "", "declines")
        intent = {
            "id": self._id("pi"),
            "object": "payment_intent",
            "amount": invoice["amount_due"],
            "amount_received": 0,
            "capture_method": "automatic_async",
            "client_secret": "",
            "confirmation_method": "automatic",
            "created": now,
            "currency": invoice["currency"],
            "customer": invoice["customer"],
            "description": invoice["description"] or "Subscription update",
            "last_payment_error": None,
            "latest_charge": None,
            "livemode": False,
            "metadata": {},
            "next_action": None,
            "on_behalf_of": None,
            "payment_method": payment_method_id,
            "payment_method_types": ["card"],
            "receipt_email": None,
            "setup_future_usage": None,
            "status": "processing",
        }
        intent["client_secret"] = f"{intent['id']}_secret_{secrets.token_hex(12)}"
        self._store("payment_intent", intent)
        invoice["attempt_count"] += 1
        invoice["attempted"] = True
        self._invoice_payment_add(invoice, intent)
        if behaviour == "requires_action":
            intent["status"] = "requires_action"
            intent["next_action"] = {"type": "use_stripe_sdk", "use_stripe_sdk": {"type": "three_d_secure_redirect"}}
            self._emit("payment_intent.requires_action", intent)
            self._emit("invoice.payment_action_required", invoice)
            return "requires_action"
        charge = self._charge_create(intent=intent, succeeded=behaviour == "succeeds")
        if behaviour == "succeeds":
            self._intent_succeeded(intent, charge, invoice)
            return "succeeded"
        intent["status"] = "requires_payment_method"
        intent["last_payment_error"] = {**DECLINE, "charge": charge["id"], "payment_method": {"id": payment_method_id}}
        self._emit("charge.failed", charge)
        self._emit("payment_intent.payment_failed", intent)
        self._emit("invoice.payment_failed", invoice)
        return "declined"

    def _charge_create(self, *, intent: dict, succeeded: bool) -> dict:
        payment_method = self.objects.get("payment_method", {}).get(intent["payment_method"] or "", {})
        card = payment_method.get("card") or {}
        charge = {
            "id": self._id("ch"),
            "object": "charge",
            "amount": intent["amount"],
            "amount_captured": intent["amount"] if succeeded else 0,
            "amount_refunded": 0,
            "balance_transaction": None,
            "billing_details": payment_method.get("billing_details") or {},
            "captured": succeeded,
            "created": self.now(),
            "currency": intent["currency"],
            "customer": intent["customer"],
            "description": intent["description"],
            "disputed": False,
            "failure_code": None if succeeded else DECLINE["code"],
            "failure_message": None if succeeded else DECLINE["message"],
            "livemode": False,
            "metadata": {},
            "on_behalf_of": None,
            "outcome": {
                "network_status": "approved_by_network" if succeeded else "declined_by_network",
                "reason": None if succeeded else DECLINE["decline_code"],
                "risk_level": "normal",
                "seller_message": "Payment complete." if succeeded else "The bank did not return any further details.",
                "type": "authorized" if succeeded else "issuer_declined",
            },
            "paid": succeeded,
            "payment_intent": intent["id"],
            "payment_method": intent["payment_method"],
            "payment_method_details": {
                "type": "card",
                "card": {"brand": card.get("brand"), "last4": card.get("last4"), "exp_month": 12, "exp_year": 2034},
            },
            "receipt_email": None,
            "receipt_number": None,
            "receipt_url": f"{self.base_url}/_receipts/{intent['id']}",
            "refunded": False,
            "statement_descriptor": None,
            "status": "succeeded" if succeeded else "failed",
        }
        intent["latest_charge"] = charge["id"]
        return self._store("charge", charge)

    def _intent_succeeded(self, intent: dict, charge: dict, invoice: dict) -> None:
        intent["status"] = "succeeded"
        intent["amount_received"] = intent["amount"]
        intent["next_action"] = None
        intent["last_payment_error"] = None
        self._invoice_mark_paid(invoice)
        self._emit("charge.succeeded", charge)
        self._emit("payment_intent.succeeded", intent)
        self._emit("invoice.paid", invoice)
        self._emit("invoice.payment_succeeded", invoice)

    # ---- invoices ---------------------------------------------------------------------------

    def _invoice_build(self, *, customer_id: str, subscription: dict | None, lines: list[dict], reason: str) -> dict:
        now = self.now()
        id_ = self._id("in")
        total = sum(line["amount"] for line in lines)
        customer = self._get("customer", customer_id)
        invoice = {
            "id": id_,
            "object": "invoice",
            "account_country": "RS",
            "account_name": "Kinetix",
            "amount_due": max(total, 0),
            "amount_paid": 0,
            "amount_remaining": max(total, 0),
            "attempt_count": 0,
            "attempted": False,
            "auto_advance": True,
            "billing_reason": reason,
            "collection_method": "charge_automatically",
            "created": now,
            "currency": lines[0]["currency"] if lines else "eur",
            "customer": customer_id,
            "customer_email": customer["email"],
            "customer_name": customer["name"],
            "default_payment_method": None,
            "description": None,
            "discounts": [],
            "due_date": None,
            "ending_balance": 0,
            "footer": None,
            "hosted_invoice_url": None,
            "invoice_pdf": None,
            "last_finalization_error": None,
            "lines": {"object": "list", "data": lines, "has_more": False, "url": f"/v1/invoices/{id_}/lines"},
            "livemode": False,
            "metadata": {},
            "number": None,
            "parent": {
                "type": "subscription_details",
                "quote_details": None,
                "subscription_details": {"metadata": subscription["metadata"], "subscription": subscription["id"]},
            }
            if subscription
            else None,
            "period_end": now,
            "period_start": now,
            "receipt_number": None,
            "starting_balance": 0,
            "status": "draft",
            "status_transitions": {
                "finalized_at": None,
                "marked_uncollectible_at": None,
                "paid_at": None,
                "voided_at": None,
            },
            "subtotal": total,
            "total": total,
            "total_discount_amounts": [],
            "total_taxes": [],
            "webhooks_delivered_at": now,
        }
        for line in lines:
            line["invoice"] = id_
        return invoice

    def _invoice_finalize(self, invoice: dict) -> dict:
        self._store("invoice", invoice)
        self._emit("invoice.created", invoice)
        invoice["status"] = "open"
        invoice["number"] = f"{self._get('customer', invoice['customer'])['invoice_prefix']}-{next(self._numbers):04d}"
        invoice["hosted_invoice_url"] = f"{self.base_url}/_hosted/invoices/{invoice['id']}"
        invoice["invoice_pdf"] = f"{self.base_url}/_files/invoices/{invoice['id']}.pdf"
        invoice["status_transitions"]["finalized_at"] = self.now()
        self._emit("invoice.finalized", invoice)
        return invoice

    def _invoice_mark_paid(self, invoice: dict) -> None:
        invoice["status"] = "paid"
        invoice["amount_paid"] = invoice["amount_due"]
        invoice["amount_remaining"] = 0
        invoice["status_transitions"]["paid_at"] = self.now()
        for payment in self._invoice_payment_rows(invoice["id"]):
            if payment["status"] == "open":
                payment["status"] = "paid"
                payment["amount_paid"] = payment["amount_requested"]
                payment["status_transitions"]["paid_at"] = self.now()

    def _invoice_payment_rows(self, invoice_id: str) -> list[dict]:
        return [p for p in self._all("invoice_payment") if p["invoice"] == invoice_id]

    def _invoice_payment_add(self, invoice: dict, intent: dict) -> None:
        for payment in self._invoice_payment_rows(invoice["id"]):
            payment["is_default"] = False
        self._store(
            "invoice_payment",
            {
                "id": self._id("inpay"),
                "object": "invoice_payment",
                "amount_paid": None,
                "amount_requested": intent["amount"],
                "created": self.now(),
                "currency": intent["currency"],
                "invoice": invoice["id"],
                "is_default": True,
                "livemode": False,
                "payment": {"type": "payment_intent", "payment_intent": intent["id"]},
                "status": "open",
                "status_transitions": {"canceled_at": None, "paid_at": None},
            },
        )

    def _invoice_payments(self, invoice_id: str) -> dict:
        rows = sorted(self._invoice_payment_rows(invoice_id), key=lambda p: p["created"])
        return {"object": "list", "data": rows, "has_more": False, "url": "/v1/invoice_payments"}

    def invoice_get(self, params: Params, id_: str) -> dict:
        return self._get("invoice", id_)

    def invoice_list(self, params: Params) -> dict:
        invoices = self._all("invoice")
        if customer := params.get("customer"):
            invoices = [i for i in invoices if i["customer"] == customer]
        if subscription := params.get("subscription"):
            invoices = [
                i
                for i in invoices
                if (i["parent"] or {}).get("subscription_details", {}).get("subscription") == subscription
            ]
        return self._list(invoices, "/v1/invoices", params)

    def invoice_lines(self, params: Params, id_: str) -> dict:
        return self._get("invoice", id_)["lines"]

    def invoice_preview(self, params: Params) -> dict:
        subscription = self._get("subscription", params["subscription"])
        details = params.get("subscription_details") or {}
        items = details.get("items") or []
        if not items:
            raise StripeError(400, "Give subscription_details[items].", param="subscription_details[items]")
        price = self._get("price", items[0]["price"])
        when = int(details.get("proration_date") or self.now())
        lines, _ = self._prorations(subscription, price, when)
        preview = self._invoice_build(
            customer_id=subscription["customer"], subscription=subscription, lines=lines, reason="subscription_update"
        )
        preview["id"] = f"upcoming_{preview['id']}"
        preview["subscription_proration_date"] = when
        return preview

    def _line(
        self,
        *,
        amount: int,
        price: dict,
        subscription: dict,
        item_id: str,
        start: int,
        end: int,
        proration: bool,
        description: str,
    ) -> dict:
        return {
            "id": self._id("il"),
            "object": "line_item",
            "amount": amount,
            "currency": price["currency"],
            "description": description,
            "discount_amounts": [],
            "discountable": True,
            "discounts": [],
            "invoice": None,
            "livemode": False,
            "metadata": {},
            "parent": {
                "type": "subscription_item_details",
                "invoice_item_details": None,
                "subscription_item_details": {
                    "invoice_item": None,
                    "proration": proration,
                    "proration_details": {"credited_items": None},
                    "subscription": subscription["id"],
                    "subscription_item": item_id,
                },
            },
            "period": {"start": start, "end": end},
            "pricing": {
                "type": "price_details",
                "price_details": {"price": price["id"], "product": price["product"]},
                "unit_amount_decimal": price["unit_amount_decimal"],
            },
            "quantity": 1,
            "taxes": [],
        }

    def _prorations(self, subscription: dict, price: dict, when: int) -> tuple[list[dict], tuple[int, int]]:
        """The proration lines of moving `subscription` to `price` at `when`, and the new period."""
        item = subscription["items"]["data"][0]
        old = item["price"]
        start, end = item["current_period_start"], item["current_period_end"]
        if not start <= when <= end:
            raise StripeError(400, "proration_date must fall within the current period.", param="proration_date")
        name = self._get("product", price["product"])["name"]
        old_name = self._get("product", old["product"])["name"]
        remaining = end - when
        credit = -round(old["unit_amount"] * remaining / (end - start))
        lines = [
            self._line(
                amount=credit,
                price=old,
                subscription=subscription,
                item_id=item["id"],
                start=when,
                end=end,
                proration=True,
                description=f"Unused time on {old_name}",
            )
        ]
        if price["recurring"]["interval"] == old["recurring"]["interval"]:
            period = (start, end)
            amount = round(price["unit_amount"] * remaining / (end - start))
            description = f"Remaining time on {name}"
        else:  # a new interval restarts the billing cycle now, billed in full
            period = (when, when + INTERVAL_SECONDS[price["recurring"]["interval"]])
            amount = price["unit_amount"]
            description = f"1 x {name}"
        lines.append(
            self._line(
                amount=amount,
                price=price,
                subscription=subscription,
                item_id=item["id"],
                start=period[0],
                end=period[1],
                proration=True,
                description=description,
            )
        )
        return lines, period

    # ---- subscriptions ----------------------------------------------------------------------

    def _subscription_build(self, *, customer: dict, price: dict, payment_method: str | None, metadata: dict) -> dict:
        now = self.now()
        id_ = self._id("sub")
        end = now + INTERVAL_SECONDS[price["recurring"]["interval"]]
        return {
            "id": id_,
            "object": "subscription",
            "application": None,
            "application_fee_percent": None,
            "automatic_tax": {"enabled": False, "liability": None},
            "billing_cycle_anchor": now,
            "billing_mode": {"type": "classic"},
            "billing_thresholds": None,
            "cancel_at": None,
            "cancel_at_period_end": False,
            "canceled_at": None,
            "cancellation_details": {"comment": None, "feedback": None, "reason": None},
            "collection_method": "charge_automatically",
            "created": now,
            "currency": price["currency"],
            "customer": customer["id"],
            "days_until_due": None,
            "default_payment_method": payment_method,
            "default_source": None,
            "default_tax_rates": [],
            "description": None,
            "discounts": [],
            "ended_at": None,
            "items": {
                "object": "list",
                "data": [
                    {
                        "id": self._id("si"),
                        "object": "subscription_item",
                        "billing_thresholds": None,
                        "created": now,
                        "current_period_end": end,
                        "current_period_start": now,
                        "discounts": [],
                        "metadata": {},
                        "price": copy.deepcopy(price),
                        "quantity": 1,
                        "subscription": id_,
                        "tax_rates": [],
                    }
                ],
                "has_more": False,
                "url": f"/v1/subscription_items?subscription={id_}",
            },
            "latest_invoice": None,
            "livemode": False,
            "metadata": metadata,
            "next_pending_invoice_item_invoice": None,
            "on_behalf_of": None,
            "pause_collection": None,
            "payment_settings": {"payment_method_options": None, "payment_method_types": None},
            "pending_invoice_item_interval": None,
            "pending_setup_intent": None,
            "pending_update": None,
            "schedule": None,
            "start_date": now,
            "status": "incomplete",
            "test_clock": None,
            "transfer_data": None,
            "trial_end": None,
            "trial_settings": {"end_behavior": {"missing_payment_method": "create_invoice"}},
            "trial_start": None,
        }

    def _subscription_payment_method(self, subscription: dict) -> str | None:
        customer = self._get("customer", subscription["customer"])
        return subscription["default_payment_method"] or customer["invoice_settings"]["default_payment_method"]

    def subscription_get(self, params: Params, id_: str) -> dict:
        return self._get("subscription", id_)

    def subscription_list(self, params: Params) -> dict:
        subscriptions = self._all("subscription")
        if customer := params.get("customer"):
            subscriptions = [s for s in subscriptions if s["customer"] == customer]
        status = params.get("status") or "active"
        if status != "all":
            subscriptions = [s for s in subscriptions if s["status"] == status]
        return self._list(subscriptions, "/v1/subscriptions", params)

    def subscription_update(self, params: Params, id_: str) -> dict:
        subscription = self._get("subscription", id_)
        if subscription["status"] in ("canceled", "incomplete_expired"):
            raise StripeError(400, "A canceled subscription can only update its cancellation_details and metadata.")
        previous: dict = {}
        if "metadata" in params:
            subscription["metadata"] = {**subscription["metadata"], **(params.get("metadata") or {})}
        if "default_payment_method" in params:
            previous["default_payment_method"] = subscription["default_payment_method"]
            subscription["default_payment_method"] = params["default_payment_method"] or None
        if "cancel_at_period_end" in params:
            if subscription["schedule"]:
                raise StripeError(400, "The subscription is managed by a subscription schedule; release it first.")
            cancel = _bool(params["cancel_at_period_end"])
            previous["cancel_at_period_end"] = subscription["cancel_at_period_end"]
            subscription["cancel_at_period_end"] = cancel
            subscription["cancel_at"] = subscription["items"]["data"][0]["current_period_end"] if cancel else None
            subscription["canceled_at"] = self.now() if cancel else None
        items = params.get("items") or []
        if items:
            if subscription["schedule"]:
                raise StripeError(400, "The subscription is managed by a subscription schedule; release it first.")
            price = self._get("price", items[0]["price"])
            self._subscription_change_price(subscription, price, params, previous)
        if previous or "metadata" in params:
            self._emit("customer.subscription.updated", subscription, previous)
        return subscription

    def _subscription_change_price(self, subscription: dict, price: dict, params: Params, previous: dict) -> None:
        item = subscription["items"]["data"][0]
        when = int(params.get("proration_date") or self.now())
        behaviour = params.get("proration_behavior") or "create_prorations"
        lines, period = self._prorations(subscription, price, when)
        if behaviour != "always_invoice":
            previous["items"] = copy.deepcopy(subscription["items"])
            self._item_apply(item, price, period)
            return
        invoice = self._invoice_build(
            customer_id=subscription["customer"], subscription=subscription, lines=lines, reason="subscription_update"
        )
        self._invoice_finalize(invoice)
        subscription["latest_invoice"] = invoice["id"]
        outcome = (
            self._payment_attempt(invoice=invoice, payment_method_id=self._subscription_payment_method(subscription))
            if invoice["amount_due"] > 0
            else "succeeded"
        )
        if invoice["amount_due"] == 0:
            self._invoice_mark_paid(invoice)
            self._emit("invoice.paid", invoice)
        if outcome == "succeeded":
            previous["items"] = copy.deepcopy(subscription["items"])
            self._item_apply(item, price, period)
        elif params.get("payment_behavior") == "pending_if_incomplete":
            previous["pending_update"] = None
            subscription["pending_update"] = {
                "billing_cycle_anchor": period[0] if period[0] != item["current_period_start"] else None,
                "expires_at": self.now() + 23 * 3600,
                "subscription_items": [{"id": item["id"], "price": copy.deepcopy(price), "quantity": 1}],
                "trial_end": None,
                "trial_from_plan": None,
            }
            self.pending_periods[subscription["id"]] = period
        else:
            previous["items"] = copy.deepcopy(subscription["items"])
            self._item_apply(item, price, period)
            subscription["status"] = "past_due"

    def _item_apply(self, item: dict, price: dict, period: tuple[int, int] | list[int]) -> None:
        item["price"] = copy.deepcopy(price)
        item["current_period_start"], item["current_period_end"] = period

    def subscription_cancel(self, params: Params, id_: str) -> dict:
        subscription = self._get("subscription", id_)
        self._subscription_end(subscription)
        return subscription

    def _subscription_end(self, subscription: dict) -> None:
        now = self.now()
        previous = {"status": subscription["status"]}
        subscription.update(status="canceled", canceled_at=subscription["canceled_at"] or now, ended_at=now)
        subscription["pending_update"] = None
        self._emit("customer.subscription.deleted", subscription, previous)

    # ---- subscription schedules -------------------------------------------------------------

    def schedule_create(self, params: Params) -> dict:
        subscription = self._get("subscription", params["from_subscription"])
        if subscription["schedule"]:
            raise StripeError(400, "The subscription already has a schedule.", param="from_subscription")
        item = subscription["items"]["data"][0]
        phase = {
            "start_date": item["current_period_start"],
            "end_date": item["current_period_end"],
            "items": [{"price": item["price"]["id"], "quantity": 1}],
            "proration_behavior": "create_prorations",
        }
        schedule = {
            "id": self._id("sub_sched"),
            "object": "subscription_schedule",
            "canceled_at": None,
            "completed_at": None,
            "created": self.now(),
            "current_phase": {"start_date": phase["start_date"], "end_date": phase["end_date"]},
            "customer": subscription["customer"],
            "default_settings": {"collection_method": "charge_automatically"},
            "end_behavior": "release",
            "livemode": False,
            "metadata": {},
            "phases": [phase],
            "released_at": None,
            "released_subscription": None,
            "status": "active",
            "subscription": subscription["id"],
            "test_clock": None,
        }
        self._store("subscription_schedule", schedule)
        subscription["schedule"] = schedule["id"]
        self._emit("subscription_schedule.created", schedule)
        self._emit("customer.subscription.updated", subscription, {"schedule": None})
        return schedule

    def schedule_get(self, params: Params, id_: str) -> dict:
        return self._get("subscription_schedule", id_)

    def schedule_update(self, params: Params, id_: str) -> dict:
        schedule = self._get("subscription_schedule", id_)
        if schedule["status"] != "active":
            raise StripeError(400, f"The schedule is {schedule['status']}.")
        phases = []
        for index, phase in enumerate(params.get("phases") or []):
            start = int(phase.get("start_date") or phases[-1]["end_date"])
            price = self._get("price", phase["items"][0]["price"])
            end = phase.get("end_date")
            end = (
                int(end)
                if end
                else start + INTERVAL_SECONDS[price["recurring"]["interval"]] * int(phase.get("iterations") or 1)
            )
            if index == 0 and start != schedule["phases"][0]["start_date"]:
                raise StripeError(400, "The current phase's start_date cannot change.", param="phases[0][start_date]")
            phases.append(
                {
                    "start_date": start,
                    "end_date": end,
                    "items": [{"price": price["id"], "quantity": int(phase["items"][0].get("quantity") or 1)}],
                    "proration_behavior": phase.get("proration_behavior") or "create_prorations",
                }
            )
        if phases:
            schedule["phases"] = phases
        schedule["end_behavior"] = params.get("end_behavior") or schedule["end_behavior"]
        self._emit("subscription_schedule.updated", schedule)
        return schedule

    def schedule_release(self, params: Params, id_: str) -> dict:
        schedule = self._get("subscription_schedule", id_)
        subscription = self._get("subscription", schedule["subscription"])
        schedule.update(status="released", released_at=self.now(), released_subscription=subscription["id"])
        schedule["subscription"] = None
        subscription["schedule"] = None
        self._emit("subscription_schedule.released", schedule)
        self._emit("customer.subscription.updated", subscription, {"schedule": schedule["id"]})
        return schedule

    # ---- checkout and the customer portal ---------------------------------------------------

    def checkout_session_create(self, params: Params) -> dict:
        if params.get("mode") != "subscription":
            raise StripeError(400, "Only subscription mode is faked.", param="mode")
        customer = self._get("customer", params["customer"])
        line_items = params.get("line_items") or []
        price = self._get("price", line_items[0]["price"])
        id_ = f"cs_test_{secrets.token_hex(12)}"
        now = self.now()
        session = {
            "id": id_,
            "object": "checkout.session",
            "amount_subtotal": price["unit_amount"],
            "amount_total": price["unit_amount"],
            "billing_address_collection": None,
            "cancel_url": params.get("cancel_url"),
            "client_reference_id": params.get("client_reference_id") or None,
            "created": now,
            "currency": price["currency"],
            "customer": customer["id"],
            "customer_email": None,
            "expires_at": now + DAY,
            "invoice": None,
            "livemode": False,
            "locale": params.get("locale") or None,
            "metadata": params.get("metadata") or {},
            "mode": "subscription",
            "payment_intent": None,
            "payment_method_types": ["card"],
            "payment_status": "unpaid",
            "setup_intent": None,
            "status": "open",
            "subscription": None,
            "success_url": params.get("success_url"),
            "url": f"{self.base_url}/_checkout/{id_}",
        }
        self._store("checkout_session", session)
        self.objects.setdefault("checkout_line_items", {})[id_] = {
            "id": id_,
            "price": price["id"],
            "subscription_metadata": (params.get("subscription_data") or {}).get("metadata") or {},
        }
        return session

    def checkout_session_get(self, params: Params, id_: str) -> dict:
        return self._get("checkout_session", id_)

    def portal_session_create(self, params: Params) -> dict:
        customer = self._get("customer", params["customer"])
        id_ = self._id("bps")
        return {
            "id": id_,
            "object": "billing_portal.session",
            "configuration": "bpc_fakedefault",
            "created": self.now(),
            "customer": customer["id"],
            "flow": None,
            "livemode": False,
            "locale": params.get("locale") or None,
            "on_behalf_of": None,
            "return_url": params.get("return_url"),
            "url": f"{self.base_url}/_portal/{id_}",
        }

    # ---- webhook endpoints and events -------------------------------------------------------

    def webhook_endpoint_create(self, params: Params) -> dict:
        endpoint = {
            "id": self._id("we"),
            "object": "webhook_endpoint",
            "api_version": params.get("api_version") or API_VERSION,
            "application": None,
            "created": self.now(),
            "description": params.get("description") or None,
            "enabled_events": _list(params.get("enabled_events")),
            "livemode": False,
            "metadata": params.get("metadata") or {},
            "status": "enabled",
            "url": params["url"],
        }
        self._store("webhook_endpoint", endpoint)
        return {**endpoint, "secret": f"whsec_{secrets.token_hex(16)}"}

    def webhook_endpoint_update(self, params: Params, id_: str) -> dict:
        endpoint = self._get("webhook_endpoint", id_)
        if "url" in params:
            endpoint["url"] = params["url"]
        if "enabled_events" in params:
            endpoint["enabled_events"] = _list(params["enabled_events"])
        if "disabled" in params:
            endpoint["status"] = "disabled" if _bool(params["disabled"]) else "enabled"
        endpoint["metadata"] = {**endpoint["metadata"], **(params.get("metadata") or {})}
        return endpoint

    def webhook_endpoint_get(self, params: Params, id_: str) -> dict:
        return self._get("webhook_endpoint", id_)

    def webhook_endpoint_list(self, params: Params) -> dict:
        return self._list(self._all("webhook_endpoint"), "/v1/webhook_endpoints", params)

    def event_get(self, params: Params, id_: str) -> dict:
        return self._get("event", id_)

    def event_list(self, params: Params) -> dict:
        events = self.events
        if type_ := params.get("type"):
            events = [e for e in events if e["type"] == type_]
        return self._list(events, "/v1/events", params)

    # ---- what people and the clock do (test-only routes) ------------------------------------

    def test_checkout_complete(self, params: Params, id_: str) -> dict:
        """Play the customer paying on the Checkout page with a test card."""
        session = self._get("checkout_session", id_)
        if session["status"] != "open":
            raise StripeError(400, f"The Checkout Session is {session['status']}.")
        line = self.objects["checkout_line_items"][id_]
        customer = self._get("customer", session["customer"])
        test_card = params.get("payment_method") or "pm_card_visa"
        if TEST_CARDS.get(test_card, ("", "", ""))[2] == "declines":
            raise StripeError(402, DECLINE["message"], type_="card_error", code=DECLINE["code"])
        payment_method = self._attach_card(test_card, customer)
        # 3-D Secure, if the card asks for it, happens on the Checkout page itself.
        self.card_behaviour[payment_method["id"]] = "succeeds"
        customer["invoice_settings"]["default_payment_method"] = payment_method["id"]
        self._emit("customer.updated", customer)
        price = self._get("price", line["price"])
        subscription = self._subscription_build(
            customer=customer, price=price, payment_method=payment_method["id"], metadata=line["subscription_metadata"]
        )
        self._store("subscription", subscription)
        item = subscription["items"]["data"][0]
        invoice = self._invoice_build(
            customer_id=customer["id"],
            subscription=subscription,
            lines=[
                self._line(
                    amount=price["unit_amount"],
                    price=price,
                    subscription=subscription,
                    item_id=item["id"],
                    start=item["current_period_start"],
                    end=item["current_period_end"],
                    proration=False,
                    description=f"1 x {self._get('product', price['product'])['name']}",
                )
            ],
            reason="subscription_create",
        )
        subscription["latest_invoice"] = invoice["id"]
        self._emit("customer.subscription.created", subscription)
        self._invoice_finalize(invoice)
        self._payment_attempt(invoice=invoice, payment_method_id=payment_method["id"])
        subscription["status"] = "active"
        self._emit("customer.subscription.updated", subscription, {"status": "incomplete"})
        session.update(status="complete", payment_status="paid", subscription=subscription["id"], invoice=invoice["id"])
        self._emit("checkout.session.completed", session)
        return session

    def test_payment_intent_authenticate(self, params: Params, id_: str) -> dict:
        """Play the customer passing 3-D Secure: the payment succeeds and a pending update applies."""
        intent = self._get("payment_intent", id_)
        if intent["status"] != "requires_action":
            raise StripeError(400, f"The PaymentIntent is {intent['status']}.")
        payment = next(p for p in self._all("invoice_payment") if p["payment"]["payment_intent"] == id_)
        invoice = self._get("invoice", payment["invoice"])
        charge = self._charge_create(intent=intent, succeeded=True)
        self._intent_succeeded(intent, charge, invoice)
        subscription_id = (invoice["parent"] or {}).get("subscription_details", {}).get("subscription")
        subscription = self.objects.get("subscription", {}).get(subscription_id)
        if subscription and subscription["pending_update"]:
            pending = subscription["pending_update"]
            previous = {"items": copy.deepcopy(subscription["items"]), "pending_update": copy.deepcopy(pending)}
            period = self.pending_periods.pop(subscription["id"])
            self._item_apply(subscription["items"]["data"][0], pending["subscription_items"][0]["price"], period)
            subscription["pending_update"] = None
            self._emit("customer.subscription.updated", subscription, previous)
        return intent

    def test_subscription_period_end(self, params: Params, id_: str) -> dict:
        """Play the clock reaching the end of the billing period: cancel, or renew (with any scheduled phase)."""
        subscription = self._get("subscription", id_)
        if subscription["cancel_at_period_end"]:
            self._subscription_end(subscription)
            return subscription
        item = subscription["items"]["data"][0]
        price = item["price"]
        previous = {"items": copy.deepcopy(subscription["items"])}
        if subscription["schedule"]:
            schedule = self._get("subscription_schedule", subscription["schedule"])
            upcoming = [p for p in schedule["phases"] if p["start_date"] >= item["current_period_end"]]
            if upcoming:
                price = self._get("price", upcoming[0]["items"][0]["price"])
                schedule["current_phase"] = {
                    "start_date": upcoming[0]["start_date"],
                    "end_date": upcoming[0]["end_date"],
                }
                if len(upcoming) == 1 and schedule["end_behavior"] == "release":
                    schedule.update(
                        status="released", released_at=self.now(), released_subscription=id_, subscription=None
                    )
                    subscription["schedule"] = None
                    self._emit("subscription_schedule.released", schedule)
        start = self.now()
        self._item_apply(item, price, (start, start + INTERVAL_SECONDS[price["recurring"]["interval"]]))
        invoice = self._invoice_build(
            customer_id=subscription["customer"],
            subscription=subscription,
            lines=[
                self._line(
                    amount=price["unit_amount"],
                    price=price,
                    subscription=subscription,
                    item_id=item["id"],
                    start=item["current_period_start"],
                    end=item["current_period_end"],
                    proration=False,
                    description=f"1 x {self._get('product', price['product'])['name']}",
                )
            ],
            reason="subscription_cycle",
        )
        subscription["latest_invoice"] = invoice["id"]
        self._invoice_finalize(invoice)
        outcome = self._payment_attempt(
            invoice=invoice, payment_method_id=self._subscription_payment_method(subscription)
        )
        if outcome != "succeeded":
            previous["status"] = subscription["status"]
            subscription["status"] = "past_due"
        self._emit("customer.subscription.updated", subscription, previous)
        return subscription

    def invoice_pdf(self, params: Params, id_: str) -> bytes:
        invoice = self._get("invoice", id_)
        text = f"Invoice {invoice['number']}".encode()
        return b"%PDF-1.4\n% fake invoice\n" + text + b"\n%%EOF\n"

    routes: list[tuple[str, str, Callable]] = [
        ("GET", r"/v1/account", account_get),
        ("POST", r"/v1/products", product_create),
        ("GET", r"/v1/products", product_list),
        ("GET", r"/v1/products/([^/]+)", lambda self, params, id_: self._get("product", id_)),
        ("POST", r"/v1/products/([^/]+)", product_update),
        ("GET", r"/v1/products/([^/]+)/features", product_features),
        ("POST", r"/v1/prices", price_create),
        ("GET", r"/v1/prices", price_list),
        ("GET", r"/v1/prices/([^/]+)", price_get),
        ("POST", r"/v1/prices/([^/]+)", price_update),
        ("POST", r"/v1/customers", customer_create),
        ("GET", r"/v1/customers/([^/]+)", customer_get),
        ("POST", r"/v1/customers/([^/]+)", customer_update),
        ("GET", r"/v1/payment_methods/([^/]+)", payment_method_get),
        ("POST", r"/v1/payment_methods/([^/]+)/attach", payment_method_attach),
        ("GET", r"/v1/payment_intents/([^/]+)", payment_intent_get),
        ("GET", r"/v1/charges", charge_list),
        ("GET", r"/v1/charges/([^/]+)", charge_get),
        ("POST", r"/v1/refunds", refund_create),
        ("GET", r"/v1/refunds", refund_list),
        ("GET", r"/v1/refunds/([^/]+)", refund_get),
        ("POST", r"/v1/invoices/create_preview", invoice_preview),
        ("GET", r"/v1/invoices", invoice_list),
        ("GET", r"/v1/invoices/([^/]+)", invoice_get),
        ("GET", r"/v1/invoices/([^/]+)/lines", invoice_lines),
        ("GET", r"/v1/subscriptions", subscription_list),
        ("GET", r"/v1/subscriptions/([^/]+)", subscription_get),
        ("POST", r"/v1/subscriptions/([^/]+)", subscription_update),
        ("DELETE", r"/v1/subscriptions/([^/]+)", subscription_cancel),
        ("POST", r"/v1/subscription_schedules", schedule_create),
        ("GET", r"/v1/subscription_schedules/([^/]+)", schedule_get),
        ("POST", r"/v1/subscription_schedules/([^/]+)", schedule_update),
        ("POST", r"/v1/subscription_schedules/([^/]+)/release", schedule_release),
        ("POST", r"/v1/checkout/sessions", checkout_session_create),
        ("GET", r"/v1/checkout/sessions/([^/]+)", checkout_session_get),
        ("POST", r"/v1/billing_portal/sessions", portal_session_create),
        ("POST", r"/v1/webhook_endpoints", webhook_endpoint_create),
        ("GET", r"/v1/webhook_endpoints", webhook_endpoint_list),
        ("GET", r"/v1/webhook_endpoints/([^/]+)", webhook_endpoint_get),
        ("POST", r"/v1/webhook_endpoints/([^/]+)", webhook_endpoint_update),
        ("GET", r"/v1/events", event_list),
        ("GET", r"/v1/events/([^/]+)", event_get),
        ("POST", r"/_test/checkout/sessions/([^/]+)/complete", test_checkout_complete),
        ("POST", r"/_test/payment_intents/([^/]+)/authenticate", test_payment_intent_authenticate),
        ("POST", r"/_test/subscriptions/([^/]+)/period_end", test_subscription_period_end),
        ("GET", r"/_files/invoices/([^/]+)\.pdf", invoice_pdf),
    ]


class _Handler(BaseHTTPRequestHandler):
    server: "FakeStripeServer"
    protocol_version = "HTTP/1.1"
    # Headers and body go out in two writes: without this each answer waits for a delayed ACK (~40 ms).
    disable_nagle_algorithm = True

    def _answer(self, method: str) -> None:
        url = urlsplit(self.path)
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length).decode() if length else ""
        pairs = parse_qsl(url.query, keep_blank_values=True) + parse_qsl(body, keep_blank_values=True)
        headers = {key.lower(): value for key, value in self.headers.items()}
        status, payload = self.server.fake.handle(method, url.path, parse_form(pairs), headers)
        if isinstance(payload, bytes):
            content, content_type = payload, "application/pdf"
        else:
            content, content_type = json.dumps(payload).encode(), "application/json"
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(content)))
        self.send_header("Request-Id", self.server.fake._request_id or "req_fake")
        self.end_headers()
        self.wfile.write(content)

    def do_GET(self) -> None:
        self._answer("GET")

    def do_POST(self) -> None:
        self._answer("POST")

    def do_DELETE(self) -> None:
        self._answer("DELETE")

    def log_message(self, format: str, *args: Any) -> None:  # quiet: pytest shows failures, not traffic
        pass


class FakeStripeServer(ThreadingHTTPServer):
    """The fake on a free port of 127.0.0.1, served from a daemon thread."""

    daemon_threads = True

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.url = f"http://127.0.0.1:{self.server_address[1]}"
        self.fake = FakeStripe(self.url)
        self._thread = threading.Thread(target=self.serve_forever, name="fake-stripe", daemon=True)

    def start(self) -> "FakeStripeServer":
        self._thread.start()
        return self

    def stop(self) -> None:
        self.shutdown()
        self.server_close()
        self._thread.join(timeout=5)
