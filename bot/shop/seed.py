"""Deterministic demo data for the reference shop.

Everything comes from ``random.Random(seed)`` and from fixed day offsets
relative to ``today``, so the same ``today`` always gives the same rows and
"delivered 3 days ago" stays true whenever the database is created.

Fixed layout (tests and conversation stories rely on it):

    id     status              customer email (language, ships to)        notes
    10001  shipped             olena.kovalenko@example.com (uk, UA)       Nova Poshta, 2 items
    10002  delivered           piotr.kowalski@example.com (pl, PL)        3 days ago, 3 items
    10003  paid                emily.carter@example.com (en, CZ)          1 item
    10004  pending_payment     taras.shevchuk@example.com (uk, UA)        2 items
    10005  packed              jana.novakova@example.com (en, CZ)         2 items
    10006  cancelled           katarzyna.wisniewska@example.com (pl, PL)  has cancel_reason
    10007  delivered           olena.kovalenko@example.com (uk, UA)       200 days ago
    10008  return_in_progress  iryna.bondarenko@example.com (uk, UA)      R-000001, pending
    10009  refunded            tomasz.wojcik@example.com (pl, PL)         R-000002, refunded
    10010  shipped             petr.svoboda@example.com (en, CZ)          PPL, 2 items

10008 was delivered 6 days ago and has a return of one T-shirt (refund
pending); 10009 was delivered 40 days ago and fully refunded. 10007 is past
the 30-day return window. 10001, 10002 and 10003 belong to different customers.

10011-10090 follow ``GENERATED_STATUS_PLAN`` (the same 10 statuses eight times:
enough for tests that each change an order of their own);
their customers, items and dates are drawn from the seeded generator.
Delivered orders alternate between recent (2-10 days ago, inside the 30-day
return window) and old (60-400 days ago, outside it). Every status occurs at
least 5 times. Returns of the generated orders get ids R-000003 onwards.

Currency follows the shipping country: UA -> UAH, PL -> PLN, CZ -> CZK.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from bot.shop.models import REFUND_EXPECTED_AFTER
from bot.shop.repository import label_url
from bot.shop.tables import customers, order_items, orders, returns

DEFAULT_SEED = 20240611
FIRST_ORDER_ID = 10001
ORDER_COUNT = 50

CURRENCY_BY_COUNTRY = {"UA": "UAH", "PL": "PLN", "CZ": "CZK"}


@dataclass(frozen=True)
class _Customer:
    email: str
    name: str
    phone: str
    language: str
    street: str
    city: str
    postal_code: str
    country: str


CUSTOMERS: tuple[_Customer, ...] = (
    _Customer(
        "olena.kovalenko@example.com",
        "Olena Kovalenko",
        "+380671234501",
        "uk",
        "vul. Khreshchatyk 22, kv. 14",
        "Kyiv",
        "01001",
        "UA",
    ),
    _Customer(
        "taras.shevchuk@example.com",
        "Taras Shevchuk",
        "+380501234502",
        "uk",
        "vul. Svobody 8",
        "Lviv",
        "79000",
        "UA",
    ),
    _Customer(
        "iryna.bondarenko@example.com",
        "Iryna Bondarenko",
        "+380931234503",
        "uk",
        "prosp. Nauky 41, kv. 3",
        "Kharkiv",
        "61000",
        "UA",
    ),
    _Customer(
        "andriy.melnyk@example.com",
        "Andriy Melnyk",
        "+380661234504",
        "en",
        "vul. Derybasivska 5",
        "Odesa",
        "65000",
        "UA",
    ),
    _Customer(
        "oksana.tkachenko@example.com",
        "Oksana Tkachenko",
        "+380971234505",
        "uk",
        "prosp. Yavornytskoho 60, kv. 21",
        "Dnipro",
        "49000",
        "UA",
    ),
    _Customer(
        "dmytro.kravchenko@example.com",
        "Dmytro Kravchenko",
        "+380631234506",
        "uk",
        "vul. Sahaidachnoho 12",
        "Kyiv",
        "04070",
        "UA",
    ),
    _Customer(
        "kateryna.lysenko@example.com",
        "Kateryna Lysenko",
        "+380951234507",
        "en",
        "vul. Franka 30",
        "Ivano-Frankivsk",
        "76000",
        "UA",
    ),
    _Customer(
        "agnieszka.nowak@example.com",
        "Agnieszka Nowak",
        "+48501234508",
        "pl",
        "ul. Marszałkowska 84/92 m. 12",
        "Warszawa",
        "00-514",
        "PL",
    ),
    _Customer(
        "piotr.kowalski@example.com",
        "Piotr Kowalski",
        "+48601234509",
        "pl",
        "ul. Floriańska 12",
        "Kraków",
        "31-019",
        "PL",
    ),
    _Customer(
        "katarzyna.wisniewska@example.com",
        "Katarzyna Wiśniewska",
        "+48691234510",
        "pl",
        "ul. Świdnicka 40",
        "Wrocław",
        "50-024",
        "PL",
    ),
    _Customer(
        "tomasz.wojcik@example.com",
        "Tomasz Wójcik",
        "+48511234511",
        "pl",
        "ul. Długa 7",
        "Gdańsk",
        "80-827",
        "PL",
    ),
    _Customer(
        "magdalena.kaminska@example.com",
        "Magdalena Kamińska",
        "+48721234512",
        "en",
        "ul. Półwiejska 3",
        "Poznań",
        "61-888",
        "PL",
    ),
    _Customer(
        "michal.lewandowski@example.com",
        "Michał Lewandowski",
        "+48781234513",
        "pl",
        "ul. Piotrkowska 101",
        "Łódź",
        "90-425",
        "PL",
    ),
    _Customer(
        "jana.novakova@example.com",
        "Jana Nováková",
        "+420601234514",
        "en",
        "Vinohradská 48",
        "Praha",
        "120 00",
        "CZ",
    ),
    _Customer(
        "petr.svoboda@example.com",
        "Petr Svoboda",
        "+420721234515",
        "en",
        "Masarykova 12",
        "Brno",
        "602 00",
        "CZ",
    ),
    _Customer(
        "lucie.dvorakova@example.com",
        "Lucie Dvořáková",
        "+420731234516",
        "en",
        "Nádražní 25",
        "Ostrava",
        "702 00",
        "CZ",
    ),
    _Customer(
        "martin.cerny@example.com",
        "Martin Černý",
        "+420771234517",
        "en",
        "Americká 9",
        "Plzeň",
        "301 00",
        "CZ",
    ),
    _Customer(
        "emily.carter@example.com",
        "Emily Carter",
        "+420608234518",
        "en",
        "Korunní 70",
        "Praha",
        "130 00",
        "CZ",
    ),
    _Customer(
        "james.walker@example.com",
        "James Walker",
        "+48731234519",
        "en",
        "ul. Mokotowska 15",
        "Warszawa",
        "00-640",
        "PL",
    ),
    _Customer(
        "sophie.bennett@example.com",
        "Sophie Bennett",
        "+380681234520",
        "en",
        "vul. Velyka Vasylkivska 100, kv. 9",
        "Kyiv",
        "03150",
        "UA",
    ),
)

# sku -> (name, price in minor units per currency)
PRODUCTS: dict[str, tuple[str, dict[str, int]]] = {
    "KR-MUG-350": ("Ceramic mug, 350 ml", {"UAH": 34900, "PLN": 3990, "CZK": 22900}),
    "KR-TEE-BLK-M": ("Cotton T-shirt, black, M", {"UAH": 59900, "PLN": 6990, "CZK": 39900}),
    "KR-HOOD-GRY-L": ("Hoodie, grey, L", {"UAH": 149900, "PLN": 15900, "CZK": 99000}),
    "KR-SCARF-WOOL": ("Merino wool scarf", {"UAH": 119900, "PLN": 12900, "CZK": 79000}),
    "KR-BOTTLE-750": ("Steel water bottle, 750 ml", {"UAH": 69900, "PLN": 7990, "CZK": 45900}),
    "KR-BACKPACK-20": ("Backpack, 20 l", {"UAH": 189900, "PLN": 19900, "CZK": 129000}),
    "KR-HEADPH-BT": ("Bluetooth headphones", {"UAH": 249900, "PLN": 26900, "CZK": 169000}),
    "KR-CABLE-USBC": ("USB-C cable, 2 m", {"UAH": 24900, "PLN": 2990, "CZK": 17900}),
    "KR-LAMP-DESK": ("LED desk lamp", {"UAH": 129900, "PLN": 13900, "CZK": 89000}),
    "KR-NOTE-A5": ("Dotted notebook, A5", {"UAH": 29900, "PLN": 3490, "CZK": 19900}),
    "KR-SOCKS-3P": ("Socks, 3 pairs", {"UAH": 39900, "PLN": 4490, "CZK": 25900}),
    "KR-TOWEL-BATH": ("Bath towel, 70x140 cm", {"UAH": 74900, "PLN": 8490, "CZK": 49000}),
    "KR-CANDLE-SOY": ("Soy candle, lavender", {"UAH": 44900, "PLN": 4990, "CZK": 29900}),
    "KR-TEA-SET": ("Loose-leaf tea sampler", {"UAH": 89900, "PLN": 9990, "CZK": 59000}),
    "KR-SNEAK-42": ("Canvas sneakers, size 42", {"UAH": 179900, "PLN": 18900, "CZK": 119000}),
}

CARRIERS_BY_COUNTRY = {"UA": ("Nova Poshta",), "PL": ("InPost", "DPD"), "CZ": ("PPL", "DPD")}

CANCEL_REASONS = (
    "Changed my mind",
    "Ordered by mistake",
    "Found a better price elsewhere",
    "Payment was not completed in time",
    "Delivery takes too long",
)
RETURN_REASONS = (
    "Does not fit",
    "Arrived damaged",
    "Not as described",
    "Changed my mind",
    "Wrong colour",
)


@dataclass(frozen=True)
class _FixedOrder:
    id: int
    status: str
    email: str
    items: tuple[tuple[str, int], ...]
    delivered_days_ago: int | None = None
    carrier: str | None = None


FIXED_ORDERS: tuple[_FixedOrder, ...] = (
    _FixedOrder(
        10001,
        "shipped",
        "olena.kovalenko@example.com",
        (("KR-HEADPH-BT", 1), ("KR-CABLE-USBC", 2)),
        carrier="Nova Poshta",
    ),
    _FixedOrder(
        10002,
        "delivered",
        "piotr.kowalski@example.com",
        (("KR-HOOD-GRY-L", 1), ("KR-SOCKS-3P", 2), ("KR-MUG-350", 1)),
        delivered_days_ago=3,
        carrier="InPost",
    ),
    _FixedOrder(10003, "paid", "emily.carter@example.com", (("KR-LAMP-DESK", 1),)),
    _FixedOrder(
        10004,
        "pending_payment",
        "taras.shevchuk@example.com",
        (("KR-BACKPACK-20", 1), ("KR-BOTTLE-750", 1)),
    ),
    _FixedOrder(
        10005, "packed", "jana.novakova@example.com", (("KR-SCARF-WOOL", 1), ("KR-CANDLE-SOY", 2))
    ),
    _FixedOrder(10006, "cancelled", "katarzyna.wisniewska@example.com", (("KR-SNEAK-42", 1),)),
    _FixedOrder(
        10007,
        "delivered",
        "olena.kovalenko@example.com",
        (("KR-TEA-SET", 1), ("KR-MUG-350", 2)),
        delivered_days_ago=200,
    ),
    _FixedOrder(
        10008,
        "return_in_progress",
        "iryna.bondarenko@example.com",
        (("KR-TEE-BLK-M", 2), ("KR-TOWEL-BATH", 1)),
        delivered_days_ago=6,
    ),
    _FixedOrder(
        10009,
        "refunded",
        "tomasz.wojcik@example.com",
        (("KR-HEADPH-BT", 1),),
        delivered_days_ago=40,
        carrier="DPD",
    ),
    _FixedOrder(
        10010,
        "shipped",
        "petr.svoboda@example.com",
        (("KR-NOTE-A5", 3), ("KR-TEE-BLK-M", 1)),
        carrier="PPL",
    ),
)

GENERATED_STATUS_PLAN: tuple[str, ...] = (
    "delivered",
    "shipped",
    "paid",
    "delivered",
    "packed",
    "pending_payment",
    "delivered",
    "cancelled",
    "return_in_progress",
    "refunded",
) * 8


@dataclass
class SeedData:
    """Rows ready for insertion; ids of customers and returns come from the database."""

    customers: list[dict[str, Any]] = field(default_factory=list)
    orders: list[dict[str, Any]] = field(default_factory=list)
    order_items: list[dict[str, Any]] = field(default_factory=list)
    # Each return row carries "order_id"; label_url is set once its id is known.
    returns: list[dict[str, Any]] = field(default_factory=list)


def build_seed(today: date, seed: int = DEFAULT_SEED) -> SeedData:
    """Pure function: the same (today, seed) always gives equal SeedData."""
    builder = _Builder(today, random.Random(seed))
    for fixed in FIXED_ORDERS:
        builder.add_order(
            fixed.id,
            fixed.status,
            _customer(fixed.email),
            list(fixed.items),
            delivered_days_ago=fixed.delivered_days_ago,
            carrier=fixed.carrier,
        )
    recent = True
    for offset, status in enumerate(GENERATED_STATUS_PLAN):
        order_id = FIRST_ORDER_ID + len(FIXED_ORDERS) + offset
        rng = builder.rng
        customer = rng.choice(CUSTOMERS)
        skus = rng.sample(sorted(PRODUCTS), rng.choice((1, 1, 2, 2, 3, 4)))
        items = [(sku, rng.choice((1, 1, 1, 2, 3))) for sku in skus]
        delivered_days_ago = None
        if status == "delivered":
            delivered_days_ago = rng.randint(2, 10) if recent else rng.randint(60, 400)
            recent = not recent
        builder.add_order(order_id, status, customer, items, delivered_days_ago=delivered_days_ago)
    return builder.data


def _customer(email: str) -> _Customer:
    return next(c for c in CUSTOMERS if c.email == email)


class _Builder:
    def __init__(self, today: date, rng: random.Random) -> None:
        self.today = today
        self.rng = rng
        self.data = SeedData(
            customers=[
                {"email": c.email, "name": c.name, "phone": c.phone, "language": c.language}
                for c in CUSTOMERS
            ]
        )

    def at(self, days_ago: int) -> datetime:
        """A daytime moment ``days_ago`` days before today (>= 1 keeps it in the past)."""
        moment = time(self.rng.randint(8, 21), self.rng.randrange(0, 60, 5))
        return datetime.combine(self.today - timedelta(days=days_ago), moment)

    def add_order(
        self,
        order_id: int,
        status: str,
        customer: _Customer,
        items: list[tuple[str, int]],
        *,
        delivered_days_ago: int | None = None,
        carrier: str | None = None,
    ) -> None:
        rng = self.rng
        currency = CURRENCY_BY_COUNTRY[customer.country]
        lines: list[dict[str, Any]] = [
            {
                "order_id": order_id,
                "sku": sku,
                "name": PRODUCTS[sku][0],
                "quantity": quantity,
                "unit_price_cents": PRODUCTS[sku][1][currency],
            }
            for sku, quantity in items
        ]
        row: dict[str, Any] = {
            "id": order_id,
            "customer_email": customer.email,  # swapped for customer_id on insert
            "status": status,
            "currency": currency,
            "total_cents": sum(line["quantity"] * line["unit_price_cents"] for line in lines),
            "ship_name": customer.name,
            "ship_street": customer.street,
            "ship_city": customer.city,
            "ship_postal_code": customer.postal_code,
            "ship_country": customer.country,
            "carrier": None,
            "tracking_number": None,
            "tracking_url": None,
            "shipped_at": None,
            "delivered_at": None,
            "cancelled_at": None,
            "cancel_reason": None,
        }

        if status == "return_in_progress" and delivered_days_ago is None:
            delivered_days_ago = rng.randint(4, 12)
        if status == "refunded" and delivered_days_ago is None:
            delivered_days_ago = rng.randint(25, 120)

        if status == "pending_payment":
            row["created_at"] = self.at(1)
        elif status == "paid":
            row["created_at"] = self.at(rng.randint(1, 2))
        elif status == "packed":
            row["created_at"] = self.at(rng.randint(2, 3))
        elif status == "cancelled":
            created_days_ago = rng.randint(2, 60)
            row["created_at"] = self.at(created_days_ago)
            row["cancelled_at"] = self.at(created_days_ago - 1)
            row["cancel_reason"] = rng.choice(CANCEL_REASONS)
        elif status == "shipped":
            shipped_days_ago = rng.randint(1, 3)
            row["created_at"] = self.at(shipped_days_ago + rng.randint(1, 2))
            self._ship(row, customer.country, self.at(shipped_days_ago), carrier)
        else:  # delivered, return_in_progress, refunded: all went through delivery
            assert delivered_days_ago is not None
            shipped_days_ago = delivered_days_ago + rng.randint(1, 3)
            row["created_at"] = self.at(shipped_days_ago + rng.randint(1, 2))
            self._ship(row, customer.country, self.at(shipped_days_ago), carrier)
            row["delivered_at"] = self.at(delivered_days_ago)
            if status == "return_in_progress":
                self._add_return(row, lines, delivered_days_ago, refunded=False)
            elif status == "refunded":
                self._add_return(row, lines, delivered_days_ago, refunded=True)

        self.data.orders.append(row)
        self.data.order_items.extend(lines)

    def _ship(
        self, row: dict[str, Any], country: str, shipped_at: datetime, carrier: str | None
    ) -> None:
        carrier = carrier or self.rng.choice(CARRIERS_BY_COUNTRY[country])
        number, url = _tracking(carrier, self.rng)
        row.update(carrier=carrier, tracking_number=number, tracking_url=url, shipped_at=shipped_at)

    def _add_return(
        self,
        order: dict[str, Any],
        lines: list[dict[str, Any]],
        delivered_days_ago: int,
        *,
        refunded: bool,
    ) -> None:
        rng = self.rng
        if refunded:
            # A refunded order had everything sent back.
            chosen = [(line, line["quantity"]) for line in lines]
            created_days_ago = delivered_days_ago - rng.randint(2, 7)
        else:
            line = lines[0]
            chosen = [(line, rng.randint(1, line["quantity"]))]
            created_days_ago = rng.randint(1, delivered_days_ago - 1)
        created_at = self.at(created_days_ago)
        items = [
            {
                "sku": line["sku"],
                "name": line["name"],
                "quantity": quantity,
                "unit_price_cents": line["unit_price_cents"],
            }
            for line, quantity in chosen
        ]
        # The fixed return of 10008 stays at "requested"/"pending"; generated
        # ones may already have been received at the warehouse.
        received = not refunded and order["id"] != 10008 and rng.random() < 0.5
        self.data.returns.append(
            {
                "order_id": order["id"],
                "created_at": created_at,
                "status": "completed" if refunded else ("received" if received else "requested"),
                "reason": rng.choice(RETURN_REASONS),
                "items": items,
                "refund_status": (
                    "refunded" if refunded else ("approved" if received else "pending")
                ),
                "refund_amount_cents": sum(i["quantity"] * i["unit_price_cents"] for i in items),
                "refund_expected_at": created_at + REFUND_EXPECTED_AFTER,
                "refunded_at": self.at(created_days_ago - rng.randint(5, 12)) if refunded else None,
            }
        )


def _tracking(carrier: str, rng: random.Random) -> tuple[str, str]:
    def digits(count: int) -> str:
        return "".join(rng.choice("0123456789") for _ in range(count))

    if carrier == "Nova Poshta":
        number = "20450" + digits(9)
        return number, f"https://novaposhta.ua/tracking/?cargo_number={number}"
    if carrier == "InPost":
        number = digits(24)
        return number, f"https://inpost.pl/sledzenie-przesylek?number={number}"
    if carrier == "PPL":
        number = "4" + digits(10)
        return number, f"https://www.ppl.cz/vyhledat-zasilku?shipmentId={number}"
    if carrier == "DPD":
        number = "0" + digits(12) + "U"
        return number, f"https://tracking.dpd.de/status/en_US/parcel/{number}"
    raise ValueError(f"unknown carrier {carrier!r}")


async def insert_seed(conn: AsyncConnection, data: SeedData, *, label_base_url: str) -> None:
    await conn.execute(customers.insert(), data.customers)
    ids = dict((await conn.execute(select(customers.c.email, customers.c.id))).all())
    order_rows = []
    for row in data.orders:
        row = dict(row)
        row["customer_id"] = ids[row.pop("customer_email")]
        order_rows.append(row)
    await conn.execute(orders.insert(), order_rows)
    await conn.execute(order_items.insert(), data.order_items)
    # One by one, in order, so returns get ids 1, 2, ... and a label naming them.
    for row in data.returns:
        result = await conn.execute(returns.insert().values(**row))
        return_id = int(result.inserted_primary_key[0])
        await conn.execute(
            update(returns)
            .where(returns.c.id == return_id)
            .values(label_url=label_url(label_base_url, return_id))
        )


async def seed_if_empty(
    engine: AsyncEngine, *, today: date, label_base_url: str, seed: int = DEFAULT_SEED
) -> bool:
    """Fill an empty shop; returns whether anything was inserted."""
    async with engine.begin() as conn:
        if await conn.scalar(select(func.count()).select_from(orders)):
            return False
        await insert_seed(conn, build_seed(today, seed), label_base_url=label_base_url)
    return True
