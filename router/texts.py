"""What the client reads (Russian)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from router.calendar import Deadlines


def _local(moment: datetime, tz: ZoneInfo) -> str:
    return moment.astimezone(tz).strftime("%d.%m.%Y %H:%M")


# A ticket of the queue has no manager yet: the subscriber department signs (with its head's name if any).
DEPARTMENT_SIGNATURE = "С уважением,\nАбонентский отдел"


POSITION_TITLES_RU: dict[str, str] = {
    "manager": "Персональный менеджер",
    "subscriber_head": "Начальник абонентского отдела",
    "department_head": "Начальник отдела",
    "director": "Генеральный директор",
    "admin": "Администратор",
    "operator": "Оператор",
}


@dataclass(frozen=True)
class Signer:
    """Who signs a letter to the client: a staff member's name and role (router.models.Staff)."""

    name: str
    role: str

    @property
    def position(self) -> str:
        return POSITION_TITLES_RU.get(self.role, "Сотрудник")

    @property
    def signature(self) -> str:
        return f"С уважением,\n{self.name}\n{self.position}"


def _letter(name: str | None, body: str, signer: Signer | None = None) -> str:
    """Every message to a client: a greeting by name when known, the body, the signature (the manager's
    name and position; the subscriber department's for a ticket no manager holds yet)."""
    greeting = f"Здравствуйте, {name}!" if name else "Здравствуйте!"
    return f"{greeting}\n\n{body}\n{signer.signature if signer else DEPARTMENT_SIGNATURE}"


def greeting_name(client_name: str | None, segment: str | None) -> str | None:
    """A person is greeted by name; a company (segment business) without its legal name."""
    return None if segment == "business" else client_name


def staff_letter(name: str | None, body: str, signer: Signer) -> str:
    """A letter a staff member writes to the client in the review process, signed by them."""
    return _letter(name, body.rstrip("\n") + "\n", signer)


def review_acknowledgement(number: str, signer: Signer, resolution_due: datetime, tz: ZoneInfo) -> str:
    """The body the manager's first response is pre-filled with (editable before it is sent)."""
    return (
        f"Ваша претензия {number} принята к рассмотрению. Ею занимается ваш персональный менеджер "
        f"{signer.name}.\n"
        f"Максимальный срок рассмотрения — 5 рабочих дней, до {resolution_due.astimezone(tz).strftime('%d.%m.%Y')}."
    )


def decision_answer(number: str, founded: bool, conclusion: str, re_reviewed: bool) -> str:
    """The body the answer to the client is pre-filled with from the decision (editable)."""
    head = (f"По вашей претензии {number} решение пересмотрено после вашего обращения." if re_reviewed
            else f"Мы рассмотрели вашу претензию {number}.")
    verdict = "Претензия признана обоснованной." if founded else "Претензия признана необоснованной."
    return f"{head}\n{verdict}\n\n{conclusion}"


VERIFY_FIRST = ("Чтобы защитить данные клиентов, мы ничего не сообщаем о договоре, пока не убедимся, что "
                "этот аккаунт принадлежит владельцу договора: специалист проверит это и свяжется с вами. "
                "Проверка пройдёт сразу, если поделиться своим номером кнопкой «Поделиться контактом».")


# How a claimed identity gets verified (router.identity_claims): what the chat account is told. Nothing of the
# client's: no name, no contract, no address (not even masked).
CODE_SENT = ("Чтобы защитить данные клиентов, мы ничего не сообщаем о договоре, пока не убедимся, что этот "
             "аккаунт принадлежит владельцу договора. Мы отправили одноразовый код подтверждения на адрес "
             "электронной почты, указанный в договоре. Пришлите этот код (6 цифр) ответным сообщением в этот "
             "чат. Код действует 30 минут.")
CODE_ALREADY_SENT = ("Код подтверждения уже отправлен на адрес электронной почты, указанный в договоре: пришлите "
                     "его (6 цифр) в этот чат. Пока личность не подтверждена, мы ничего не сообщаем о договоре.")
