"""The LLM support-inbox example: an agent on the official ``openai`` SDK with tool calls.

``agent.py`` is the agent, ``tools.py`` its tools and the sandbox they call, ``prompt.py`` what it
tells the model, ``standin_server.py`` (with ``standin_model.py``) the local OpenAI-compatible
stand-in its cassettes were recorded against, and ``record.py`` the recording script.
"""
