"""Is the record a usable conversation? The rule is :func:`curate.conversations.usable_turns`,
the same one the export applies, so a record the filter keeps is one the export can write.
Documents are not conversations: the check skips them."""

from __future__ import annotations

from curate.conversations import (
    CONVERSATION_KINDS,
    NO_AGENT_REPLY,
    NO_USER_TURN,
    STARTS_WITH_ASSISTANT,
    SYSTEM_TURN_INSIDE,
    TurnsConfig,
    usable_turns,
)
from curate.filter.base import Check, Row, Verdict, register

_WHY = {
    NO_AGENT_REPLY: "a {kind} with no agent reply",
    NO_USER_TURN: "a {kind} with no customer turn before the agent's reply",
    STARTS_WITH_ASSISTANT: "a {kind} that starts with an agent turn (turns.leading_assistant: drop_record)",
    SYSTEM_TURN_INSIDE: "a {kind} with a system turn after it started (turns.inner_system: drop_record)",
}


@register
class ConversationCheck(Check):
    name = "conversation"
    reasons = (NO_AGENT_REPLY, NO_USER_TURN, STARTS_WITH_ASSISTANT, SYSTEM_TURN_INSIDE)
    kinds = CONVERSATION_KINDS

    def __init__(self, turns: TurnsConfig, require_agent_reply: bool = True):
        super().__init__()
        self.turns = turns
        self.require_agent_reply = require_agent_reply

    @classmethod
    def builtin(cls, config, turns):
        return cls(turns, config.require_agent_reply)

    def check(self, row: Row) -> Verdict | None:
        _, reason = usable_turns(row.messages, row.kind, self.turns)
        if reason is None or (reason == NO_AGENT_REPLY and not self.require_agent_reply):
            return None
        return Verdict(reason, _WHY[reason].format(kind=row.kind))
