"""Thin Textual validators over the domain's rules, so the form and the service agree.

Each returns the domain's own message as the failure description. Optional fields are left
to ``valid_empty`` on the Input.
"""

from __future__ import annotations

from textual.validation import ValidationResult, Validator

from contact_tui.domain.draft import check_email, check_phone
from contact_tui.domain.rules import RuleError, validate_name, validate_text


class NameValidator(Validator):
    """First, middle or last name."""

    def __init__(self, label: str, required: bool) -> None:
        super().__init__()
        self.label = label
        self.required = required

    def validate(self, value: str) -> ValidationResult:
        """Apply the name rule."""
        try:
            validate_name(value, self.label, required=self.required)
        except RuleError as err:
            return self.failure(str(err))
        return self.success()


class TextValidator(Validator):
    """Other free text: title, address parts."""

    def __init__(self, label: str, max_length: int = 1000) -> None:
        super().__init__()
        self.label = label
        self.max_length = max_length

    def validate(self, value: str) -> ValidationResult:
        """Apply the free-text rule."""
        try:
            validate_text(value, self.label, max_length=self.max_length)
        except RuleError as err:
            return self.failure(str(err))
        return self.success()


class PhoneValidator(Validator):
    """A phone field. Kept-but-not-searchable numbers pass: the form shows them a warning."""

    def __init__(self, region: str) -> None:
        super().__init__()
        self.region = region

    def validate(self, value: str) -> ValidationResult:
        """Apply the phone rule."""
        try:
            check_phone(value, self.region)
        except RuleError as err:
            return self.failure(str(err))
        return self.success()


class EmailValidator(Validator):
    """An email field."""

    def validate(self, value: str) -> ValidationResult:
        """Apply the email rule."""
        try:
            check_email(value)
        except RuleError as err:
            return self.failure(str(err))
        return self.success()
