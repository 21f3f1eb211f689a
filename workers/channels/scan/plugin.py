"""Post and fax: scanned letters. The scan channel OCRs them at the edge (the watched folder, the post
room's upload page, fax-to-email mails), the normalizer reads the letter, the router confirms the sender
(router.scan_review); answers go to the preferred electronic contact, else by letter."""

from __future__ import annotations

from channels.base import Channel
from normalizer.scan import scan_letter
from workers.channels.plugin import ChannelPlugin, IntakeProcess, Ref

FOLDER_STAGE = "scan_folder"  # SHUNT records of the watched folder
FAX_MAIL_STAGE = "scan_fax_mail"  # SHUNT records of fax files from fax-to-email mails

POST = ChannelPlugin(
    Channel.POST,
    "Почта",
    settings_fields=("scan", "letterhead"),
    configured=lambda s: s.scan.watch_dir is not None,
    normalizer_step=scan_letter,
    intake=IntakeProcess(Ref("workers.channels.scan.process:ScanFolderProcess"),
                         lambda s: s.scan.watch_dir is not None),
    shunt_stages={FOLDER_STAGE: "Папка сканов"},
    answers_on_channel=False,
    without_sender="letter",
)
FAX = ChannelPlugin(Channel.FAX, "Факс", normalizer_step=scan_letter, answers_on_channel=False,
                    without_sender="letter", shunt_stages={FAX_MAIL_STAGE: "Факс из почты"})
