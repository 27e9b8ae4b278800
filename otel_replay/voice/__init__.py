"""Voice calls as one neutral timeline, and the voice metrics computed over it.

Adapters build a `VoiceTimeline` from whatever recorded the call (LiveKit or Pipecat spans,
an imported Vapi or Retell call, a text replay); `measure_call` computes every metric from
it the same way, whichever side of a comparison it is. Definitions: docs/voice-metrics.md.
"""

from otel_replay.voice.end_reasons import EndReasonBucket, bucket_end_reason
from otel_replay.voice.metrics import CallVoiceMetrics, TurnVoiceMetrics, measure_call
from otel_replay.voice.timeline import Speaker, TimelineToolCall, Utterance, VoiceTimeline

__all__ = [
    "CallVoiceMetrics",
    "EndReasonBucket",
    "Speaker",
    "TimelineToolCall",
    "TurnVoiceMetrics",
    "Utterance",
    "VoiceTimeline",
    "bucket_end_reason",
    "measure_call",
]
