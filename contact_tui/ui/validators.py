"""The domain's field rules as Textual validators, so the form and the service agree.

One validator runs any rule that raises :class:`RuleError`, and fails with the rule's own
message. Optional fields are left to ``valid_empty`` on the Input.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial

from textual.validation import ValidationResult, Validator

from contact_tui.domain.draft import check_email, check_phone
from contact_tui.domain.rules import RuleError, validate_name, validate_text


class RuleValidator(Validator):
    """A domain rule (a function of the field's text that raises :class:`RuleError`) as a
    validator whose failure description is the rule's message."""

    def __init__(self, rule: Callable[[str], object]) -> None:
        super().__init__()
        self.rule = rule

    def validate(self, value: str) -> ValidationResult:
        """Apply the rule."""
        try:
            self.rule(value)
        except RuleError as err:
            return self.failure(str(err))
        return self.success()


def name_rule(label: str, required: bool) -> RuleValidator:
    """First, middle or last name."""
    return RuleValidator(partial(validate_name, label=label, required=required))


def text_rule(label: str, max_length: int = 1000) -> RuleValidator:
    """Other free text: title, address parts."""
    return RuleValidator(partial(validate_text, label=label, max_length=max_length))


def phone_rule(region: str) -> RuleValidator:
    """A phone field. Kept-but-not-searchable numbers pass: the form shows them a warning."""
    return RuleValidator(partial(check_phone, region=region))


def email_rule() -> RuleValidator:
    """An email field."""
    return RuleValidator(check_email)
