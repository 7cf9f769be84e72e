"""A booking's printable receipt: one self-contained HTML page (inline CSS, no scripts,
no external resources), every value escaped. Amounts are shown with the currency's own
number of decimals; times in the business's time zone."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from html import escape
from zoneinfo import ZoneInfo

from frontdesk.business.orders.models import Booking, BookingItem
from frontdesk.business.settings.models import BusinessSettings
from frontdesk.core.money import format_amount


@dataclass(frozen=True)
class PaymentLine:
    label: str  # e.g. "card, captured" or "refund"
    at: datetime
    amount: Decimal  # negative for a refund


@dataclass(frozen=True)
class Receipt:
    settings: BusinessSettings
    booking: Booking
    customer_name: str | None
    items: list[BookingItem]
    payments: list[PaymentLine]
    balance_due: Decimal


STYLE = """
body { font: 14px/1.4 system-ui, sans-serif; max-width: 36em; margin: 2em auto; color: #111 }
h1 { font-size: 1.3em; margin: 0 } .muted { color: #555 } table { width: 100%;
border-collapse: collapse; margin: 1em 0 } td, th { padding: .3em 0; text-align: left }
td.n, th.n { text-align: right } tr.total td { border-top: 1px solid #111; font-weight: 600 }
@media print { body { margin: 0 } }
"""


def render(receipt: Receipt) -> str:
    booking, settings = receipt.booking, receipt.settings
    zone = ZoneInfo(settings.time_zone)

    def money(value: Decimal) -> str:
        return escape(format_amount(value, booking.currency))

    rows = "".join(
        f"<tr><td>{escape(item.description)}</td><td class=n>{item.quantity}</td>"
        f"<td class=n>{money(item.unit_price)}</td><td class=n>{money(item.line_total)}</td></tr>"
        for item in receipt.items
    )
    paid = "".join(
        f"<tr><td>{escape(line.label)}</td><td>{_local(line.at, zone)}</td>"
        f"<td class=n>{money(line.amount)}</td></tr>"
        for line in receipt.payments
    )
    address = escape(settings.business_address or "").replace("\n", "<br>")
    customer = f"<p>{escape(receipt.customer_name)}</p>" if receipt.customer_name else ""
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<title>Receipt {escape(_reference(booking))}</title><style>{STYLE}</style></head>
<body>
<h1>{escape(settings.business_name)}</h1>
<p class=muted>{address}</p>
<p>Receipt <strong>{escape(_reference(booking))}</strong><br>
<span class=muted>{_local(booking.booking_date, zone)} · {escape(booking.status)}</span></p>
{customer}
<table><thead><tr><th>Item</th><th class=n>Qty</th><th class=n>Price</th>
<th class=n>Amount</th></tr></thead><tbody>{rows}
<tr class=total><td colspan=3>Subtotal</td><td class=n>{money(booking.subtotal)}</td></tr>
<tr><td colspan=3>Discount</td><td class=n>{money(booking.discount)}</td></tr>
<tr class=total><td colspan=3>Total ({escape(booking.currency)})</td>
<td class=n>{money(booking.total)}</td></tr></tbody></table>
<table><thead><tr><th>Payment</th><th>When</th><th class=n>Amount</th></tr></thead>
<tbody>{paid}
<tr class=total><td colspan=2>Balance due</td><td class=n>{money(receipt.balance_due)}</td></tr>
</tbody></table>
</body></html>
"""


def _reference(booking: Booking) -> str:
    """A short reference to quote on the phone: the last 8 hex digits of the id."""
    return booking.id.hex[-8:].upper()


def _local(moment: datetime, zone: ZoneInfo) -> str:
    return escape(moment.astimezone(zone).strftime("%d %b %Y %H:%M"))
