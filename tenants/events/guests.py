"""Guest lists as Luma and Eventbrite export them (and any CSV with an email per guest), imported into one event.

Luma's guest CSV: api_id, name, first_name, last_name, email, phone_number, created_at, approval_status,
checked_in_at, ticket_name…; Eventbrite's attendee report: Order #, Order Date, First Name, Last Name, Email,
Quantity, Ticket Type, Attendee Status, Checked In / Check-In Date…. Their columns are recognised by name; each
row names a guest by email (the member is found by it or created) and says their status and, perhaps, that they
came. A row's refusal names the file's column. Pure functions: the csv_import job writes through `batches`."""
from __future__ import annotations

import re
from datetime import datetime
from zoneinfo import ZoneInfo

from tenants.community.imports import csvfile
from tenants.community.models import Member
from tenants.community.validate import ItemError, identity, normalise_email, parse_time
from tenants.community.values import limit, printable
from tenants.events.batches import RegistrationIn

KIND = "guests"
FIELDS = ("email", "display_name", "first_name", "last_name", "status", "registered_at", "checked_in",
          "checked_in_at")
SYNONYMS = {
    "email": ("email", "e-mail", "email address", "attendee email", "guest email", "почта", "эл. почта",
              "электронная почта"),
    "display_name": ("name", "full name", "guest name", "attendee name", "имя и фамилия", "фио", "участник"),
    "first_name": ("first name", "firstname", "given name", "имя"),
    "last_name": ("last name", "lastname", "surname", "family name", "фамилия"),
    "status": ("approval status", "attendee status", "status", "registration status", "статус"),
    "registered_at": ("created at", "order date", "registered at", "registration date", "registration time",
                      "дата регистрации"),
    "checked_in": ("checked in", "checked-in", "attended", "пришёл", "пришел", "отметка"),
    "checked_in_at": ("checked in at", "check-in date", "check in date", "check-in time", "checked in date",
                      "время отметки"),
}
# A status as the platforms write it (lower-cased) → the registration's; None: not a registration (invited only).
STATUSES = {
    "approved": "registered", "attending": "registered", "going": "registered", "registered": "registered",
    "confirmed": "registered", "checked in": "registered", "checked_in": "registered",
    "зарегистрирован": "registered", "идёт": "registered", "пойдёт": "registered",
    "waitlist": "waitlisted", "waitlisted": "waitlisted", "pending approval": "waitlisted",
    "pending_approval": "waitlisted", "pending": "waitlisted", "лист ожидания": "waitlisted",
    "declined": "cancelled", "cancelled": "cancelled", "canceled": "cancelled", "not attending": "cancelled",
    "refunded": "cancelled", "deleted": "cancelled", "rejected": "cancelled", "transferred": "cancelled",
    "отменено": "cancelled", "отказ": "cancelled", "отклонено": "cancelled",
    "invited": None, "приглашён": None,
}
CHECKED_STATUSES = ("checked in", "checked_in")      # Eventbrite's Attendee Status of someone who came
YES, NO = ("yes", "true", "1", "y", "да", "checked in", "✓"), ("no", "false", "0", "n", "нет", "")
# Dates as the exports write them besides ISO 8601: Eventbrite's "Mar 5, 2026 1:34 PM", Russian Excel's.
FORMATS = ("%b %d, %Y %I:%M %p", "%b %d, %Y %H:%M", "%B %d, %Y %I:%M %p", "%m/%d/%Y %I:%M %p", "%m/%d/%Y %H:%M",
           "%d.%m.%Y %H:%M:%S", "%d.%m.%Y %H:%M", "%d.%m.%Y", "%Y-%m-%d %H:%M:%S%z", "%Y-%m-%d")
_OPTIONS = {f: set(SYNONYMS[f]) | {f.replace("_", " ")} for f in FIELDS}


def _norm(name: str) -> str:
    return re.sub(r"\s+", " ", name.strip().lower().replace("_", " ")).strip()


