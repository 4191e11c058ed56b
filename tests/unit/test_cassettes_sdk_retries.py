"""Under replay, the openai and anthropic SDKs' retry backoff does not wait."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import anthropic
import openai
import pytest

from pytest_agentreal.cassettes import CassetteSettings, Recorder
from pytest_agentreal.cassettes.sdk_retries import REPLAY_DELAY_S


def _delay(client: Any, sdk: Any) -> float:
    options = sdk._models.FinalRequestOptions.construct(method="post", url="/x", max_retries=2)
    # Two retries left, no response headers: what a replayed timeout gives the SDK.
    return float(client._calculate_retry_timeout(2, options, None))


@pytest.mark.parametrize("sdk", [openai, anthropic], ids=["openai", "anthropic"])
def test_backoff_is_capped_only_while_replaying(tmp_path: Path, sdk: Any) -> None:
    client = (sdk.OpenAI if sdk is openai else sdk.Anthropic)(base_url="http://127.0.0.1:9", api_key="sk-test-0000")
    assert _delay(client, sdk) > REPLAY_DELAY_S  # outside any case: the SDK's own backoff
    replaying = Recorder(CassetteSettings(directory=tmp_path, mode="none")).open("c/T-1[original]")
    with replaying:
        assert _delay(client, sdk) <= REPLAY_DELAY_S
        replaying.finish(agent_ok=True)
    live = Recorder(CassetteSettings(directory=tmp_path, mode="off")).open("c/T-1[original]")
    with live:
        assert _delay(client, sdk) > REPLAY_DELAY_S  # live and recording runs wait as the SDK says
        live.finish(agent_ok=True)
    assert _delay(client, sdk) > REPLAY_DELAY_S
