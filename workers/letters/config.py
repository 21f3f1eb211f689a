"""The company's letterhead and requisites, as the settings give them (Settings.letterhead).

The defaults are demo PLACEHOLDERS, plainly marked as such in the letter itself: a deployment must fill in
its own legal name, address and registration numbers before a letter goes out."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

PLACEHOLDER = "(реквизиты — заполните в настройках)"


class BankRequisites(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    bank: str = Field(description="Bank name, e.g. «ПАО Сбербанк, г. Москва»")
    account: str = Field(description="Расчётный счёт (20 digits)")
    correspondent_account: str = Field(description="Корреспондентский счёт (20 digits)")
    bik: str = Field(description="БИК (9 digits)")


class LetterheadConfig(BaseModel):
    """What the letterhead of every letter to a client shows."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    # PLACEHOLDERS: demo values only, to be replaced in the settings.
    legal_name: str = Field(default=f"ООО «Телеком» {PLACEHOLDER}", description="Full legal name")
    short_name: str = Field(default="Телеком", description="Short name, as the signature line shows it")
    postal_address: str = Field(default="000000, г. Город, ул. Примерная, д. 0 (адрес — заполните в настройках)",
                                description="Postal address, with the index")
    phone: str = Field(default="8 800 000-00-00", description="Phone for clients")
    email: str = Field(default="info@telecom.example", description="Email for clients")
    inn: str = Field(default="0000000000", description="ИНН")
    kpp: str = Field(default="000000000", description="КПП")
    ogrn: str = Field(default="0000000000000", description="ОГРН")
    city: str = Field(default="г. Город", description="Where the letter is written (shown by the date)")
    bank: BankRequisites | None = Field(default=None, description="Bank requisites, shown when set")

    def requisites_line(self) -> str:
        """«ИНН … · КПП … · ОГРН …» and the bank requisites if any, for the line under the name."""
        parts = [f"ИНН {self.inn}", f"КПП {self.kpp}", f"ОГРН {self.ogrn}"]
        if self.bank is not None:
            parts += [f"р/с {self.bank.account}", f"в {self.bank.bank}",
                      f"к/с {self.bank.correspondent_account}", f"БИК {self.bank.bik}"]
        return " · ".join(parts)

    def contact_lines(self) -> list[str]:
        return [f"Почтовый адрес: {self.postal_address}", f"Тел. {self.phone} · эл. почта {self.email}"]
