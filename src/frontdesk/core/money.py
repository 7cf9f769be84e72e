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


# ISO 4217 minor units of the currencies a business is likely to trade in; a code not
# listed is refused (422) where money comes in, rather than guessed.
CURRENCY_EXPONENTS: dict[str, int] = {
    **dict.fromkeys(
        ("AED", "AUD", "BRL", "CAD", "CHF", "CNY", "CZK", "DKK", "EUR", "GBP", "HKD", "HUF",
         "ILS", "INR", "MAD", "MXN", "NOK", "NZD", "PLN", "RON", "SEK", "SGD", "THB", "TRY",
         "USD", "ZAR"),
        2,
    ),
    **dict.fromkeys(("CLP", "ISK", "JPY", "KRW", "VND", "XOF", "XAF"), 0),
    **dict.fromkeys(("BHD", "JOD", "KWD", "OMR", "TND"), 3),
}  # fmt: skip


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


# --- currencies (ISO 4217 minor units) --------------------------------------------------
# Active ISO 4217 codes and how many decimals each has. Precious metals, SDRs and test
# codes (XAU, XDR, XTS, ...) have none and are not money here. Source: the ISO 4217
# list (SIX), 2025 edition; ANG stays listed while XCG replaces it.
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
CURRENCY_DIGITS: dict[str, int] = {
    code: digits
    for codes, digits in (
        (_ZERO_DIGITS, 0),
        (_TWO_DIGITS, 2),
        (_THREE_DIGITS, 3),
        (_FOUR_DIGITS, 4),
    )
    for code in codes.split()
}


def currency_digits(code: str) -> int | None:
    """Decimals of ``code`` (EUR 2, JPY 0, BHD 3), or None for a code ISO 4217 lacks."""
    return CURRENCY_DIGITS.get(code)


def fits_currency(amount: Decimal, code: str) -> bool:
    """True when ``amount`` has no more decimals than ``code`` allows (by value: 10.000
    EUR is ten euros; 10.005 EUR is not an amount)."""
    digits = currency_digits(code)
    if digits is None or not amount.is_finite():
        return False
    return amount == amount.quantize(Decimal(1).scaleb(-digits))


def format_money(amount: Decimal, code: str) -> str:
    """``amount`` with exactly the currency's decimals ("12.50", "1250", "1.250"); an
    unknown code keeps every stored digit. Never rounds: callers pass fitting amounts."""
    digits = currency_digits(code)
    if digits is None:
        return format(amount.normalize(), "f")
    quantized = amount.quantize(Decimal(1).scaleb(-digits))
    if quantized != amount:
        raise ValueError(f"{amount} has more decimals than {code} allows")
    return format(quantized, "f")
