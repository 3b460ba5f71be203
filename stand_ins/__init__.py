"""Local stand-ins for external services, each its own HTTP process with fault injection."""