def guess_mapping(header: list[str]) -> list[str]:
    """For each column, the guest field it holds ('' = ignore); each field once, the first column naming it."""
    taken: set[str] = set()
    mapping = []
    for name in header:
        found = next((f for f in FIELDS if _norm(name) in _OPTIONS[f] and f not in taken), "")
        taken.add(found)
        mapping.append(found)
    return mapping


def parse(cells: list[str], mapping: list[str], header: list[str], tz: str,
          default_check_in: datetime) -> RegistrationIn | None:
    """One row of a guest list: the registration to make, or None when the row is none (an invitation only).
    `default_check_in`: when someone the file marks as come came, if it says no time."""
    if len(cells) > csvfile.MAX_COLUMNS:
        raise ItemError("the row has more than %(limit)s cells", limit=csvfile.MAX_COLUMNS)
    values, columns = {}, {}
    for index, target in enumerate(mapping):
        if target and index < len(cells) and cells[index].strip():
            values[target], columns[target] = cells[index].strip(), header[index] if index < len(header) else target
    raw_status = _norm(values.get("status", "")).replace(" ", "_") if values.get("status") else ""
    status_key = raw_status.replace("_", " ")
    if status_key and status_key not in STATUSES and raw_status not in STATUSES:
        raise ItemError("%(column)s: %(value)s is not a guest status I know (approved, waitlist, declined, "
                        "attending, not attending…)", column=columns["status"], value=csvfile.shown(values["status"]))
    status = STATUSES.get(status_key, STATUSES.get(raw_status)) if status_key else "registered"
    if status is None:
        return None
    if "email" not in columns and "email" in mapping:       # the column is there, the cell empty
        columns["email"] = header[mapping.index("email")] if mapping.index("email") < len(header) else "email"
    email = _email(values, columns)
    name = values.get("display_name") or " ".join(v for v in (values.get("first_name"), values.get("last_name")) if v)
    name = printable(" ".join(name.split()), limit(Member.display_name)) or None
    registered = _when(values, columns, "registered_at", tz)
    came = _when(values, columns, "checked_in_at", tz)
    if came is None and (status_key in CHECKED_STATUSES or _yes(values, columns)):
        came = default_check_in
    return RegistrationIn(identity("email", email, None, name, email), status, registered,
                          checked_in_at=came if status != "cancelled" else None)


def _email(values: dict, columns: dict) -> str:
    raw = values.get("email")
    if not raw:
        raise ItemError("%(column)s is empty: every guest needs an email (the member is found or added by it)",
                        column=columns.get("email", "email"))
    try:
        email = normalise_email(raw)
    except ItemError:
        raise ItemError("%(column)s: %(value)s is not an email address", column=columns["email"],
                        value=csvfile.shown(raw)) from None
    if email is None:
        raise ItemError("%(column)s is empty: every guest needs an email (the member is found or added by it)",
                        column=columns["email"])
    return email


def _yes(values: dict, columns: dict) -> bool:
    raw = values.get("checked_in")
    if raw is None:
        return False
    if raw.strip().lower() in YES:
        return True
    if raw.strip().lower() in NO:
        return False
    raise ItemError("%(column)s: %(value)s is neither yes nor no", column=columns["checked_in"],
                    value=csvfile.shown(raw))


def _when(values: dict, columns: dict, name: str, tz: str) -> datetime | None:
    raw = values.get(name)
    if raw is None:
        return None
    out_of_range = ItemError("%(column)s: %(value)s is before 2000 or in the future", column=columns[name],
                             value=csvfile.shown(raw))
    try:
        return csvfile.parse_when(raw, tz)
    except ItemError as exc:
        if "before 2000" in exc.template or "in the future" in exc.template:
            raise out_of_range from None
    for fmt in FORMATS:
        try:
            moment = datetime.strptime(raw.strip(), fmt)
        except ValueError:
            continue
        try:
            return parse_time(moment if moment.tzinfo else moment.replace(tzinfo=ZoneInfo(tz)), name)
        except ItemError:
            raise out_of_range from None
    raise ItemError("%(column)s: %(value)s is not a date I can read (use 2026-05-01 10:00 or 01.05.2026 10:00)",
                    column=columns[name], value=csvfile.shown(raw))
