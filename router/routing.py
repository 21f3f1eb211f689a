"""route_events(): complaint events -> submission, ticket, history and outbox rows.

Runs inside the caller's transaction and publishes nothing (transactional outbox): the relay
worker publishes the outbox rows after the commit.

A batch reads what it needs in a few queries (route_lookup), decides each event in memory in
order, then writes one multi-row INSERT per table (route_rows). Events of one batch see each
other: a repeated native id (or content id: the same mail under a new IMAP UIDVALIDITY) is a
duplicate, a ticket made earlier in the batch can be threaded into, and the least-loaded manager
rule counts the batch's own tickets.

Threading: a reply to a message we sent (sent_messages) continues its ticket; a ticket number or
the Message-ID of an earlier mail continues it only for the same client. A closed ticket is
reopened for a dispute within the dispute window, else a new ticket is linked to it.
Robots never make a ticket and are never answered; a bounce of our reply marks it bounced and
alerts the ticket's manager.

Chats (channels.base.CHAT_CHANNELS): the next message of a chat continues its open ticket. A social account
unknown to the directory gets a queue ticket and is asked for the contract number; once a message
of it names a contract or a phone of a client, the account is linked to that client and the chat's
queue tickets move to the personal manager.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum
from functools import cached_property
from typing import Any

from sqlalchemy.orm import Session

from channels.base import CHAT_CHANNELS
from normalizer.event import ComplaintEvent
from router.alerts import staff_notice
from router.assignment import Assigner, Assignment
from router.calendar import BusinessCalendar, Deadlines
from router.contracts import (
    Clocks,
    FetchRequest,
    OutboundKind,
    OutboundMessage,
    SnapshotClient,
    TicketEvent,
    TicketEventType,
    TicketSnapshot,
)
from router.contracts import Deadlines as TicketDeadlines
from router.directory import first_identities
from router.identity_claims import (
    CLAIM_WINDOW,
    CLAIMS_PER_DAY,
    CODE_SUBJECT,
    MAX_ATTEMPTS,
    Account,
    ClaimBook,
    ClaimRef,
    CodeCheck,
    CodeOutcome,
    IdentityCodeMail,
    Method,
    Status,
    check_code,
    code_in,
    new_claim,
)
from router.numbering import TicketNumbers
from router.outbox import (
    ATTACHMENTS_SUBJECT,
    NOTICES_SUBJECT,
    OUTBOX_ID_BY_RELAY,
    outbound_subject,
    outbox_row,
    ticket_event_subject,
)
from router.review.perform import CLIENT_REPLIED, CLIENT_REPLIED_NOTE
from router.route_lookup import (
    ClientInfo,
    Known,
    SentRef,
    TicketRef,
    active_directors,
    clients_by_id,
    content_key,
    conversation_key,
    first_subscriber_head,
    last_told_at,
    load_known,
    tickets_by_ids,
)
from router.route_rows import BatchRows, Row
from router.scan_review import assess as assess_scan
from router.sla.fire import running
from router.sla.pause import CLOCK_RESUMED, moved_dues
from router.sla.policy import Clock, SlaPolicy
from router.sla.timers import timer_rows
from router.texts import (
    Signer,
    acknowledgement,
    auto_reply_note,
    claim_refused_note,
    claim_text,
    code_checked_note,
    code_checked_received,
    dispute_alert,
    follow_up_received,
    greeting_name,
    identity_claim_received,
    identity_claimed_note,
    identity_linked_note,
    identity_linked_received,
    identity_verified_received,
    reopened_note,
    reopened_received,
    reply_bounced_alert,
    reply_bounced_note,
)
from router.timeutil import to_utc
from router.workflow import Stage

TICKET_EVENT_NAMESPACE = uuid.UUID("a3c2b1d0-0000-4e5f-8a9b-5eed0000000c")
BOUNCE_KINDS = frozenset({"bounce", "mailer_daemon"})
REASON_MAX = 500  # of a bounce's text, in the history and the alert
CONTACT_CATEGORY = "contact"  # a shared phone number, not a complaint by itself
# Channels whose receipt was given at intake (the call-centre operator read it out): no acknowledgement.
RECEIPT_GIVEN_ON_INTAKE = frozenset({"phone"})
PRIMARY_REVIEW_NOTE = "Первичная обработка: персональный менеджер"
IDENTITY_CLAIMED = "identity_claimed"
IDENTITY_CLAIM_REFUSED = "identity_claim_refused"  # over the limit of claims per account: no code sent
IDENTITY_VERIFIED = "identity_verified"  # the code from the client's email came back from the same account
IDENTITY_CODE_REJECTED = "identity_code_rejected"  # a wrong, used-up or expired code


@dataclass(frozen=True)
class ClaimPlan:
    """What a claim of an unverified chat account leads to: a code by email, a staff check (no email, or
    over the limit), or nothing new (the same claim is already pending on the ticket)."""

    kind: str  # email | staff | limited | repeated
    existing: ClaimRef | None = None
    superseded: tuple[ClaimRef, ...] = ()


class Outcome(StrEnum):
    CREATED = "created"
    FOLLOW_UP = "follow_up"
    REOPENED = "reopened"
    DUPLICATE = "duplicate"
    AUTO_GENERATED = "auto_generated"
    BOUNCED = "bounced"
    RECORDED = "recorded"  # kept, nothing to open or continue (a shared contact outside any complaint)


@dataclass(frozen=True)
class RoutingPolicy:
    """Rules of routing that come from the settings."""

    dispute_window: timedelta = timedelta(days=30)
    sla: SlaPolicy = field(default_factory=SlaPolicy)  # the clocks' warnings and pauses (router.sla)
    # A chat follow-up is confirmed to the client only if nothing was written to them on the ticket for this long:
    # three quick messages get one answer, and a flood of thousands does not get thousands (0: every one). Mail
    # is confirmed each time (a mail is a letter, not a burst), within the sender's daily cap per address.
    chat_receipt_quiet: timedelta = timedelta(0)

    @classmethod
    def from_days(cls, dispute_window_days: int, sla: SlaPolicy | None = None,
                  chat_receipt_quiet_minutes: float = 0) -> RoutingPolicy:
        return cls(dispute_window=timedelta(days=dispute_window_days), sla=sla or SlaPolicy(),
                   chat_receipt_quiet=timedelta(minutes=chat_receipt_quiet_minutes))


@dataclass(frozen=True)
class RouteResult:
    outcome: Outcome
    ticket_number: str | None = None
    assignee: str | None = None


def route_events(
    session: Session, events: Sequence[ComplaintEvent], calendar: BusinessCalendar, now: datetime,
    policy: RoutingPolicy = RoutingPolicy(),
) -> list[RouteResult]:
    """The body of the routing transaction for a batch. The caller commits (or rolls back) around it.

    Synchronous on purpose: a batch runs in one thread hop (SQLite) or one greenlet (PostgreSQL).
    """
    batch = RoutingBatch(session, events, calendar, now, policy)
    results = [batch.route(event) for event in events]
    batch.write()
    return results


def route_event(
    session: Session, event: ComplaintEvent, calendar: BusinessCalendar, now: datetime,
    policy: RoutingPolicy = RoutingPolicy(),
) -> RouteResult:
    return route_events(session, [event], calendar, now, policy)[0]


class RoutingBatch:
    """One batch's routing: what the store knows (read up front), the decisions, the rows to write."""

    def __init__(
        self, session: Session, events: Sequence[ComplaintEvent], calendar: BusinessCalendar, now: datetime,
        policy: RoutingPolicy = RoutingPolicy(),
    ) -> None:
        self.session = session
        self.calendar = calendar
        self.policy = policy
        self.now = to_utc(now)  # one registration moment for the whole batch, stored in UTC
        self.known: Known = load_known(session, events)
        self.assigner = Assigner(session)
        self.assigner.prefetch(client.manager_login for client in self.known.clients.values())
        self.numbers = TicketNumbers(session, now.astimezone(calendar.tz).year)
        self.rows = BatchRows()
        self._deadlines: dict[tuple[datetime, str], Deadlines] = {}
        self._calendars: dict[str, BusinessCalendar] = {}
        self.claims = ClaimBook.load(session, {account for event in events
                                               if (account := self._account(event)) is not None}, self.now)
        self._emails: dict[int, bool] = {}

    def signer(self, login: str | None) -> Signer | None:
        """Who signs a text to the client of a ticket held by `login`: that manager; for a ticket of the
        queue, the head of the subscriber department."""
        staff = self.assigner.staff(login) if login else None
        if staff is not None and staff.name:
            return Signer(staff.name, staff.role)
        return self.queue_signer

    @cached_property
    def queue_signer(self) -> Signer | None:
        head = first_subscriber_head(self.session)
        return Signer(head[1], "subscriber_head") if head is not None else None

    @cached_property
    def directors(self) -> list[str]:
        """The active directors, read only when a batch reopens a ticket for a dispute."""
        return active_directors(self.session)

    def registered_at(self, event: ComplaintEvent) -> datetime:
        """The clocks start when the channel received the submission (an email: the server's arrival
        time), not when routing ran: a backlog or a replay from quarantine does not start them late. Never
        in the future (a channel's clock ahead of ours)."""
        return min(to_utc(event.received_at), self.now)

    def calendar_of(self, queue: str) -> BusinessCalendar:
        """The working hours the ticket's clocks count in: its department's own, else the company's."""
        if queue not in self._calendars:
            self._calendars[queue] = self.calendar.for_department(queue)
        return self._calendars[queue]

    def deadlines(self, registered: datetime, queue: str) -> Deadlines:
        key = (registered, queue)
        if key not in self._deadlines:  # a batch's events often share their receipt moment
            self._deadlines[key] = self.calendar_of(queue).deadlines(registered)
        return self._deadlines[key]

    def clocks(self, registered: datetime, queue: str) -> Clocks:
        deadlines = self.deadlines(registered, queue)
        return Clocks(first_response_due=to_utc(deadlines.first_response),
                      resolution_due=to_utc(deadlines.resolution), legal_due=to_utc(deadlines.legal))

    def route(self, event: ComplaintEvent) -> RouteResult:
        key = (event.channel.value, event.native_id)
        content = content_key(event)
        if key in self.known.seen or (content is not None and content in self.known.seen_content):
            return RouteResult(Outcome.DUPLICATE)
        self.known.seen.add(key)
        if content is not None:
            self.known.seen_content.add(content)

        client = self.known.client_of(event)
        review: dict[str, Any] | None = None
        if event.scan is not None:  # an OCR'd number is a hint: the client comes from router.scan_review
            assessment = assess_scan(self.session, event, self.now)
            client = self.client_by_id(assessment.client_id) if assessment.client_id is not None else None
            review = assessment.review
        claimed: ClientInfo | None = None
        if client is not None and self._unverified_chat_claim(event, client):
            # A typed number is a claim, not proof: the account gets nothing of the client's until verified.
            claimed, client = client, None
        if event.auto_generated:
            return self._robot(event, client)
        code = self._check_code(event) if client is None and claimed is None else None
        if code is not None and code.outcome is CodeOutcome.VERIFIED:
            client = self.client_by_id(code.claim.client_id)  # the code from the client's own mailbox
        conversation = conversation_key(event)
        linked = self._link_social_account(event, client, conversation)
        if code is not None:
            self._record_code(event, code, client)
        referenced = self.known.referenced(event, client)
        if referenced is not None and referenced.status != "open" and self._in_dispute_window(referenced):
            self._reopen(referenced, event, client)
            self._submission(event, client, referenced)
            self._follow_up(referenced, event, reopened_received(
                referenced.number, self._greeting(client, event), self.signer(referenced.assignee)))
            return RouteResult(Outcome.REOPENED, referenced.number, referenced.assignee)
        if referenced is not None and referenced.status == "open":
            self._submission(event, client, referenced)
            self._follow_up(referenced, event, follow_up_received(
                referenced.number, self._greeting(client, event), self.signer(referenced.assignee)), receipt=True)
            return RouteResult(Outcome.FOLLOW_UP, referenced.number, referenced.assignee)

        chat_ticket = self._open_chat_ticket(conversation) if referenced is None else None
        if chat_ticket is not None:
            self._submission(event, client, chat_ticket)
            signer = self.signer(chat_ticket.assignee)
            plan = self._plan_claim(event, claimed, chat_ticket) if claimed is not None else None
            verified = code is not None and code.outcome is CodeOutcome.VERIFIED
            if linked:
                reply = (identity_verified_received if verified else identity_linked_received)(
                    chat_ticket.number, self._greeting(client, event), signer)
            elif plan is not None:
                reply = identity_claim_received(chat_ticket.number, event.display_name, signer, claim_text(plan.kind))
            elif code is not None and not verified:
                reply = code_checked_received(chat_ticket.number, event.display_name, code.outcome,
                                              code.attempts_left, signer)
            else:
                reply = follow_up_received(chat_ticket.number, self._greeting(client, event), signer)
            # The message is kept on the ticket whatever it was (a code too: nothing the client wrote is lost).
            plain = not linked and plan is None and code is None
            self._follow_up(chat_ticket, event, reply, receipt=plain)
            if claimed is not None and plan is not None:
                self._record_claim(chat_ticket, event, claimed, plan)
            return RouteResult(Outcome.FOLLOW_UP, chat_ticket.number, chat_ticket.assignee)
        if event.category == CONTACT_CATEGORY and referenced is None:
            self._submission(event, client, None)
            return RouteResult(Outcome.RECORDED)

        plan = self._plan_claim(event, claimed, None) if claimed is not None else None
        ticket = self._create_ticket(event, client, parent=referenced, conversation=conversation, review=review,
                                     claim=plan)
        if claimed is not None and plan is not None:
            self._record_claim(ticket, event, claimed, plan)
        self._submission(event, client, ticket)
        return RouteResult(Outcome.CREATED, ticket.number, ticket.assignee)

    def client_by_id(self, client_id: int) -> ClientInfo | None:
        if client_id not in self.known.clients:
            self.known.clients.update(clients_by_id(self.session, {client_id}))
        return self.known.clients.get(client_id)

    def _open_chat_ticket(self, conversation: str | None) -> TicketRef | None:
        """The newest open ticket of the chat (a later message there continues it)."""
        open_tickets = [t for t in self.known.conversations.get(conversation or "", []) if t.status == "open"]
        return open_tickets[-1] if open_tickets else None

    def _unverified_chat_claim(self, event: ComplaintEvent, client: ClientInfo) -> bool:
        """A chat account the directory does not know, whose message names a client's number: only a number
        the platform proved is the sender's own (Identities.verified_phones) identifies the client."""
        if event.channel not in CHAT_CHANNELS:
            return False
        account = [pair for pair in self.known.pairs[event.event_id] if pair[0] in CHAT_CHANNELS]
        if any(pair in self.known.identities for pair in account):
            return False  # a known account: the directory says whose it is
        proven = {self.known.identities.get(("phone", phone)) for phone in event.identities.verified_phones}
        return client.id not in proven

    def _account(self, event: ComplaintEvent) -> Account | None:
        """The chat account of an event the directory does not know yet (its claims are what count)."""
        if event.channel not in CHAT_CHANNELS:
            return None
        pairs = [pair for pair in self.known.pairs[event.event_id] if pair[0] in CHAT_CHANNELS]
        if any(pair in self.known.identities for pair in pairs):
            return None
        return pairs[0] if pairs else None

    def _has_email(self, client_id: int) -> bool:
        if client_id not in self._emails:
            found = first_identities(self.session, {client_id}, "email").get(client_id) or ""
            self._emails[client_id] = "@" in found
        return self._emails[client_id]

    def _plan_claim(self, event: ComplaintEvent, claimed: ClientInfo, ticket: TicketRef | None) -> ClaimPlan:
        account = self._account(event)
        assert account is not None, "only an account the directory does not know makes a claim"
        pending = self.claims.pending_on(account, ticket) if ticket is not None else []
        same = [claim for claim in pending if claim.client_id == claimed.id]
        if same:
            latest = same[-1]
            if latest.method != Method.EMAIL:
                return ClaimPlan(latest.method, latest)
            if latest.code_live(self.now):
                return ClaimPlan("repeated", latest)
        if self.claims.recent(account, self.now) >= CLAIMS_PER_DAY:
            kind = Method.LIMITED.value
        else:
            kind = Method.EMAIL.value if self._has_email(claimed.id) else Method.STAFF.value
        return ClaimPlan(kind, None, tuple(pending))

    def _record_claim(self, ticket: TicketRef, event: ComplaintEvent, claimed: ClientInfo, plan: ClaimPlan) -> None:
        """The ticket stays in the queue, marked for staff (a pending claim): who the account says it is; a code
        is mailed to the client's registered email, or staff check (no email, too many claims)."""
        if plan.existing is not None:
            self._history(ticket, event, IDENTITY_CLAIMED, ticket.stage,
                          identity_claimed_note(claimed.contract_number, plan.kind))
            return
        account = self._account(event)
        assert account is not None
        for older in plan.superseded:
            older.resolve(Status.SUPERSEDED, self.now, "routing")
        claim = new_claim(claimed.id, account, Method(plan.kind), ticket, self.now)
        self.claims.add(claim)
        self._history(ticket, event, IDENTITY_CLAIMED, ticket.stage,
                      identity_claimed_note(claimed.contract_number, plan.kind))
        if plan.kind == Method.LIMITED:
            self._history(ticket, event, IDENTITY_CLAIM_REFUSED, ticket.stage,
                          claim_refused_note(CLAIMS_PER_DAY, int(CLAIM_WINDOW.total_seconds() // 3600)))
        elif plan.kind == Method.EMAIL:
            mail = IdentityCodeMail(outbox_id=OUTBOX_ID_BY_RELAY, claim=claim.key, ticket_number=ticket.number)
            self.rows.outbox.append((ticket, outbox_row(CODE_SUBJECT, mail.model_dump_json(), self.now)))

    def _check_code(self, event: ComplaintEvent) -> CodeCheck | None:
        """A message of an unverified account that is just a code, while a mailed code of its claim waits."""
        account = self._account(event)
        code = code_in(event.text) if account is not None else None
        if account is None or code is None:
            return None
        return check_code(self.claims, account, code, self.now)

    def _claim_ticket(self, claim: ClaimRef) -> TicketRef | None:
        if claim.ticket is not None:
            return claim.ticket
        if claim.ticket_id is None:
            return None
        if claim.ticket_id not in self.known.tickets_by_id:
            for ticket in tickets_by_ids(self.session, {claim.ticket_id}).values():
                self.known.tickets.setdefault(ticket.number, ticket)
                if ticket.id is not None:
                    self.known.tickets_by_id.setdefault(ticket.id, self.known.tickets[ticket.number])
        return self.known.tickets_by_id.get(claim.ticket_id)

    def _record_code(self, event: ComplaintEvent, code: CodeCheck, client: ClientInfo | None) -> None:
        """The history of the claim's ticket says what the code did; a right one hands that ticket over too
        (the chat's own tickets were handed over with the link)."""
        ticket = self._claim_ticket(code.claim)
        if ticket is None:
            return
        if code.outcome is CodeOutcome.VERIFIED:
            self._history(ticket, event, IDENTITY_VERIFIED, ticket.stage,
                          code_checked_note("verified", code.claim.attempts, 0))
            if client is not None and ticket.client_id is None and ticket.status == "open":
                self._hand_over(ticket, client, event)
            return
        self._history(ticket, event, IDENTITY_CODE_REJECTED, ticket.stage,
                      code_checked_note(code.outcome.value, code.claim.attempts, MAX_ATTEMPTS))

    def _link_social_account(self, event: ComplaintEvent, client: ClientInfo | None, conversation: str | None) -> bool:
        """A social account the directory does not know, in a message that named a client's contract or
        phone: link it to that client and move the chat's queue tickets to the personal manager."""
        if client is None:
            return False
        new = [pair for pair in self.known.pairs[event.event_id]
               if pair[0] in CHAT_CHANNELS and pair not in self.known.identities]
        if not new:
            return False
        for kind, value in new:
            self.known.identities[(kind, value)] = client.id
            self.rows.identities.append({"client_id": client.id, "kind": kind, "value": value})
        for ticket in self.known.conversations.get(conversation or "", []):
            if ticket.client_id is None and ticket.status == "open":
                self._hand_over(ticket, client, event)
        return True

    def _hand_over(self, ticket: TicketRef, client: ClientInfo, event: ComplaintEvent) -> None:
        assignment = self.assigner.assign(client)
        self.assigner.took(assignment)
        ticket.client_id, ticket.assignee = client.id, assignment.assignee
        ticket.contract_number = client.contract_number
        self.rows.assigned.append((ticket, assignment.queue))
        self._history(ticket, event, "assigned", ticket.stage,
                      identity_linked_note(client.name, _registration_note(assignment, None)))
        started = self._start_primary_review(ticket, event)
        self._announce(ticket, event, TicketEventType.ASSIGNED)
        if started:
            self._announce(ticket, event, TicketEventType.STAGE_CHANGED)

    def _robot(self, event: ComplaintEvent, client: ClientInfo | None) -> RouteResult:
        """Recorded, never a ticket, never answered; on the ticket it concerns, a note (and for a bounce
        of our reply: the reply marked bounced and the manager alerted)."""
        self._submission(event, client, None)
        sent = self.known.sent_ref(event)
        ticket = self.known.referenced(event, client)
        if sent is not None and event.auto_kind in BOUNCE_KINDS and sent.ticket_id in self.known.tickets_by_id:
            bounced = self.known.tickets_by_id[sent.ticket_id]
            self._bounced(sent, bounced, event)
            return RouteResult(Outcome.BOUNCED, bounced.number, bounced.assignee)
        if ticket is not None:
            self._history(ticket, event, "auto_reply", ticket.stage, auto_reply_note(event.subject))
        return RouteResult(Outcome.AUTO_GENERATED, ticket.number if ticket else None)

    def _bounced(self, sent: SentRef, ticket: TicketRef, event: ComplaintEvent) -> None:
        reason = " ".join(event.text.split())[:REASON_MAX] or "причина не указана"
        if sent.status == "bounced":  # another report of the same bounce: noted once
            return
        sent.status = "bounced"
        self.rows.bounced.append((sent, reason))
        self._history(ticket, event, "reply_bounced", ticket.stage, reply_bounced_note(reason))
        if ticket.assignee:
            self._alert(ticket, ticket.assignee, "reply_bounced",
                        reply_bounced_alert(ticket.number, sent.address, reason))

    def _in_dispute_window(self, ticket: TicketRef) -> bool:
        # Without a closing moment there is no window to be in: a new linked ticket.
        return ticket.closed_at is not None and self.now - ticket.closed_at <= self.policy.dispute_window

    def _reopen(self, ticket: TicketRef, event: ComplaintEvent, client: ClientInfo | None) -> None:
        """The client disputes the decision: as router.review's `dispute` action, the ticket goes to the
        stage dispute with the (first) director as its handler, and every active director is alerted."""
        from_stage = ticket.stage
        ticket.status, ticket.stage, ticket.closed_at = "open", Stage.DISPUTE.value, None
        ticket.handler = self.directors[0] if self.directors else None
        # The re-review clock starts (a new period: the dispute timers of an earlier one are replaced).
        ticket.dispute_due = to_utc(self.calendar.dispute_review_due(self.now))
        ticket.paused_at = None
        self.rows.timers.extend((ticket, row) for row in timer_rows(
            self.calendar, self.policy.sla, {Clock.DISPUTE: ticket.dispute_due}))
        self.rows.reopened.append((ticket, self.now))
        self._history(ticket, event, "reopened", from_stage, reopened_note(self.policy.dispute_window.days))
        name = self._name(client, event)
        alert = dispute_alert(ticket.number, f"клиент {name}" if name else "клиент")
        for login in self.directors:
            self._alert(ticket, login, "dispute", alert)
        self._announce(ticket, event, TicketEventType.STAGE_CHANGED)
        self._announce(ticket, event, TicketEventType.REOPENED)

    def _alert(self, ticket: TicketRef, login: str, kind: str, text: str) -> None:
        """In-app (staff_alerts), and by email through the notify worker."""
        self.rows.alerts.append((ticket, {
            "login": login, "created_at": self.now, "kind": kind, "text": text, "read_at": None, "ticket_id": None,
        }))
        notice = staff_notice(login, kind, ticket.number, text)
        self.rows.outbox.append((ticket, outbox_row(NOTICES_SUBJECT, notice.model_dump_json(), self.now)))

    @staticmethod
    def _name(client: ClientInfo | None, event: ComplaintEvent) -> str | None:
        return client.name if client else event.display_name

    @staticmethod
    def _greeting(client: ClientInfo | None, event: ComplaintEvent) -> str | None:
        """The name a text greets: a person by name, a company without its legal name."""
        return greeting_name(client.name, client.segment) if client else event.display_name

    def write(self) -> None:
        self.rows.claims.extend((claim.ticket, claim.insert_row()) for claim in self.claims.new()
                                if claim.ticket is not None)
        self.rows.claim_updates.extend(claim.update_row() for claim in self.claims.changed())
        self.rows.write(self.session)
        self.numbers.save()

    def _submission(self, event: ComplaintEvent, client: ClientInfo | None, ticket: TicketRef | None) -> None:
        if ticket is not None:
            self.known.remember(ticket, event)
            if event.remote_attachments:  # fetched after the commit, by the attachments worker
                request = FetchRequest(submission_id=event.submission_id, ticket_number=ticket.number,
                                       channel=event.channel.value, attachments=event.remote_attachments)
                self.rows.outbox.append((ticket, outbox_row(ATTACHMENTS_SUBJECT, request.model_dump_json(), self.now)))
        content = content_key(event)
        self.rows.submissions.append((ticket, {
            "id": str(event.submission_id), "channel": event.channel.value, "native_id": event.native_id,
            "content_id": content[1] if content else None,
            "received_at": to_utc(event.received_at), "routed_at": self.now,
            "client_id": client.id if client else None, "event": event.model_dump_json(),
            "ticket_id": None,
        }))

    def _create_ticket(
        self, event: ComplaintEvent, client: ClientInfo | None, parent: TicketRef | None,
        conversation: str | None = None, review: dict[str, Any] | None = None, claim: ClaimPlan | None = None,
    ) -> TicketRef:
        assignment = self.assigner.assign(client)
        self.assigner.took(assignment)
        registered = self.registered_at(event)
        ticket = TicketRef(
            number=self.numbers.next(), client_id=client.id if client else None, assignee=assignment.assignee,
            stage=Stage.REGISTERED.value, status="open", clocks=self.clocks(registered, assignment.queue),
            contract_number=client.contract_number if client else None, channel=event.channel.value,
            subject=event.subject, text=event.text, category=event.category, created_at=registered,
        )
        self.known.tickets[ticket.number] = ticket
        if conversation is not None:
            self.known.conversations.setdefault(conversation, []).append(ticket)
        row = self._ticket_row(ticket, assignment, event, parent)
        row["conversation"] = conversation
        self.rows.tickets.append((ticket, row))
        self._history(ticket, event, "registered", None, _registration_note(assignment, parent))
        started = self._start_primary_review(ticket, event)
        row["stage"], row["handler_login"] = ticket.stage, ticket.handler
        # The clocks' warnings and breaches, fired once each by the sla worker.
        timers = timer_rows(self.calendar_of(assignment.queue), self.policy.sla, ticket.dues())
        self.rows.timers.extend((ticket, timer) for timer in timers)
        # One transaction: both events carry the ticket as it stands after it (at primary review).
        self._announce(ticket, event, TicketEventType.CREATED)
        if started:
            self._announce(ticket, event, TicketEventType.STAGE_CHANGED)
        if event.channel.value in RECEIPT_GIVEN_ON_INTAKE:
            return ticket  # the operator read the receipt out on the call: no call-back task for it
        if review is not None:  # «Проверка скана»: nothing goes to a sender nobody has confirmed yet
            self.rows.scan_reviews.append((ticket, review))
            return ticket
        # A chat account we cannot match to a contract: ask for the contract number (or, when it named one,
        # say that it will be verified first: nothing of the client's goes to an unverified account).
        ask_contract = client is None and conversation is not None
        self._reply(ticket, event, OutboundKind.ACKNOWLEDGEMENT, acknowledgement(
            ticket.number, self.deadlines(registered, assignment.queue), self.calendar.tz,
            self._greeting(client, event), ask_contract, self.signer(ticket.assignee), claimed=claim is not None,
            claim=claim_text(claim.kind) if claim is not None else None))
        return ticket

    def _start_primary_review(self, ticket: TicketRef, event: ComplaintEvent) -> bool:
        """A ticket with a personal manager goes on to primary review (the history shows both stages).
        Returns whether it did; the caller announces the stage_changed event."""
        if ticket.assignee is None or ticket.stage != Stage.REGISTERED.value:
            return False
        ticket.stage = Stage.PRIMARY_REVIEW.value
        ticket.handler = ticket.assignee
        self._history(ticket, event, "primary_review", Stage.REGISTERED.value, PRIMARY_REVIEW_NOTE)
        return True

    def _ticket_row(
        self, ticket: TicketRef, assignment: Assignment, event: ComplaintEvent, parent: TicketRef | None
    ) -> Row:
        return {
            "number": ticket.number, "client_id": ticket.client_id, "assignee_login": ticket.assignee,
            "queue": assignment.queue, "stage": ticket.stage, "status": ticket.status,
            "channel": ticket.channel, "subject": ticket.subject, "text": ticket.text,
            "category": ticket.category, "created_at": ticket.created_at,
            "first_response_due": ticket.clocks.first_response_due, "resolution_due": ticket.clocks.resolution_due,
            "legal_due": ticket.clocks.legal_due,
            "parent_ticket_id": parent.id if parent else None,
        }

    def _follow_up(self, ticket: TicketRef, event: ComplaintEvent, reply: str, *, receipt: bool = False) -> None:
        """`receipt`: the reply only confirms the message (no news in it): in a chat it waits out
        RoutingPolicy.chat_receipt_quiet."""
        self._history(ticket, event, "follow_up", ticket.stage, event.text[:2000])
        if ticket.waiting_for_client:  # the client's reply to a question of the review ends the wait
            receipt = False  # the client is told their answer arrived, however soon after the question
            ticket.waiting_for_client = False
            self.rows.replied.append(ticket)
            self._history(ticket, event, CLIENT_REPLIED, ticket.stage, CLIENT_REPLIED_NOTE)
            self._resume_clocks(ticket, event)
        self._announce(ticket, event, TicketEventType.FOLLOW_UP)
        if not (receipt and event.channel in CHAT_CHANNELS and self._told_recently(ticket)):
            self._reply(ticket, event, OutboundKind.FOLLOW_UP_RECEIVED, reply)

    def _told_recently(self, ticket: TicketRef) -> bool:
        quiet = self.policy.chat_receipt_quiet
        if not quiet:
            return False
        if ticket.last_told_at is None and ticket.id is not None and not ticket.told_read:
            ticket.last_told_at = last_told_at(self.session, ticket.id)
            ticket.told_read = True
        return ticket.last_told_at is not None and self.now - ticket.last_told_at < quiet

    def _resume_clocks(self, ticket: TicketRef, event: ComplaintEvent) -> None:
        """The pause of the wait ends: the pausing clocks' due dates move by the time paused (as
        router.sla.pause.resume does for the ORM), the follow-up's snapshot already shows them."""
        if ticket.paused_at is None:
            return
        paused_from, ticket.paused_at = ticket.paused_at, None
        dues = {clock: due for clock, due in ticket.dues().items()
                if clock in self.policy.sla.pausing and running(ticket, clock)}
        moved, note = moved_dues(self.calendar, self.policy.sla, dues, paused_from, self.now)
        ticket.move(moved)
        self.rows.rescheduled.extend(
            (ticket, row) for row in timer_rows(self.calendar, self.policy.sla, moved))
        if note:
            self._history(ticket, event, CLOCK_RESUMED, ticket.stage, note)

    def _history(
        self, ticket: TicketRef, event: ComplaintEvent, action: str, from_stage: str | None, note: str
    ) -> None:
        self.rows.history.append((ticket, {
            "at": self.now, "actor": event.operator_id or f"channel:{event.channel.value}",
            "action": action, "from_stage": from_stage, "to_stage": ticket.stage, "note": note,
            "submission_id": str(event.submission_id),
        }))

    def _announce(self, ticket: TicketRef, event: ComplaintEvent, kind: TicketEventType) -> None:
        ticket_event = TicketEvent(
            event_id=uuid.uuid5(TICKET_EVENT_NAMESPACE, f"{event.event_id}:{kind}"),
            type=kind,
            ticket_number=ticket.number,
            at=self.now,
            client_id=ticket.client_id,
            assignee=ticket.assignee,
            stage=Stage(ticket.stage),
            channel=event.channel.value,
            submission_id=event.submission_id,
            clocks=ticket.clocks,
            ticket=_snapshot(ticket),
        )
        self.rows.outbox.append(
            (ticket, outbox_row(ticket_event_subject(kind), ticket_event.model_dump_json(), self.now))
        )

    def _reply(self, ticket: TicketRef, event: ComplaintEvent, kind: OutboundKind, text: str) -> None:
        if event.auto_generated:
            return  # never answer a robot
        message = OutboundMessage(
            outbox_id=OUTBOX_ID_BY_RELAY,
            kind=kind,
            channel=event.channel.value,
            ticket_number=ticket.number,
            client_id=ticket.client_id,
            in_reply_to=event.native_id,
            text=text,
        )
        self.rows.outbox.append(
            (ticket, outbox_row(outbound_subject(event.channel.value), message.model_dump_json(), self.now))
        )
        ticket.last_told_at = self.now


def _snapshot(ticket: TicketRef) -> TicketSnapshot:
    """The ticket as it stands now, from what the batch already holds (no query)."""
    assert ticket.created_at is not None, "a ticket of the store or of the batch has its registration time"
    client = (SnapshotClient(id=ticket.client_id, contract_number=ticket.contract_number or "")
              if ticket.client_id is not None else None)
    clocks = ticket.clocks
    return TicketSnapshot(
        number=ticket.number, client=client, assignee=ticket.assignee, handler=ticket.handler,
        department=ticket.department, stage=Stage(ticket.stage),
        status="closed" if ticket.status == "closed" else "open",
        channel=ticket.channel, category=ticket.category, subject=ticket.subject, text=ticket.text,
        created_at=ticket.created_at, waiting_for_client=ticket.waiting_for_client,
        director_pending=ticket.director_pending,
        deadlines=TicketDeadlines(first_response=clocks.first_response_due, resolution=clocks.resolution_due,
                                  legal=clocks.legal_due, acknowledged_at=ticket.acknowledged_at,
                                  resolved_at=ticket.resolved_at, dispute=ticket.dispute_due),
    )


def _registration_note(assignment: Assignment, parent: TicketRef | None) -> str:
    note = f"Назначено: {assignment.assignee or 'очередь ' + assignment.queue} ({assignment.reason})"
    if parent is not None:
        note += f"; связана с закрытой претензией {parent.number}"
    return note
