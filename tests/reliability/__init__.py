"""Reliability suite (issue 10): the real listen_frame against fuzzing, floods, killed workers and broker restarts."""
