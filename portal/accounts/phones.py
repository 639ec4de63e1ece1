"""Phone numbers: parse what people type, China by default, into E.164."""

import phonenumbers


class InvalidPhone(ValueError):
    pass


def normalise_phone(raw: str, region: str = "CN") -> str:
    """E.164 form of a mobile number typed with or without +86, spaces or dashes."""
    try:
        parsed = phonenumbers.parse(raw.strip(), region)
    except phonenumbers.NumberParseException as exc:
        raise InvalidPhone(raw) from exc
    if not phonenumbers.is_valid_number(parsed):
        raise InvalidPhone(raw)
    if phonenumbers.number_type(parsed) not in (
        phonenumbers.PhoneNumberType.MOBILE,
        phonenumbers.PhoneNumberType.FIXED_LINE_OR_MOBILE,
    ):
        raise InvalidPhone(raw)
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)