CLAIM_LIMITED = ("С этого аккаунта было слишком много попыток подтвердить договор за сутки, поэтому новый код "
                 "не отправляется. Ваше сообщение сохранено: специалист проверит данные и свяжется с вами. Пока "
                 "личность не подтверждена, мы ничего не сообщаем о договоре.")
CODE_WRONG = "Код неверный. Проверьте код в письме и пришлите его ещё раз. Осталось попыток: {left}."
CODE_EXHAUSTED = ("Код введён неверно слишком много раз и больше не действует. Ваше сообщение сохранено: "
                  "специалист проверит данные и свяжется с вами.")
CODE_EXPIRED = ("Срок действия кода истёк. Чтобы получить новый код, пришлите номер договора ещё раз — или "
                "дождитесь, пока специалист проверит данные и свяжется с вами.")
CLAIM_TEXTS = {"email": CODE_SENT, "staff": VERIFY_FIRST, "limited": CLAIM_LIMITED, "repeated": CODE_ALREADY_SENT}


def claim_text(method: str) -> str:
    return CLAIM_TEXTS.get(method, VERIFY_FIRST)


def acknowledgement(
    number: str, deadlines: Deadlines, tz: ZoneInfo, name: str | None, ask_contract: bool = False,
    signer: Signer | None = None, claimed: bool = False, claim: str | None = None,
) -> str:
    who = "Персональный менеджер" if not ask_contract else "Специалист абонентского отдела"
    ask = (
        f"{claim or VERIFY_FIRST}\n\n" if claimed else
        "Мы не нашли ваш договор по этому аккаунту. Пожалуйста, пришлите номер договора "
        "(или номер телефона, на который он оформлен) — сотрудник проверит его, и претензию получит ваш "
        "персональный менеджер.\n\n"
        if ask_contract else ""
    )
    return _letter(name, (
        f"Ваша претензия зарегистрирована под номером {number}.\n"
        f"{who} свяжется с вами не позднее {_local(deadlines.first_response, tz)} "
        f"(8 рабочих часов).\n"
        f"Срок рассмотрения претензии — 5 рабочих дней, до {_local(deadlines.resolution, tz)}.\n\n"
        f"{ask}"
        f"При ответе, пожалуйста, указывайте номер {number}."
    ), signer)


def follow_up_received(number: str, name: str | None, signer: Signer | None = None) -> str:
    by_manager = signer is not None and signer.role == "manager"
    whom = "вашему персональному менеджеру" if by_manager else "специалисту абонентского отдела"
    return _letter(name, f"Ваше сообщение добавлено к претензии {number} и передано {whom}.", signer)


def identity_linked_received(number: str, name: str | None, signer: Signer | None = None) -> str:
    return _letter(name, f"Спасибо, мы нашли ваш договор. Претензия {number} передана вашему персональному "
                         f"менеджеру.", signer)


def identity_claim_received(number: str, name: str | None, signer: Signer | None = None,
                            claim: str | None = None) -> str:
    """A chat account named a client's number: no name, no contract, nothing of the client's in the answer."""
    return _letter(name, f"Ваше сообщение добавлено к претензии {number}. {claim or VERIFY_FIRST}", signer)


def code_checked_received(number: str, name: str | None, outcome: str, attempts_left: int,
                          signer: Signer | None = None) -> str:
    """The account sent a code that did not verify it (wrong, used up, expired)."""
    text = {"wrong": CODE_WRONG.format(left=attempts_left), "exhausted": CODE_EXHAUSTED,
            "expired": CODE_EXPIRED}[outcome]
    return _letter(name, f"Ваше сообщение добавлено к претензии {number}. {text}", signer)


def identity_verified_received(number: str, name: str | None, signer: Signer | None = None) -> str:
    return _letter(name, f"Спасибо, личность подтверждена. Претензия {number} передана вашему персональному "
                         f"менеджеру.", signer)


CODE_MAIL_SUBJECT = "Код подтверждения для чата со службой по работе с претензиями"


