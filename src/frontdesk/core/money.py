"""Exact money: :class:`~decimal.Decimal` only, never float."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

MONEY_SCALE = 4  # digits kept after the point: covers 0-, 2- and 3-digit currencies exactly
MONEY_PRECISION = 18  # the scaled integer must fit SQLite's signed 64 bits
MONEY_QUANTUM = Decimal(1).scaleb(-MONEY_SCALE)
MAX_MONEY = Decimal(10) ** (MONEY_PRECISION - MONEY_SCALE) - MONEY_QUANTUM


def to_money(value: Decimal | int | str) -> Decimal:
    """Coerce to an exact amount; refuse floats, NaN, infinities and excess precision."""
    if isinstance(value, float | bool):
        raise TypeError("money must be a Decimal, int or decimal string, never float")
    try:
        amount = Decimal(value)
    except InvalidOperation as exc:
        raise ValueError(f"not a decimal amount: {value!r}") from exc
    if not amount.is_finite():
        raise ValueError("money must be a finite amount")
    if amount != amount.quantize(MONEY_QUANTUM, rounding="ROUND_HALF_EVEN"):
        raise ValueError(f"money has more than {MONEY_SCALE} decimal places: {value!r}")
    if abs(amount) > MAX_MONEY:
        raise ValueError("money amount is out of range")
    return amount.quantize(MONEY_QUANTUM)


# ISO 4217 minor units of every active currency; a code not listed is refused (422)
# where money comes in, rather than guessed. Precious metals, SDRs and test codes (XAU,
# XDR, XTS, ...) have no minor unit and are not money here. Source: the ISO 4217 list
# (SIX), 2025 edition; ANG stays listed while XCG replaces it.
_ZERO_DIGITS = "BIF CLP DJF GNF ISK JPY KMF KRW PYG RWF UGX UYI VND VUV XAF XOF XPF"
_THREE_DIGITS = "BHD IQD JOD KWD LYD OMR TND"
_FOUR_DIGITS = "CLF UYW"
_TWO_DIGITS = (
    "AED AFN ALL AMD ANG AOA ARS AUD AWG AZN BAM BBD BDT BGN BMD BND BOB BOV BRL BSD BTN "
    "BWP BYN BZD CAD CDF CHE CHF CHW CNY COP COU CRC CUP CVE CZK DKK DOP DZD EGP ERN ETB "
    "EUR FJD FKP GBP GEL GHS GIP GMD GTQ GYD HKD HNL HTG HUF IDR ILS INR IRR JMD KES KGS "
    "KHR KPW KYD KZT LAK LBP LKR LRD LSL MAD MDL MGA MKD MMK MNT MOP MRU MUR MVR MWK MXN "
    "MXV MYR MZN NAD NGN NIO NOK NPR NZD PAB PEN PGK PHP PKR PLN QAR RON RSD RUB SAR SBD "
    "SCR SDG SEK SGD SHP SLE SOS SRD SSP STN SVC SYP SZL THB TJS TMT TOP TRY TTD TWD TZS "
    "UAH USD USN UYU UZS VED VES WST XCD XCG YER ZAR ZMW ZWG"
)
CURRENCY_EXPONENTS: dict[str, int] = {
    code: digits
    for codes, digits in (
        (_ZERO_DIGITS, 0),
        (_TWO_DIGITS, 2),
        (_THREE_DIGITS, 3),
        (_FOUR_DIGITS, 4),
    )
    for code in codes.split()
}


def currency_exponent(currency: str) -> int:
    """Digits after the point in ``currency`` (EUR 2, JPY 0, BHD 3); KeyError if unknown."""
    return CURRENCY_EXPONENTS[currency]


def format_amount(value: Decimal, currency: str) -> str:
    """``value`` with exactly the currency's decimals (12.5 EUR -> "12.50"), for people
    and accountants; an unknown currency keeps the value's own digits."""
    exponent = CURRENCY_EXPONENTS.get(currency)
    if exponent is None:
        return format(value.normalize(), "f")
    return format(value.quantize(Decimal(1).scaleb(-exponent)), "f")


def fits_currency(amount: Decimal, currency: str) -> bool:
    """True when ``amount`` has no more decimals than ``currency`` allows, by value
    (10.000 EUR is ten euros; 10.005 EUR is no amount); False for an unknown code."""
    exponent = CURRENCY_EXPONENTS.get(currency)
    if exponent is None or not amount.is_finite():
        return False
    return amount == amount.quantize(Decimal(1).scaleb(-exponent))
