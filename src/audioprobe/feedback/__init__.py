"""Feedback rounds: show a model what its code produced, measured, and let it try again.

analysis   what a rendered clip measures (level, clipping, silence, pitch, spectrum, transcript)
success    the one task-success predicate the stopping rule and every by-round view use
message    the feedback turn, rendered from prompts/feedback.txt
rounds     the round loop: each round a full trial stage under round-N/, resumable
"""