def code_mail(code: str, platform: str, account_value: str, ttl_minutes: int) -> str:
    """To the client's registered email: which account asked (`platform`: the channel's title), the code, what
    to do if it was not them. Nothing the client does not already know (not the complaint: whoever wrote it is
    not verified)."""
    return (
        "Здравствуйте!\n\n"
        f"В чат службы по работе с претензиями написали из аккаунта {platform} (id {account_value}) и назвали "
        "номер вашего договора или телефона. Чтобы подтвердить, что это ваш аккаунт, отправьте в тот же чат "
        f"код подтверждения:\n\n{code}\n\n"
        f"Код действует {ttl_minutes} минут. После подтверждения аккаунт будет привязан к вашему договору.\n\n"
        "Если это были не вы, просто проигнорируйте это письмо: без кода аккаунт не получит никаких сведений "
        "о вашем договоре. Если у вас есть сомнения, позвоните оператору по телефону, указанному в договоре.\n\n"
        "Никому не сообщайте этот код.\n\n"
        f"{DEPARTMENT_SIGNATURE}"
    )


CLAIM_METHOD_NOTES = {
    "email": "Клиенту отправлен одноразовый код на адрес электронной почты из договора.",
    "staff": "У клиента нет адреса электронной почты: подтвердите или отклоните личность вручную.",
    "limited": "Код не отправлен: превышен лимит попыток подтверждения для этого аккаунта.",
    "repeated": "Повторно; код уже отправлен.",
}


def identity_claimed_note(contract_number: str, method: str | None = None) -> str:
    note = (f"Личность не подтверждена: аккаунт назвал номер договора или телефона клиента (договор "
            f"{contract_number}). Проверьте по телефону из договора; до проверки данные клиента не сообщаются.")
    return f"{note} {CLAIM_METHOD_NOTES[method]}" if method in CLAIM_METHOD_NOTES else note


def claim_refused_note(limit: int, hours: int) -> str:
    return (f"Код подтверждения не отправлен: с аккаунта уже было {limit} попытки подтвердить договор за "
            f"{hours} ч. Подтвердите или отклоните личность вручную.")


def code_checked_note(outcome: str, attempts: int, max_attempts: int) -> str:
    return {"wrong": f"Неверный код подтверждения (попытка {attempts} из {max_attempts}).",
            "exhausted": "Код подтверждения введён неверно слишком много раз: код больше не действует.",
            "expired": "Прислан код подтверждения после истечения срока действия.",
            "verified": "Личность подтверждена кодом из письма."}[outcome]


def reopened_received(number: str, name: str | None, signer: Signer | None = None) -> str:
    # After a dispute the director reviews the decision (router.review: the stage dispute).
    return _letter(name, f"Ваше сообщение добавлено к претензии {number}. Вы не согласны с решением, поэтому "
                         f"претензия открыта повторно и передана на пересмотр генеральному директору.", signer)


# What staff read in the ticket history and in alerts (Russian too).


def reopened_note(window_days: int) -> str:
    return (f"Претензия открыта повторно: клиент ответил в течение {window_days} дн. после закрытия "
            f"(оспаривание решения)")


def reply_bounced_note(reason: str) -> str:
    return f"Ответ клиенту не доставлен (возврат письма): {reason}"


def reply_bounced_alert(number: str, address: str, reason: str) -> str:
    return f"Ответ клиенту не доставлен: претензия {number}, адрес {address}. {reason}"


def auto_reply_note(subject: str | None) -> str:
    return f"Получен автоответ клиента{': ' + subject if subject else ''}; ответ на него не отправляется"


def identity_linked_note(client_name: str, assignment_note: str) -> str:
    return f"Аккаунт в чате привязан к клиенту {client_name} по номеру договора или телефона. {assignment_note}"


def dispute_alert(number: str, actor: str) -> str:
    return f"Решение по претензии {number} оспорено ({actor}): требуется пересмотр генеральным директором"
