"""The tier catalog: what each tier costs and allows, and the Stripe Price lookup keys that bill it.

Amounts live here and are pushed to Stripe by `manage.py billing_setup`; a client never sends one.
"""

from dataclasses import dataclass
from enum import StrEnum


class TierCode(StrEnum):
    FREE = "free"
    PRO = "pro"
    STUDIO = "studio"


class Interval(StrEnum):
    MONTH = "month"
    YEAR = "year"


CURRENCY = "eur"


@dataclass(frozen=True)
class TierPrice:
    interval: Interval
    amount: int  # in the currency's minor unit (cents)
    lookup_key: str
    currency: str = CURRENCY


@dataclass(frozen=True)
class Limits:
    clients: int | None  # None: unlimited
    ai_drafts_per_month: int


@dataclass(frozen=True)
class Tier:
    code: TierCode
    name: str
    rank: int  # a higher rank is an upgrade
    limits: Limits
    prices: tuple[TierPrice, ...] = ()

    @property
    def stripe_product_id(self) -> str:
        return f"kinetix_{self.code}"

    def price(self, interval: Interval) -> TierPrice:
        return next(price for price in self.prices if price.interval == interval)


def _prices(code: TierCode, monthly: int, yearly: int) -> tuple[TierPrice, ...]:
    return (
        TierPrice(Interval.MONTH, monthly, f"kinetix_{code}_monthly"),
        TierPrice(Interval.YEAR, yearly, f"kinetix_{code}_yearly"),
    )


TIERS: dict[TierCode, Tier] = {
    tier.code: tier
    for tier in (
        Tier(TierCode.FREE, "Free", 0, Limits(clients=3, ai_drafts_per_month=3)),
        Tier(TierCode.PRO, "Pro", 1, Limits(clients=30, ai_drafts_per_month=100), _prices(TierCode.PRO, 1900, 19000)),
        Tier(
            TierCode.STUDIO,
            "Studio",
            2,
            Limits(clients=None, ai_drafts_per_month=1000),
            _prices(TierCode.STUDIO, 4900, 49000),
        ),
    )
}
FREE_TIER = TIERS[TierCode.FREE]
PAID_TIERS = [tier for tier in TIERS.values() if tier.prices]


def tier_for_lookup_key(lookup_key: str | None) -> tuple[Tier, TierPrice] | None:
    """Return the tier and price that a Stripe Price lookup key bills, if it is one of ours."""
    for tier in PAID_TIERS:
        for price in tier.prices:
            if price.lookup_key == lookup_key:
                return tier, price
    return None


def tier_next_up(tier: Tier) -> Tier | None:
    """Return the tier to offer when `tier`'s limits are reached."""
    return next((t for t in sorted(TIERS.values(), key=lambda t: t.rank) if t.rank > tier.rank), None)
