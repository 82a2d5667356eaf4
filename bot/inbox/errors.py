"""Domain errors of the inbox. They know nothing about HTTP: the error
middleware maps them to status codes; ``code`` is the stable name clients see."""

from __future__ import annotations


class InboxError(Exception):
    code = "inbox_error"

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class NotFound(InboxError):
    code = "not_found"


class ConversationNotFound(NotFound):
    code = "conversation_not_found"

    def __init__(self, reference: int | str) -> None:
        super().__init__(f"Conversation {reference} was not found")


class MessageNotFound(NotFound):
    code = "message_not_found"

    def __init__(self, message_id: int) -> None:
        super().__init__(f"Message {message_id} was not found")


class Conflict(InboxError):
    """Well-formed, but the conversation's current state forbids it."""

    code = "conflict"


class AlreadyClaimed(Conflict):
    code = "already_claimed"


class NotYourConversation(Conflict):
    code = "not_your_conversation"


class InvalidRequest(InboxError):
    code = "invalid_request"


class Unauthorized(InboxError):
    code = "unauthorized"


class Forbidden(InboxError):
    code = "forbidden"


class TooManyAttempts(InboxError):
    code = "too_many_attempts"


class DeliveryFailed(InboxError):
    """The inbox saved the change but the gateway could not deliver it."""

    code = "delivery_failed"
