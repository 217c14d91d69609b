"""An edit leaves no field the agent did not touch changed without a word: a number kept as
typed (no number in the default country) on a contact whose address now names a country it
is a number in is converted by the save, which reads every number in the address's country
(domain.draft.phone_countries), and the service's check says so for the command line and the
form to show (domain.draft.reread_numbers)."""

from __future__ import annotations

from dataclasses import replace

from contact_tui.domain.draft import ContactDraft, PhoneDraft
from contact_tui.domain.model import Address, Contact, PhoneKind
from contact_tui.service import ContactService

DRESDEN = "0351 223344"  # valid in Germany, no +1 number
NOTICE = (
    "Kept as typed until now, '0351 223344' is saved as +49 351 223344, read in Germany "
    "(+49), the address's country; edit it if that is not the number."
)


def kept_in_germany(service: ContactService) -> Contact:
    """Jonas Weber with the Dresden number kept as typed and an address in Germany, as an
    import that read the number in the default country stored him."""
    added = service.create_contact(
        ContactDraft(
            first_name="Jonas", last_name="Weber", phones={PhoneKind.HOME: PhoneDraft(DRESDEN)}
        )
    )
    assert added.home_phone is not None and added.home_phone.e164 is None
    with service.repo.write("hand") as uow:
        return uow.save_contact(replace(added, address=Address(country_code="DE")), added.version)


def test_the_check_says_an_edit_converts_an_untouched_number_kept_as_typed(
    service: ContactService,
) -> None:
    stored = kept_in_germany(service)
    draft = ContactDraft.from_contact(stored)
    draft.phones[PhoneKind.WORK] = PhoneDraft("0351 223345")

    warnings = service.check(draft, stored)
    saved = service.edit(stored.id, draft, stored.version)

    assert warnings == {"homePhone": NOTICE}
    assert saved.home_phone is not None and saved.home_phone.e164 == "+49351223344"
    assert saved.work_phone is not None and saved.work_phone.e164 == "+49351223345"


def test_a_number_the_agent_changed_or_a_check_without_the_contact_says_nothing(
    service: ContactService,
) -> None:
    stored = kept_in_germany(service)
    changed = ContactDraft.from_contact(stored)
    changed.phones[PhoneKind.HOME] = PhoneDraft("0351 223346")

    assert service.check(changed, stored) == {}
    assert service.check(ContactDraft.from_contact(stored)) == {}
