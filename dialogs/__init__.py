"""The platform-free core of the cramp interview.

It imports only the standard library, ``transitions`` and PyYAML: chat
platforms live in ``bot/`` and use only the names exported here (an
architecture test holds them to it).
"""

from dialogs.content import OUTCOME_STATE, STOPPED_STATE, Content
from dialogs.engine import Engine
from dialogs.loading import load_content
from dialogs.locales import Texts
from dialogs.machine import Interview
from dialogs.observer import Observer, Step
from dialogs.problems import ContentError
from dialogs.record import Conversation, CorruptRecord
from dialogs.store import (
    AUDIT_KEEP,
    FORGOTTEN,
    REFUSED,
    AuditEntry,
    ConversationStore,
    StoreBroken,
    StoreUnavailable,
    forget_in,
)
from dialogs.types import (
    ConversationKey,
    Incoming,
    Message,
    Option,
    Outcome,
    Question,
    Reply,
    Section,
)

__all__ = [
    "AUDIT_KEEP",
    "FORGOTTEN",
    "OUTCOME_STATE",
    "REFUSED",
    "STOPPED_STATE",
    "AuditEntry",
    "Content",
    "ContentError",
    "Conversation",
    "ConversationKey",
    "ConversationStore",
    "CorruptRecord",
    "Engine",
    "Incoming",
    "Interview",
    "Message",
    "Observer",
    "Option",
    "Outcome",
    "Question",
    "Reply",
    "Section",
    "Step",
    "StoreBroken",
    "StoreUnavailable",
    "Texts",
    "forget_in",
    "load_content",
]
