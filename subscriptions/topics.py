"""Names of pub/sub topics; the broker adds the Redis namespace."""

SESSION_TOPIC_PREFIX = "topic:session:"


def session_topic(session_id: str) -> str:
    return SESSION_TOPIC_PREFIX + session_id
